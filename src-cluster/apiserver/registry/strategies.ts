// Per-kind behaviour of writes (upstream's "strategies"): what a create resets, what an update
// of the main resource or of its status subresource may change, and what a kind allocates.
import { isDeepStrictEqual } from 'node:util'
import type { FieldError } from '../../api/errors'
import type { KubeObject } from '../../api/object'
import { fieldErr } from '../../api/errors'
import type { ResourceInfo } from '../../api/resources'
import type { ClusterIPAllocator, PortAllocator } from './allocators'

export interface StrategyContext {
  readonly serviceIPs: ClusterIPAllocator
  readonly nodePorts: PortAllocator
  readonly dryRun: boolean
}

type Obj = Record<string, unknown>
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})

export function hasStatusSubresource(res: ResourceInfo): boolean {
  return !!res.subresources?.some((s) => s.name === 'status')
}

/** Kinds whose status a client may set at create time (a kubelet registering its Node; the API server's APIServices). */
const KEEP_STATUS_ON_CREATE = new Set(['Node', 'APIService'])

function podQosClass(pod: Obj): string {
  const spec = asObj(pod.spec)
  const containers = [...((spec.containers as Obj[]) ?? []), ...((spec.initContainers as Obj[]) ?? [])]
  let anySet = false
  let guaranteed = containers.length > 0
  for (const c of containers) {
    const r = asObj(c.resources)
    const req = asObj(r.requests)
    const lim = asObj(r.limits)
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true
    for (const k of ['cpu', 'memory']) {
      if (lim[k] === undefined) guaranteed = false
      else if (req[k] !== undefined && req[k] !== lim[k]) guaranteed = false
    }
  }
  if (!anySet) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

/** Secret.stringData is write-only: it is merged into data (base64), as upstream's conversion does. */
function foldStringData(obj: KubeObject): void {
  const sd = obj.stringData
  if (sd && typeof sd === 'object') {
    const data = { ...asObj(obj.data) }
    for (const [k, v] of Object.entries(sd as Record<string, unknown>)) data[k] = Buffer.from(String(v), 'utf8').toString('base64')
    obj.data = data
  }
  delete obj.stringData
}

export function prepareForCreate(res: ResourceInfo, obj: KubeObject, ctx: StrategyContext): FieldError[] {
  if (hasStatusSubresource(res) && !KEEP_STATUS_ON_CREATE.has(res.kind)) delete obj.status
  if (res.kind === 'Secret') foldStringData(obj)
  // A CRD's objects are removed before the CRD itself goes (the CRD controller's finalizer).
  if (res.kind === 'CustomResourceDefinition' && res.group === 'apiextensions.k8s.io') {
    const meta = obj.metadata!
    if (!meta.finalizers?.includes('customresourcecleanup.apiextensions.k8s.io'))
      meta.finalizers = [...(meta.finalizers ?? []), 'customresourcecleanup.apiextensions.k8s.io']
    // As upstream's strategy: a new CRD's status starts with its storage version and no accepted
    // names (never absent), so clients reading status.conditions right after create find a status.
    const versions = asObj(obj.spec).versions
    const storage = Array.isArray(versions) ? (versions as { name?: string; storage?: boolean }[]).find((v) => v.storage)?.name : undefined
    obj.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] }
  }
  switch (res.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: podQosClass(obj) }
      break
    case 'Namespace': {
      const spec = asObj(obj.spec)
      if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes']
      obj.spec = spec
      obj.status = { phase: 'Active' }
      break
    }
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
      obj.status = { phase: 'Pending' }
      break
    case 'Service':
      return allocateService(obj, undefined, ctx)
  }
  return []
}

/** Main-resource update: the status subresource owns status. */
export function prepareForUpdate(res: ResourceInfo, obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[] {
  if (res.kind === 'Secret') foldStringData(obj)
  if (hasStatusSubresource(res)) {
    if (old.status === undefined) delete obj.status
    else obj.status = structuredClone(old.status)
  }
  if (res.kind === 'Service') return allocateService(obj, old, ctx)
  return []
}

/** Status-subresource update: only status (and labels/annotations) may change. */
export function prepareForStatusUpdate(res: ResourceInfo, obj: KubeObject, old: KubeObject): void {
  // The stored spec itself, not a copy: `old` is the writer's private decoding of the stored
  // object, and nothing after this changes a spec that defaulting already saw.
  if ('spec' in old) obj.spec = old.spec
  else delete obj.spec
  const meta = { ...(old.metadata ?? {}) }
  meta.labels = obj.metadata?.labels
  meta.annotations = obj.metadata?.annotations
  if (!meta.labels) delete meta.labels
  if (!meta.annotations) delete meta.annotations
  meta.resourceVersion = obj.metadata?.resourceVersion
  obj.metadata = meta
  if (res.kind === 'Namespace' && old.metadata?.deletionTimestamp) {
    // A terminating namespace stays terminating.
    asObj(obj.status).phase = 'Terminating'
  }
}

/** Whether `obj` differs from `old` in what counts for metadata.generation. */
export function specChanged(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o
    return rest
  }
  return !isDeepStrictEqual(strip(obj), strip(old))
}

export function tracksGeneration(obj: KubeObject): boolean {
  return 'spec' in obj || 'template' in obj
}

/** Release what a deleted object held. */
export function releaseOnDelete(res: ResourceInfo, obj: KubeObject, ctx: StrategyContext): void {
  if (res.kind !== 'Service' || ctx.dryRun) return
  const spec = asObj(obj.spec)
  for (const ip of (spec.clusterIPs as string[]) ?? (spec.clusterIP ? [spec.clusterIP as string] : [])) ctx.serviceIPs.release(ip)
  for (const p of (spec.ports as Obj[]) ?? []) if (typeof p.nodePort === 'number') ctx.nodePorts.release(p.nodePort)
}

/** Rebuild allocator state from a stored Service at start-up. */
export function reserveExisting(obj: KubeObject, ctx: StrategyContext): void {
  const spec = asObj(obj.spec)
  for (const ip of (spec.clusterIPs as string[]) ?? []) ctx.serviceIPs.reserve(ip)
  for (const p of (spec.ports as Obj[]) ?? []) if (typeof p.nodePort === 'number') ctx.nodePorts.reserve(p.nodePort)
}

function needsNodePorts(type: unknown): boolean {
  return type === 'NodePort' || type === 'LoadBalancer'
}

function allocateService(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): FieldError[] {
  const spec = asObj(obj.spec)
  obj.spec = spec
  const oldSpec = old ? asObj(old.spec) : undefined
  const errs: FieldError[] = []
  const taken: (() => void)[] = [] // undo on failure or dry run
  const type = spec.type ?? 'ClusterIP'

  // Cluster IP: immutable once set; "None" means headless; ExternalName has none.
  if (type === 'ExternalName') {
    if (oldSpec?.clusterIP && oldSpec.clusterIP !== 'None' && !ctx.dryRun) ctx.serviceIPs.release(oldSpec.clusterIP as string)
    delete spec.clusterIP
    delete spec.clusterIPs
  } else if (oldSpec?.clusterIP && !spec.clusterIP) {
    spec.clusterIP = oldSpec.clusterIP
    spec.clusterIPs = oldSpec.clusterIPs ?? [oldSpec.clusterIP]
  } else if (!oldSpec?.clusterIP || oldSpec.clusterIP !== spec.clusterIP) {
    const want = spec.clusterIP as string | undefined
    if (want === 'None') {
      spec.clusterIPs = ['None']
    } else if (want) {
      if (!ctx.serviceIPs.contains(want)) {
        errs.push(
          fieldErr.invalid(
            'spec.clusterIPs',
            [want],
            `failed to allocate IP ${want}: provided IP is not in the valid range. The range of valid IPs is ${ctx.serviceIPs.cidr}`,
          ),
        )
      } else if (!ctx.serviceIPs.reserve(want)) {
        errs.push(fieldErr.invalid('spec.clusterIPs', [want], `failed to allocate IP ${want}: provided IP is already allocated`))
      } else {
        taken.push(() => ctx.serviceIPs.release(want))
        spec.clusterIPs = [want]
      }
    } else {
      const ip = ctx.serviceIPs.allocate()
      taken.push(() => ctx.serviceIPs.release(ip))
      spec.clusterIP = ip
      spec.clusterIPs = [ip]
    }
  }

  // Node ports for NodePort and LoadBalancer Services.
  const ports = (spec.ports as Obj[]) ?? []
  const oldPorts = (oldSpec?.ports as Obj[]) ?? []
  const oldByPort = new Map<string, number>()
  for (const p of oldPorts) if (typeof p.nodePort === 'number') oldByPort.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort)
  const kept = new Set<number>()
  if (needsNodePorts(type)) {
    ports.forEach((p, i) => {
      const prev = oldByPort.get(`${p.port}/${p.protocol ?? 'TCP'}`)
      if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
        if (p.nodePort === prev || [...oldByPort.values()].includes(p.nodePort)) {
          kept.add(p.nodePort)
          return
        }
        if (!ctx.nodePorts.contains(p.nodePort)) {
          errs.push(
            fieldErr.invalid(
              `spec.ports[${i}].nodePort`,
              p.nodePort,
              `provided port is not in the valid range. The range of valid ports is ${ctx.nodePorts.min}-${ctx.nodePorts.max}`,
            ),
          )
        } else if (!ctx.nodePorts.reserve(p.nodePort)) {
          errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'))
        } else {
          const n = p.nodePort
          taken.push(() => ctx.nodePorts.release(n))
          kept.add(n)
        }
      } else if (prev !== undefined) {
        p.nodePort = prev
        kept.add(prev)
      } else {
        const n = ctx.nodePorts.allocate()
        taken.push(() => ctx.nodePorts.release(n))
        p.nodePort = n
        kept.add(n)
      }
    })
  } else {
    for (const p of ports) delete p.nodePort
  }
  if (errs.length || ctx.dryRun) {
    for (const undo of taken) undo()
    return errs
  }
  for (const n of oldByPort.values()) if (!kept.has(n)) ctx.nodePorts.release(n)
  return errs
}
