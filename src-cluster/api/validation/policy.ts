// ResourceQuota and LimitRange validation with upstream's messages (pkg/apis/core/validation):
// quota names must be standard or qualified, amounts non-negative; a LimitRange's min, default
// request, default and max must be in order, ratios at least 1, and Pod limits have no defaults.
import { fieldErr } from '../errors'
import { exactQuantity, formatExact, type ExactQuantity } from '../quantity'
import { child, items, str, type Errs, type Obj } from './util'

const STANDARD_QUOTA = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'ephemeral-storage',
  'storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
])

function isQuotaName(n: string): boolean {
  return STANDARD_QUOTA.has(n) || n.includes('/') || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-')
}

function quantities(o: Obj | undefined): Map<string, ExactQuantity> {
  const out = new Map<string, ExactQuantity>()
  for (const [k, v] of Object.entries(o ?? {})) {
    try {
      out.set(k, exactQuantity(String(v)))
    } catch {
      // structural validation reports malformed quantities
    }
  }
  return out
}

export function validateResourceQuota(obj: Obj): Errs {
  const errs: Errs = []
  for (const [name, q] of quantities(child(child(obj, 'spec'), 'hard'))) {
    const path = `spec.hard[${name}]`
    if (!isQuotaName(name)) errs.push(fieldErr.invalid(path, name, 'must be a standard resource for quota'))
    if (q.nano < 0n) errs.push(fieldErr.invalid(path, formatExact(q), 'must be greater than or equal to 0'))
  }
  return errs
}

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim']

export function validateLimitRange(obj: Obj): Errs {
  const errs: Errs = []
  items(child(obj, 'spec'), 'limits').forEach((item, i) => {
    const p = `spec.limits[${i}]`
    const type = str(item, 'type') ?? ''
    if (!LIMIT_TYPES.includes(type)) errs.push(fieldErr.notSupported(`${p}.type`, type, LIMIT_TYPES))
    const min = quantities(child(item, 'min'))
    const max = quantities(child(item, 'max'))
    const def = quantities(child(item, 'default'))
    const defReq = quantities(child(item, 'defaultRequest'))
    const ratio = quantities(child(item, 'maxLimitRequestRatio'))
    if (type === 'Pod') {
      if (def.size) errs.push(fieldErr.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"))
      if (defReq.size) errs.push(fieldErr.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"))
    }
    for (const [field, m] of [
      ['min', min],
      ['max', max],
      ['default', def],
      ['defaultRequest', defReq],
      ['maxLimitRequestRatio', ratio],
    ] as const) {
      for (const [k, q] of m) if (q.nano < 0n) errs.push(fieldErr.invalid(`${p}.${field}[${k}]`, formatExact(q), 'must be greater than or equal to 0'))
    }
    const s = formatExact
    for (const [k, mn] of min) {
      const mx = max.get(k)
      if (mx && mn.nano > mx.nano) errs.push(fieldErr.invalid(`${p}.min[${k}]`, s(mn), `min value ${s(mn)} is greater than max value ${s(mx)}`))
    }
    for (const [k, dr] of defReq) {
      const mn = min.get(k)
      const mx = max.get(k)
      const d = def.get(k)
      if (mn && mn.nano > dr.nano)
        errs.push(fieldErr.invalid(`${p}.defaultRequest[${k}]`, s(dr), `min value ${s(mn)} is greater than default request value ${s(dr)}`))
      if (mx && dr.nano > mx.nano)
        errs.push(fieldErr.invalid(`${p}.defaultRequest[${k}]`, s(dr), `default request value ${s(dr)} is greater than max value ${s(mx)}`))
      if (d && dr.nano > d.nano)
        errs.push(fieldErr.invalid(`${p}.defaultRequest[${k}]`, s(dr), `default request value ${s(dr)} is greater than default limit value ${s(d)}`))
    }
    for (const [k, d] of def) {
      const mn = min.get(k)
      const mx = max.get(k)
      if (mn && mn.nano > d.nano) errs.push(fieldErr.invalid(`${p}.default[${k}]`, s(mn), `min value ${s(mn)} is greater than default value ${s(d)}`))
      if (mx && d.nano > mx.nano) errs.push(fieldErr.invalid(`${p}.default[${k}]`, s(mx), `default value ${s(d)} is greater than max value ${s(mx)}`))
    }
    for (const [k, r] of ratio) {
      if (r.nano < 1_000_000_000n) errs.push(fieldErr.invalid(`${p}.maxLimitRequestRatio[${k}]`, s(r), `ratio ${s(r)} is less than 1`))
      const mx = max.get(k)
      const mn = min.get(k)
      if (mx && mn && mn.nano > 0n) {
        const maxRatio = Number(mx.nano) / Number(mn.nano)
        if (Number(r.nano) / 1e9 > maxRatio)
          errs.push(fieldErr.invalid(`${p}.maxLimitRequestRatio[${k}]`, s(r), `ratio ${s(r)} is greater than max/min = ${maxRatio.toFixed(6)}`))
      }
    }
  })
  return errs
}
