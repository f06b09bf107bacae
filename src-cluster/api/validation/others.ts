// Rules of the remaining kinds: storage, networking, autoscaling, policy, RBAC, coordination,
// discovery, nodes.
import { fieldErr, type FieldError } from '../errors'
import { parseQuantity } from '../quantity'
import { isDNS1123Subdomain, isIP, isIPv4, isQualifiedName } from './names'
import { validPort } from './pod'
import { validateSelector } from './selector'
import { child, has, items, nonNegative, num, str, strings, type Obj } from './util'

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']

function accessModes(errs: FieldError[], spec: Obj | undefined, path: string): void {
  const modes = strings(spec, 'accessModes')
  if (modes.length === 0) errs.push(fieldErr.required(`${path}.accessModes`, 'at least 1 access mode is required'))
  modes.forEach((m) => {
    if (!ACCESS_MODES.includes(m)) errs.push(fieldErr.notSupported(`${path}.accessModes`, m, ACCESS_MODES))
  })
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push(fieldErr.forbidden(`${path}.accessModes`, 'may not use ReadWriteOncePod with other access modes'))
  }
}

function positiveQuantity(errs: FieldError[], v: unknown, path: string): void {
  if (typeof v !== 'string') return
  try {
    if (parseQuantity(v) <= 0) errs.push(fieldErr.invalid(path, v, 'must be greater than zero'))
  } catch {
    // structural check reports malformed quantities
  }
}

export function validatePersistentVolumeClaim(pvc: Obj, path = 'spec'): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(pvc, 'spec')
  if (!spec) return [fieldErr.required(path)]
  accessModes(errs, spec, path)
  const storage = child(child(spec, 'resources'), 'requests')?.storage
  if (storage === undefined) errs.push(fieldErr.required(`${path}.resources[storage]`))
  else positiveQuantity(errs, storage, `${path}.resources[storage]`)
  const vm = str(spec, 'volumeMode')
  if (vm !== undefined && vm !== 'Filesystem' && vm !== 'Block') errs.push(fieldErr.notSupported(`${path}.volumeMode`, vm, ['Block', 'Filesystem']))
  validateSelector(child(spec, 'selector'), `${path}.selector`).forEach((e) => errs.push(e))
  return errs
}

const PV_SOURCES = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
]

export function validatePersistentVolume(pv: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(pv, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  accessModes(errs, spec, 'spec')
  const capacity = child(spec, 'capacity')
  if (!capacity || Object.keys(capacity).length === 0) errs.push(fieldErr.required('spec.capacity'))
  else if (capacity.storage === undefined) errs.push(fieldErr.notSupported('spec.capacity', Object.keys(capacity)[0], ['storage']))
  else positiveQuantity(errs, capacity.storage, 'spec.capacity[storage]')
  const sources = PV_SOURCES.filter((s) => has(spec, s))
  if (sources.length === 0) errs.push(fieldErr.required('spec', 'must specify a volume type'))
  else if (sources.length > 1) errs.push(fieldErr.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'))
  const rp = str(spec, 'persistentVolumeReclaimPolicy')
  if (rp !== undefined && !['Retain', 'Delete', 'Recycle'].includes(rp))
    errs.push(fieldErr.notSupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']))
  const hostPath = child(spec, 'hostPath')
  if (hostPath && !str(hostPath, 'path')) errs.push(fieldErr.required('spec.hostPath.path'))
  return errs
}

export function validateStorageClass(sc: Obj): FieldError[] {
  const errs: FieldError[] = []
  if (!str(sc, 'provisioner')) errs.push(fieldErr.required('provisioner'))
  const rp = str(sc, 'reclaimPolicy')
  if (rp !== undefined && rp !== 'Retain' && rp !== 'Delete') errs.push(fieldErr.notSupported('reclaimPolicy', rp, ['Delete', 'Retain']))
  const bm = str(sc, 'volumeBindingMode')
  if (bm !== undefined && bm !== 'Immediate' && bm !== 'WaitForFirstConsumer')
    errs.push(fieldErr.notSupported('volumeBindingMode', bm, ['Immediate', 'WaitForFirstConsumer']))
  return errs
}

const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific']

function ingressBackend(errs: FieldError[], b: Obj | undefined, path: string): void {
  if (!b) return
  const svc = child(b, 'service')
  const resource = child(b, 'resource')
  if (svc && resource) errs.push(fieldErr.invalid(path, '', 'cannot set both resource and service backends'))
  if (!svc && !resource) errs.push(fieldErr.invalid(path, '', 'resource or service backend is required'))
  if (svc) {
    if (!str(svc, 'name')) errs.push(fieldErr.required(`${path}.service.name`))
    const port = child(svc, 'port')
    if (has(port, 'name') && has(port, 'number')) errs.push(fieldErr.invalid(`${path}.service.port`, port, 'cannot set both port name & port number'))
    else if (!has(port, 'name') && !has(port, 'number')) errs.push(fieldErr.invalid(`${path}.service.port`, port ?? {}, 'port name or number is required'))
    else validPort(errs, `${path}.service.port.number`, port?.number)
  }
}

export function validateIngress(ing: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(ing, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const rules = items(spec, 'rules')
  if (!child(spec, 'defaultBackend') && rules.length === 0) {
    errs.push(fieldErr.invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'))
  }
  ingressBackend(errs, child(spec, 'defaultBackend'), 'spec.defaultBackend')
  rules.forEach((r, i) => {
    const rp = `spec.rules[${i}]`
    const host = str(r, 'host')
    if (host) {
      if (isIP(host)) errs.push(fieldErr.invalid(`${rp}.host`, host, 'must be a DNS name, not an IP address'))
      else for (const msg of isDNS1123Subdomain(host.replace(/^\*\./, ''))) errs.push(fieldErr.invalid(`${rp}.host`, host, msg))
    }
    items(child(r, 'http'), 'paths').forEach((p, j) => {
      const pp = `${rp}.http.paths[${j}]`
      const pt = str(p, 'pathType')
      if (pt === undefined) errs.push(fieldErr.required(`${pp}.pathType`, 'pathType must be specified'))
      else if (!PATH_TYPES.includes(pt)) errs.push(fieldErr.notSupported(`${pp}.pathType`, pt, PATH_TYPES))
      const path = str(p, 'path')
      if ((pt === 'Exact' || pt === 'Prefix') && (!path || !path.startsWith('/')))
        errs.push(fieldErr.invalid(`${pp}.path`, path ?? '', 'must be an absolute path'))
      ingressBackend(errs, child(p, 'backend'), `${pp}.backend`)
    })
  })
  items(spec, 'tls').forEach((t, i) =>
    strings(t, 'hosts').forEach((h, j) => {
      for (const msg of isDNS1123Subdomain(h.replace(/^\*\./, ''))) errs.push(fieldErr.invalid(`spec.tls[${i}].hosts[${j}]`, h, msg))
    }),
  )
  return errs
}

export function validateNetworkPolicy(np: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(np, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  errs.push(...validateSelector(child(spec, 'podSelector'), 'spec.podSelector'))
  strings(spec, 'policyTypes').forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErr.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']))
  })
  if (strings(spec, 'policyTypes').length > 2) errs.push(fieldErr.invalid('spec.policyTypes', spec.policyTypes, 'may not specify more than two policyTypes'))
  for (const dir of ['ingress', 'egress'] as const) {
    items(spec, dir).forEach((rule, i) => {
      const rp = `spec.${dir}[${i}]`
      items(rule, 'ports').forEach((p, j) => {
        const pp = `${rp}.ports[${j}]`
        if (typeof p.port === 'number') validPort(errs, `${pp}.port`, p.port)
        const end = num(p, 'endPort')
        if (end !== undefined) {
          if (typeof p.port !== 'number') errs.push(fieldErr.required(`${pp}.port`, 'must be specified when endPort is specified'))
          else if (end < p.port) errs.push(fieldErr.invalid(`${pp}.endPort`, end, 'must be greater than or equal to `port`'))
        }
      })
      items(rule, dir === 'ingress' ? 'from' : 'to').forEach((peer, j) => {
        const pp = `${rp}.${dir === 'ingress' ? 'from' : 'to'}[${j}]`
        const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => has(peer, k))
        if (set.length === 0) errs.push(fieldErr.required(pp, 'must specify a peer'))
        if (has(peer, 'ipBlock') && set.length > 1) errs.push(fieldErr.forbidden(pp, 'may not specify both ipBlock and another peer'))
        const cidr = str(child(peer, 'ipBlock'), 'cidr')
        if (has(peer, 'ipBlock') && !cidr) errs.push(fieldErr.required(`${pp}.ipBlock.cidr`))
        if (cidr && !isCIDR(cidr)) errs.push(fieldErr.invalid(`${pp}.ipBlock.cidr`, cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'))
      })
    })
  }
  return errs
}

function isCIDR(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/')
  if (rest.length || bits === undefined || !/^\d+$/.test(bits)) return false
  return isIPv4(ip) ? Number(bits) <= 32 : isIP(ip) && Number(bits) <= 128
}

export function validateHPA(hpa: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(hpa, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const min = num(spec, 'minReplicas')
  const max = num(spec, 'maxReplicas')
  if (min !== undefined && min < 1) errs.push(fieldErr.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'))
  if (max === undefined) errs.push(fieldErr.required('spec.maxReplicas'))
  else {
    if (max < 1) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than 0'))
    if (min !== undefined && max < min) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'))
  }
  const ref = child(spec, 'scaleTargetRef')
  if (!ref) errs.push(fieldErr.required('spec.scaleTargetRef'))
  else {
    if (!str(ref, 'kind')) errs.push(fieldErr.required('spec.scaleTargetRef.kind'))
    if (!str(ref, 'name')) errs.push(fieldErr.required('spec.scaleTargetRef.name'))
  }
  items(spec, 'metrics').forEach((m, i) => {
    const type = str(m, 'type')
    const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource']
    if (!type) errs.push(fieldErr.required(`spec.metrics[${i}].type`))
    else if (!types.includes(type)) errs.push(fieldErr.notSupported(`spec.metrics[${i}].type`, type, types))
    const util = num(child(child(m, 'resource'), 'target'), 'averageUtilization')
    if (util !== undefined && util < 1) errs.push(fieldErr.invalid(`spec.metrics[${i}].resource.target.averageUtilization`, util, 'must be greater than 0'))
  })
  return errs
}

export function validatePDB(pdb: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(pdb, 'spec')
  if (!spec) return errs
  if (has(spec, 'minAvailable') && has(spec, 'maxUnavailable')) {
    errs.push(fieldErr.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'))
  }
  for (const k of ['minAvailable', 'maxUnavailable']) {
    const v = spec[k]
    if (typeof v === 'number' && v < 0) errs.push(fieldErr.invalid(`spec.${k}`, v, 'must be greater than or equal to 0'))
    if (typeof v === 'string') {
      const m = /^(\d+)%$/.exec(v)
      if (!m)
        errs.push(
          fieldErr.invalid(
            `spec.${k}`,
            v,
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          ),
        )
      else if (Number(m[1]) > 100) errs.push(fieldErr.invalid(`spec.${k}`, v, 'must not be greater than 100%'))
    }
  }
  errs.push(...validateSelector(child(spec, 'selector'), 'spec.selector'))
  return errs
}

export function validateRole(role: Obj, clusterScoped: boolean): FieldError[] {
  const errs: FieldError[] = []
  items(role, 'rules').forEach((r, i) => {
    const p = `rules[${i}]`
    if (strings(r, 'verbs').length === 0) errs.push(fieldErr.required(`${p}.verbs`, 'verbs must contain at least one value'))
    const urls = strings(r, 'nonResourceURLs')
    if (urls.length > 0) {
      if (!clusterScoped) errs.push(fieldErr.invalid(`${p}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'))
      if (strings(r, 'apiGroups').length > 0 || strings(r, 'resources').length > 0) {
        errs.push(fieldErr.invalid(`${p}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'))
      }
      return
    }
    if (strings(r, 'apiGroups').length === 0 && !has(r, 'apiGroups'))
      errs.push(fieldErr.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'))
    if (strings(r, 'resources').length === 0) errs.push(fieldErr.required(`${p}.resources`, 'resource rules must supply at least one resource'))
  })
  return errs
}

const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group']

export function validateRoleBinding(rb: Obj, clusterScoped: boolean): FieldError[] {
  const errs: FieldError[] = []
  const ref = child(rb, 'roleRef')
  const allowed = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole']
  if (!ref) errs.push(fieldErr.required('roleRef'))
  else {
    const kind = str(ref, 'kind') ?? ''
    if (!allowed.includes(kind)) errs.push(fieldErr.notSupported('roleRef.kind', kind, allowed))
    if (str(ref, 'apiGroup') !== 'rbac.authorization.k8s.io')
      errs.push(fieldErr.notSupported('roleRef.apiGroup', str(ref, 'apiGroup') ?? '', ['rbac.authorization.k8s.io']))
    if (!str(ref, 'name')) errs.push(fieldErr.required('roleRef.name'))
  }
  items(rb, 'subjects').forEach((s, i) => {
    const p = `subjects[${i}]`
    const kind = str(s, 'kind') ?? ''
    if (!SUBJECT_KINDS.includes(kind)) errs.push(fieldErr.notSupported(`${p}.kind`, kind, SUBJECT_KINDS))
    if (!str(s, 'name')) errs.push(fieldErr.required(`${p}.name`))
    if (kind === 'ServiceAccount' && clusterScoped && !str(s, 'namespace')) errs.push(fieldErr.required(`${p}.namespace`))
    if ((kind === 'User' || kind === 'Group') && str(s, 'apiGroup') !== 'rbac.authorization.k8s.io') {
      errs.push(fieldErr.notSupported(`${p}.apiGroup`, str(s, 'apiGroup') ?? '', ['rbac.authorization.k8s.io']))
    }
  })
  return errs
}

export function validateLease(lease: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(lease, 'spec')
  const d = num(spec, 'leaseDurationSeconds')
  if (d !== undefined && d <= 0) errs.push(fieldErr.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'))
  nonNegative(errs, spec, 'leaseTransitions', 'spec.leaseTransitions')
  return errs
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN']

export function validateEndpointSlice(slice: Obj): FieldError[] {
  const errs: FieldError[] = []
  const type = str(slice, 'addressType')
  if (!type) errs.push(fieldErr.required('addressType'))
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fieldErr.notSupported('addressType', type, ADDRESS_TYPES))
  items(slice, 'endpoints').forEach((ep, i) => {
    const addrs = strings(ep, 'addresses')
    if (addrs.length === 0) errs.push(fieldErr.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'))
    if (addrs.length > 100) errs.push({ type: 'FieldValueTooMany', field: `endpoints[${i}].addresses`, detail: 'must have at most 100 items' })
    addrs.forEach((a, j) => {
      const ok = type === 'IPv4' ? isIPv4(a) : type === 'IPv6' ? isIP(a) && !isIPv4(a) : isDNS1123Subdomain(a).length === 0
      if (type && ADDRESS_TYPES.includes(type) && !ok) errs.push(fieldErr.invalid(`endpoints[${i}].addresses[${j}]`, a, `must be a valid ${type} address`))
    })
  })
  items(slice, 'ports').forEach((p, i) => validPort(errs, `ports[${i}].port`, p.port))
  return errs
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute']

export function validateNode(node: Obj): FieldError[] {
  const errs: FieldError[] = []
  items(child(node, 'spec'), 'taints').forEach((t, i) => {
    const p = `spec.taints[${i}]`
    const key = str(t, 'key') ?? ''
    for (const msg of isQualifiedName(key)) errs.push(fieldErr.invalid(`${p}.key`, key, msg))
    const effect = str(t, 'effect') ?? ''
    if (!TAINT_EFFECTS.includes(effect)) errs.push(fieldErr.notSupported(`${p}.effect`, effect, TAINT_EFFECTS))
  })
  return errs
}
