// Upstream's LimitRanger admission (plugin/pkg/admission/limitranger) on create: containers get
// the namespace's LimitRange defaults for the requests and limits they leave out (noted in the
// `kubernetes.io/limit-ranger` annotation), then every Container, Pod and PersistentVolumeClaim
// limit is enforced with upstream's messages (min, max, maxLimitRequestRatio).
import type { KubeObject } from '../../api/object'
import { type ResourceInfo } from '../../api/resources'
import { formatExact, type ExactQuantity } from '../../api/quantity'
import { add, fromMap, max, type ResourceList } from '../../api/quota/resource-list'
import type { ServerContext } from '../context'
import { errors } from '../status'
import { RES } from '../../kit/resources'

const ANNOTATION = 'kubernetes.io/limit-ranger'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])

interface LimitRangeItem {
  type?: string
  min?: Record<string, string>
  max?: Record<string, string>
  default?: Record<string, string>
  defaultRequest?: Record<string, string>
  maxLimitRequestRatio?: Record<string, string>
}

async function limitItems(ctx: ServerContext, namespace: string): Promise<LimitRangeItem[][]> {
  return (await ctx.objects.list(RES.limitranges, namespace)).items.map((s) => arr(obj(s.obj.spec).limits) as LimitRangeItem[])
}

function isPod(res: ResourceInfo): boolean {
  return res.group === '' && res.kind === 'Pod'
}

/** Fills container defaults on a new pod (upstream's PodMutateLimitFunc). */
export async function limitRangerMutate(ctx: ServerContext, res: ResourceInfo, pod: KubeObject): Promise<void> {
  if (!isPod(res) || !pod.metadata?.namespace) return
  const ranges = await limitItems(ctx, pod.metadata.namespace)
  if (!ranges.length) return
  const spec = obj(pod.spec)
  for (const items of ranges) {
    const defaults = { requests: {} as Record<string, string>, limits: {} as Record<string, string> }
    for (const item of items) {
      if (item.type !== 'Container') continue
      Object.assign(defaults.requests, item.defaultRequest ?? {})
      Object.assign(defaults.limits, item.default ?? {})
    }
    const notes: string[] = []
    const merge = (c: Obj, what: string) => {
      const resources = (c.resources = obj(c.resources))
      const limits = (resources.limits = obj(resources.limits)) as Record<string, string>
      const requests = (resources.requests = obj(resources.requests)) as Record<string, string>
      const setLimits: string[] = []
      const setRequests: string[] = []
      for (const [k, v] of Object.entries(defaults.limits))
        if (!(k in limits)) {
          limits[k] = v
          setLimits.push(k)
        }
      for (const [k, v] of Object.entries(defaults.requests))
        if (!(k in requests)) {
          requests[k] = v
          setRequests.push(k)
        }
      if (!Object.keys(limits).length) delete resources.limits
      if (!Object.keys(requests).length) delete resources.requests
      if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${String(c.name ?? '')}`)
      if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${String(c.name ?? '')}`)
    }
    for (const c of arr(spec.containers)) merge(c, 'container')
    for (const c of arr(spec.initContainers)) merge(c, 'init container')
    if (notes.length)
      pod.metadata = { ...pod.metadata, annotations: { ...(pod.metadata?.annotations ?? {}), [ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` } }
  }
}

// ---- constraints (upstream's minConstraint, maxConstraint, maxRequestConstraint, limitRequestRatioConstraint) ----

const s = formatExact
const milli = (q: ExactQuantity): bigint => q.nano / 1_000_000n

function minConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name)
  const lim = limits.get(name)
  if (!req) return `minimum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`
  if (milli(req) < milli(enforced)) return `minimum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`
  if (lim && milli(lim) < milli(enforced)) return `minimum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`
  return undefined
}

function maxConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name)
  const lim = limits.get(name)
  if (!lim) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No limit is specified`
  if (milli(lim) > milli(enforced)) return `maximum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`
  if (req && milli(req) > milli(enforced)) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`
  return undefined
}

function maxRequestConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList): string | undefined {
  const req = requests.get(name)
  if (!req) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`
  if (milli(req) > milli(enforced)) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`
  return undefined
}

function ratioConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name)
  const lim = limits.get(name)
  if (!req || req.nano === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no request is specified or request is 0`
  if (!lim || lim.nano === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no limit is specified or limit is 0`
  const ratio = Number(lim.nano) / Number(req.nano)
  if (ratio * 1e9 > Number(enforced.nano)) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but provided ratio is ${ratio.toFixed(6)}`
  return undefined
}

const sorted = (m: Record<string, string> | undefined): [string, ExactQuantity][] => [...fromMap(m)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

function checkAll(item: LimitRangeItem, type: string, requests: ResourceList, limits: ResourceList, out: string[]): void {
  const push = (m: string | undefined) => m && out.push(m)
  for (const [k, v] of sorted(item.min)) push(minConstraint(type, k, v, requests, limits))
  for (const [k, v] of sorted(item.max)) push(maxConstraint(type, k, v, requests, limits))
  for (const [k, v] of sorted(item.maxLimitRequestRatio)) push(ratioConstraint(type, k, v, requests, limits))
}

function containerLists(c: Obj): { requests: ResourceList; limits: ResourceList } {
  const r = obj(c.resources)
  return { requests: fromMap(obj(r.requests) as Record<string, string>), limits: fromMap(obj(r.limits) as Record<string, string>) }
}

/** Pod totals: containers summed, init containers as a maximum, plus overhead. */
function podTotals(spec: Obj): { requests: ResourceList; limits: ResourceList } {
  let requests: ResourceList = new Map()
  let limits: ResourceList = new Map()
  for (const c of arr(spec.containers)) {
    const l = containerLists(c)
    requests = add(requests, l.requests)
    limits = add(limits, l.limits)
  }
  for (const c of arr(spec.initContainers)) {
    const l = containerLists(c)
    requests = max(requests, l.requests)
    limits = max(limits, l.limits)
  }
  const overhead = fromMap(obj(spec.overhead) as Record<string, string>)
  return { requests: add(requests, overhead), limits: add(limits, overhead) }
}

/** Enforces the namespace's LimitRanges on a new pod or claim; upstream's 403 lists every violation. */
export async function limitRangerValidate(ctx: ServerContext, res: ResourceInfo, object: KubeObject): Promise<void> {
  const isClaim = res.group === '' && res.kind === 'PersistentVolumeClaim'
  if ((!isPod(res) && !isClaim) || !object.metadata?.namespace) return
  const ranges = await limitItems(ctx, object.metadata.namespace)
  if (!ranges.length) return
  const spec = obj(object.spec)
  const errs: string[] = []
  for (const items of ranges) {
    for (const item of items) {
      if (isClaim) {
        if (item.type !== 'PersistentVolumeClaim') continue
        const requests = fromMap(obj(obj(spec.resources).requests) as Record<string, string>)
        for (const [k, v] of sorted(item.min)) {
          const m = minConstraint('PersistentVolumeClaim', k, v, requests, new Map())
          if (m) errs.push(m)
        }
        for (const [k, v] of sorted(item.max)) {
          const m = maxRequestConstraint('PersistentVolumeClaim', k, v, requests)
          if (m) errs.push(m)
        }
      } else if (item.type === 'Container') {
        for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
          const l = containerLists(c)
          checkAll(item, 'Container', l.requests, l.limits, errs)
        }
      } else if (item.type === 'Pod') {
        const t = podTotals(spec)
        checkAll(item, 'Pod', t.requests, t.limits, errs)
      }
    }
  }
  if (!errs.length) return
  // Go's utilerrors.Aggregate: one message alone, several as [a, b].
  throw errors.forbiddenObject(res, object.metadata?.name ?? '', errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`)
}
