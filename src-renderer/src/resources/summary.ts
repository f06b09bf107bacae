// What a detail page's summary shows, read from the object itself: status, conditions, labels,
// annotations, containers (image, ports, restarts, state), node and owners. Pure; unit-tested.
import type { JsonObject } from '@contract'
import { resourceTypes } from '@contract'

export interface ConditionInfo {
  type: string
  status: string
  reason: string
  message: string
  since: string | null
}

export interface ContainerInfo {
  name: string
  init: boolean
  image: string
  ports: string[]
  ready: boolean | null
  restarts: number
  /** kubectl's words: Running, Waiting (CrashLoopBackOff), Terminated (Completed, exit 0). */
  state: string
}

export interface OwnerLink {
  kind: string
  name: string
  /** The Resources type to open it with; null for kinds the app does not list. */
  type: string | null
}

export interface Summary {
  status: string
  conditions: ConditionInfo[]
  labels: [string, string][]
  annotations: [string, string][]
  containers: ContainerInfo[]
  node: string | null
  owners: OwnerLink[]
  facts: [string, string][]
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : [])
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '')

export function typeOfKind(kind: string): string | null {
  return resourceTypes.find((t) => t.kind === kind)?.type ?? null
}

function stateWords(s: Obj): string {
  const st = obj(s.state)
  if (st.running) return 'Running'
  if (st.waiting) return `Waiting${str(obj(st.waiting).reason) ? ` (${str(obj(st.waiting).reason)})` : ''}`
  if (st.terminated) {
    const t = obj(st.terminated)
    return `Terminated (${str(t.reason) || 'exit'}, exit ${str(t.exitCode) || '?'})`
  }
  return 'Not started'
}

function containersOf(spec: Obj, status: Obj, withStatus: boolean): ContainerInfo[] {
  const statuses = new Map<string, Obj>()
  for (const s of [...arr(status.initContainerStatuses), ...arr(status.containerStatuses)]) statuses.set(str(s.name), s)
  const one = (c: Obj, init: boolean): ContainerInfo => {
    const s = statuses.get(str(c.name))
    return {
      name: str(c.name),
      init,
      image: str(c.image),
      ports: arr(c.ports).map((p) => `${str(p.containerPort)}/${str(p.protocol) || 'TCP'}${str(p.name) ? ` (${str(p.name)})` : ''}`),
      ready: s ? s.ready === true : null,
      restarts: s ? Number(s.restartCount ?? 0) : 0,
      // Templates (Deployments, ...) have no container state; a pod's container may not have started.
      state: s ? stateWords(s) : withStatus ? 'Not started' : '',
    }
  }
  return [...arr(spec.initContainers).map((c) => one(c, true)), ...arr(spec.containers).map((c) => one(c, false))]
}

export function summarize(kind: string, json: JsonObject, rowStatus: string): Summary {
  const meta = obj(json.metadata)
  const spec = obj(json.spec)
  const status = obj(json.status)
  const podSpec = kind === 'Pod' ? spec : kind === 'CronJob' ? obj(obj(obj(obj(spec.jobTemplate).spec).template).spec) : obj(obj(spec.template).spec)
  const facts: [string, string][] = []
  const add = (k: string, v: unknown): void => {
    const s = str(v)
    if (s !== '') facts.push([k, s])
  }
  if (kind === 'Pod') {
    add('Phase', status.phase)
    add('Pod IP', status.podIP)
    add('QoS class', status.qosClass)
  } else if (spec.replicas !== undefined || status.replicas !== undefined) {
    add('Replicas', `${str(status.readyReplicas) || '0'} ready / ${str(spec.replicas) || str(status.replicas) || '0'} desired`)
  }
  if (kind === 'Service') {
    add('Type', spec.type)
    add('Cluster IP', spec.clusterIP)
    add(
      'Ports',
      arr(spec.ports)
        .map((p) => `${str(p.port)}→${str(p.targetPort) || str(p.port)}/${str(p.protocol) || 'TCP'}`)
        .join(', '),
    )
  }
  if (kind === 'Node') {
    const info = obj(status.nodeInfo)
    add('Kubelet', info.kubeletVersion)
    add(
      'Addresses',
      arr(status.addresses)
        .map((a) => str(a.address))
        .join(', '),
    )
    if (spec.unschedulable === true) add('Scheduling', 'Cordoned (SchedulingDisabled)')
  }
  add('Created', meta.creationTimestamp)
  return {
    status: rowStatus,
    conditions: arr(status.conditions).map((c) => ({
      type: str(c.type),
      status: str(c.status),
      reason: str(c.reason),
      message: str(c.message),
      since: str(c.lastTransitionTime) || null,
    })),
    labels: Object.entries(obj(meta.labels)).map(([k, v]) => [k, str(v)]),
    annotations: Object.entries(obj(meta.annotations))
      .map(([k, v]) => [k, str(v)] as [string, string])
      .filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'),
    containers: containersOf(podSpec, kind === 'Pod' ? status : {}, kind === 'Pod'),
    node: kind === 'Pod' ? str(spec.nodeName) || null : null,
    owners: arr(meta.ownerReferences).map((r) => ({ kind: str(r.kind), name: str(r.name), type: typeOfKind(str(r.kind)) })),
    facts,
  }
}

/** Which list holds the objects a kind owns (Deployment → ReplicaSets → Pods). */
export function ownedTypes(kind: string): string[] {
  if (kind === 'Deployment') return ['replicasets']
  if (kind === 'CronJob') return ['jobs']
  if (kind === 'ReplicaSet' || kind === 'StatefulSet' || kind === 'DaemonSet' || kind === 'Job') return ['pods']
  return []
}
