// What an object counts against a ResourceQuota, as upstream's quota evaluators define it
// (pkg/quota/v1/evaluator/core): pods (compute resources, `pods`, `count/pods`, scopes),
// services (node ports, load balancers), persistent volume claims (storage, per class), and
// `count/<resource>[.<group>]` for everything else. Shared by the ResourceQuota admission in
// the API server and the quota controller.
import type { KubeObject } from '../object'
import { add, fromMap, max, one, type ResourceList } from './resource-list'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])

export interface QuotaObject extends KubeObject {
  spec?: { hard?: Record<string, string>; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } }
  status?: { hard?: Record<string, string>; used?: Record<string, string> }
}
export interface ScopeRequirement {
  scopeName: string
  operator: string
  values?: string[]
}

export interface Evaluator {
  readonly group: string
  readonly plural: string
  /** The names among `names` this evaluator accounts for. */
  matchingResources(names: readonly string[]): string[]
  usage(o: KubeObject, now: Date): ResourceList
  /** Whether `o` falls in the scope requirement (only pods have scopes). */
  matchesScope(req: ScopeRequirement, o: KubeObject): boolean
  /** A reason the object may not be admitted under a quota limiting `required`, if any. */
  constraints?(required: readonly string[], o: KubeObject): string | undefined
  /** Whether an update can change usage (upstream: pods no, services and claims yes). */
  readonly chargesUpdates: boolean
}

/** `count/pods`, `count/deployments.apps`. */
export function objectCountName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`
}

/** Legacy names that count objects of a core resource, besides count/<plural>. */
const LEGACY_COUNT: Record<string, string> = {
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  persistentvolumeclaims: 'persistentvolumeclaims',
  pods: 'pods',
}

function countNames(group: string, plural: string): string[] {
  const names = [objectCountName(group, plural)]
  if (!group && LEGACY_COUNT[plural]) names.push(LEGACY_COUNT[plural]!)
  return names
}

function countUsage(group: string, plural: string): ResourceList {
  return new Map(countNames(group, plural).map((n) => [n, one()]))
}

/** Object counts only: every resource without a dedicated evaluator. */
export function objectCountEvaluator(group: string, plural: string): Evaluator {
  const names = countNames(group, plural)
  return {
    group,
    plural,
    chargesUpdates: false,
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => countUsage(group, plural),
    matchesScope: () => false,
  }
}

// ---- pods ----

const POD_RESOURCES = [
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]
const POD_PREFIXES = ['hugepages-', 'requests.hugepages-']
/** Resources a container must request explicitly when a quota limits them (upstream's validationSet). */
const VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']

/** `requests.example.com/gpu`: an extended resource, quota-able only as a request. */
function isExtendedForQuota(name: string): boolean {
  if (!name.startsWith('requests.')) return false
  const rest = name.slice('requests.'.length)
  return rest.includes('/') && !rest.startsWith('kubernetes.io/') && !rest.includes('.kubernetes.io/')
}

function containerResources(c: Obj): { requests: ResourceList; limits: ResourceList } {
  const r = obj(c.resources)
  return { requests: fromMap(r.requests as Obj), limits: fromMap(r.limits as Obj) }
}

/** upstream's podComputeUsageHelper: what requests and limits count as. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', one()]])
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r)
    if (req) {
      out.set(r, req)
      out.set(`requests.${r}`, req)
    }
    const lim = limits.get(r)
    if (lim) out.set(`limits.${r}`, lim)
  }
  for (const [name, q] of requests) {
    if (name.startsWith('hugepages-')) {
      out.set(name, q)
      out.set(`requests.${name}`, q)
    } else if (name.includes('/') && !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/')) {
      out.set(`requests.${name}`, q)
    }
  }
  return out
}

function isTerminal(pod: KubeObject, now: Date): boolean {
  const phase = obj(pod.status).phase
  if (phase === 'Succeeded' || phase === 'Failed') return true
  const del = pod.metadata?.deletionTimestamp
  if (del) {
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? 0
    if (Date.parse(del) + grace * 1000 < now.getTime()) return true
  }
  return false
}

function containersOf(pod: KubeObject): { containers: Obj[]; init: Obj[] } {
  const spec = obj(pod.spec)
  return { containers: arr(spec.containers), init: arr(spec.initContainers) }
}

export function isBestEffort(pod: KubeObject): boolean {
  const { containers, init } = containersOf(pod)
  for (const c of [...containers, ...init]) {
    const { requests, limits } = containerResources(c)
    for (const r of ['cpu', 'memory']) if ((requests.get(r)?.nano ?? 0n) !== 0n || (limits.get(r)?.nano ?? 0n) !== 0n) return false
  }
  return true
}

function isTerminating(pod: KubeObject): boolean {
  const ads = obj(pod.spec).activeDeadlineSeconds
  return typeof ads === 'number' && ads >= 0
}

function matchesValue(req: ScopeRequirement, value: string): boolean {
  const has = value !== ''
  switch (req.operator) {
    case 'Exists':
      return has
    case 'DoesNotExist':
      return !has
    case 'In':
      return has && (req.values ?? []).includes(value)
    case 'NotIn':
      return !has || !(req.values ?? []).includes(value)
    default:
      return false
  }
}

export const podEvaluator: Evaluator = {
  group: '',
  plural: 'pods',
  chargesUpdates: false,
  matchingResources(input) {
    return input.filter((n) => POD_RESOURCES.includes(n) || POD_PREFIXES.some((p) => n.startsWith(p)) || isExtendedForQuota(n))
  },
  usage(pod, now) {
    // count/pods counts every stored pod; compute resources (and `pods`) only live ones.
    let result: ResourceList = new Map([['count/pods', one()]])
    if (isTerminal(pod, now)) return result
    const { containers, init } = containersOf(pod)
    let requests: ResourceList = new Map()
    let limits: ResourceList = new Map()
    for (const c of containers) {
      const r = containerResources(c)
      requests = add(requests, r.requests)
      limits = add(limits, r.limits)
    }
    for (const c of init) {
      const r = containerResources(c)
      requests = max(requests, r.requests)
      limits = max(limits, r.limits)
    }
    const overhead = fromMap(obj(pod.spec).overhead as Obj)
    requests = add(requests, overhead)
    limits = add(limits, overhead)
    result = add(result, computeUsage(requests, limits))
    return result
  },
  matchesScope(req, pod) {
    switch (req.scopeName) {
      case 'Terminating':
        return isTerminating(pod)
      case 'NotTerminating':
        return !isTerminating(pod)
      case 'BestEffort':
        return isBestEffort(pod)
      case 'NotBestEffort':
        return !isBestEffort(pod)
      case 'PriorityClass':
        return matchesValue(req, String(obj(pod.spec).priorityClassName ?? ''))
      case 'CrossNamespacePodAffinity': {
        const aff = obj(obj(pod.spec).affinity)
        const terms = [obj(aff.podAffinity), obj(aff.podAntiAffinity)].flatMap((a) => [
          ...arr(a.requiredDuringSchedulingIgnoredDuringExecution),
          ...arr(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => obj(w.podAffinityTerm)),
        ])
        return terms.some((t) => arr(t.namespaces).length > 0 || t.namespaceSelector !== undefined)
      }
      default:
        return false
    }
  },
  constraints(required, pod) {
    const needed = VALIDATION_SET.filter((r) => required.includes(r))
    if (!needed.length) return undefined
    const missing = new Map<string, string[]>()
    const { containers, init } = containersOf(pod)
    for (const c of [...containers, ...init]) {
      const { requests, limits } = containerResources(c)
      const have = computeUsage(requests, limits)
      for (const r of needed) {
        if (!have.has(r)) missing.set(r, [...(missing.get(r) ?? []), String(c.name ?? '')])
      }
    }
    if (!missing.size) return undefined
    return `must specify ${[...missing.keys()]
      .sort()
      .map((r) => `${r} for: ${[...new Set(missing.get(r))].sort().join(',')}`)
      .join('; ')}`
  },
}

// ---- services ----

export const serviceEvaluator: Evaluator = {
  group: '',
  plural: 'services',
  chargesUpdates: true,
  matchingResources: (input) => input.filter((n) => ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'].includes(n)),
  usage(svc) {
    const spec = obj(svc.spec)
    const ports = arr(spec.ports).length
    const out = countUsage('', 'services')
    if (spec.type === 'NodePort') out.set('services.nodeports', { nano: BigInt(ports) * 1_000_000_000n, format: 'DecimalSI' })
    if (spec.type === 'LoadBalancer') {
      if (spec.allocateLoadBalancerNodePorts !== false) out.set('services.nodeports', { nano: BigInt(ports) * 1_000_000_000n, format: 'DecimalSI' })
      out.set('services.loadbalancers', one())
    }
    return out
  },
  matchesScope: () => false,
}

// ---- persistent volume claims ----

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/'

export const pvcEvaluator: Evaluator = {
  group: '',
  plural: 'persistentvolumeclaims',
  chargesUpdates: true,
  matchingResources: (input) =>
    input.filter(
      (n) =>
        ['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage'].includes(n) ||
        (n.includes(STORAGE_CLASS_SUFFIX) && /\/(persistentvolumeclaims|requests\.storage)$/.test(n)),
    ),
  usage(pvc) {
    const spec = obj(pvc.spec)
    const out = countUsage('', 'persistentvolumeclaims')
    const storage = fromMap(obj(obj(spec.resources).requests) as Obj).get('storage')
    const cls = typeof spec.storageClassName === 'string' ? spec.storageClassName : ''
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one())
    if (storage) {
      out.set('requests.storage', storage)
      if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage)
    }
    return out
  },
  matchesScope: () => false,
}

export function evaluatorFor(group: string, plural: string): Evaluator {
  if (!group && plural === 'pods') return podEvaluator
  if (!group && plural === 'services') return serviceEvaluator
  if (!group && plural === 'persistentvolumeclaims') return pvcEvaluator
  return objectCountEvaluator(group, plural)
}

/** The scopes of a quota as requirements: each of spec.scopes is an Exists on that scope. */
export function scopeRequirements(quota: QuotaObject): ScopeRequirement[] {
  return [...(quota.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' })), ...(quota.spec?.scopeSelector?.matchExpressions ?? [])]
}

/** Whether `obj` counts against `quota` given `hardNames` (upstream's evaluator Matches). */
export function quotaMatches(ev: Evaluator, quota: QuotaObject, hardNames: readonly string[], obj: KubeObject): boolean {
  if (!ev.matchingResources(hardNames).length) return false
  return scopeRequirements(quota).every((r) => ev.matchesScope(r, obj))
}

/**
 * The resource (group, plural) a quota name counts, for names that name one: `count/x.g`, the
 * legacy object names, and the compute names (pods).
 */
export function resourcesForName(name: string): { group: string; plural: string } | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length)
    const dot = rest.indexOf('.')
    return dot < 0 ? { group: '', plural: rest } : { group: rest.slice(dot + 1), plural: rest.slice(0, dot) }
  }
  if (name in LEGACY_COUNT) return { group: '', plural: LEGACY_COUNT[name]! }
  if (['services.nodeports', 'services.loadbalancers'].includes(name)) return { group: '', plural: 'services' }
  if (name === 'requests.storage' || name.includes(STORAGE_CLASS_SUFFIX)) return { group: '', plural: 'persistentvolumeclaims' }
  if (podEvaluator.matchingResources([name]).length) return { group: '', plural: 'pods' }
  return undefined
}
