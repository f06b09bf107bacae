// Printers for core/v1 kinds other than Pod: columns and cell rules as upstream's printers.

import type {
  ConfigMap,
  Endpoints,
  Event as CoreEvent,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1'
import type { Event as EventsV1 } from 'kubernetes-types/events/v1'
import { ageSince, parseTimestamp } from '../age'
import type { KubeObject } from '../object'
import { AGE_COLUMN, NAME_COLUMN, accessModesString, ageOf, col, formatLabels, int, listWithMore, nameOf, quantity } from './format'
import type { Printer } from './types'

const as = <T>(obj: KubeObject): T => obj as unknown as T

// --- Node ------------------------------------------------------------------------------------

const ROLE_PREFIX = 'node-role.kubernetes.io/'

/** Roles from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length)
      if (role) roles.add(role)
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v)
    }
  }
  return [...roles].sort()
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>'
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Ready condition of the node, and whether scheduling is disabled.'),
    col('Roles', 'string', 'Roles taken from node-role.kubernetes.io/* labels.'),
    AGE_COLUMN,
    col('Version', 'string', 'Kubelet version reported by the node.'),
    col('Internal-IP', 'string', 'First InternalIP address of the node.', 1),
    col('External-IP', 'string', 'First ExternalIP address of the node.', 1),
    col('OS-Image', 'string', 'Operating system image reported by the node.', 1),
    col('Kernel-Version', 'string', 'Kernel version reported by the node.', 1),
    col('Container-Runtime', 'string', 'Container runtime and version reported by the node.', 1),
  ],
  row(obj, now) {
    const node = as<Node>(obj)
    // The last condition of a type wins, as upstream builds a map from the list.
    const readyCond = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop()
    const status: string[] = []
    if (readyCond) status.push(readyCond.status === 'True' ? 'Ready' : 'NotReady')
    else status.push('Unknown')
    if (node.spec?.unschedulable) status.push('SchedulingDisabled')
    const roles = nodeRoles(node.metadata?.labels).join(',') || '<none>'
    const info = node.status?.nodeInfo
    return {
      cells: [
        nameOf(obj),
        status.join(','),
        roles,
        ageOf(obj, now),
        info?.kubeletVersion ?? '',
        nodeAddress(node, 'InternalIP'),
        nodeAddress(node, 'ExternalIP'),
        info?.osImage || '<unknown>',
        info?.kernelVersion || '<unknown>',
        info?.containerRuntimeVersion || '<unknown>',
      ],
    }
  },
}

// --- Namespace, ConfigMap, Secret, ServiceAccount ---------------------------------------------

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, col('Status', 'string', 'Lifecycle phase of the namespace: Active or Terminating.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), as<Namespace>(obj).status?.phase ?? '', ageOf(obj, now)] }),
}

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, col('Data', 'string', 'Number of keys in data and binaryData.'), AGE_COLUMN],
  row(obj, now) {
    const cm = as<ConfigMap>(obj)
    return { cells: [nameOf(obj), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, ageOf(obj, now)] }
  },
}

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, col('Type', 'string', 'Type of the secret, e.g. Opaque.'), col('Data', 'string', 'Number of keys in data.'), AGE_COLUMN],
  row(obj, now) {
    const s = as<Secret>(obj)
    // stringData is merged into data on write upstream; count the union in case it is still separate.
    const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})])
    return { cells: [nameOf(obj), s.type ?? '', keys.size, ageOf(obj, now)] }
  },
}

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, col('Secrets', 'string', 'Number of secrets listed on the service account.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), (as<ServiceAccount>(obj).secrets ?? []).length, ageOf(obj, now)] }),
}

// --- Service, Endpoints -------------------------------------------------------------------------

function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {}
  const external = spec.externalIPs ?? []
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>'
    case 'LoadBalancer': {
      // The server prints wide, so load-balancer addresses are never shortened.
      const lb = [...new Set((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean))].sort()
      if (external.length > 0) return [...lb, ...external].join(',')
      return lb.length > 0 ? lb.join(',') : '<pending>'
    }
    case 'ExternalName':
      return spec.externalName ?? ''
    default:
      return '<unknown>'
  }
}

/** "80/TCP,443:30443/TCP" */
export function servicePorts(svc: Service): string {
  return (svc.spec?.ports ?? [])
    .map((p) => {
      const proto = p.protocol ?? 'TCP'
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`
    })
    .join(',')
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    col('Cluster-IP', 'string', 'Virtual IP of the service inside the cluster.'),
    col('External-IP', 'string', 'Addresses the service is reachable at from outside the cluster.'),
    col('Port(s)', 'string', 'Service ports, with the node port when there is one.'),
    AGE_COLUMN,
    col('Selector', 'string', 'Labels of the pods that back the service.', 1),
  ],
  row(obj, now) {
    const svc = as<Service>(obj)
    // Real servers always fill clusterIPs from clusterIP; fall back for objects that only have the latter.
    const clusterIP = svc.spec?.clusterIPs?.[0] ?? svc.spec?.clusterIP ?? '<none>'
    return {
      cells: [
        nameOf(obj),
        svc.spec?.type ?? '',
        clusterIP || '<none>',
        serviceExternalIP(svc),
        servicePorts(svc) || '<none>',
        ageOf(obj, now),
        formatLabels(svc.spec?.selector),
      ],
    }
  },
}

const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)

/** Ready addresses as ip:port (every port times every address), at most three shown. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? []
  if (subsets.length === 0) return '<none>'
  const items: string[] = []
  for (const ss of subsets) {
    const addrs = ss.addresses ?? []
    if ((ss.ports ?? []).length === 0) {
      // Headless services may have no ports: show bare IPs.
      for (const a of addrs) items.push(a.ip)
      continue
    }
    for (const p of ss.ports ?? []) for (const a of addrs) items.push(hostPort(a.ip, p.port))
  }
  return listWithMore(items, 3, '')
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, col('Endpoints', 'string', 'Ready endpoint addresses and ports.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), formatEndpoints(as<Endpoints>(obj)), ageOf(obj, now)] }),
}

// --- Events (core/v1 and events.k8s.io/v1 share one printer) ----------------------------------

/** An events.k8s.io/v1 object seen through core/v1 field names (the two share storage upstream). */
function asCoreEvent(obj: KubeObject): CoreEvent {
  if ('involvedObject' in obj || !('regarding' in obj)) return as<CoreEvent>(obj)
  const e = as<EventsV1>(obj)
  return {
    metadata: e.metadata ?? {},
    involvedObject: e.regarding ?? {},
    reason: e.reason,
    message: e.note,
    type: e.type,
    source: e.deprecatedSource,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    eventTime: e.eventTime,
    series: e.series,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
  }
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'Time since the event was last observed.'),
    col('Type', 'string', 'Normal or Warning.'),
    col('Reason', 'string', 'Short machine-readable reason for the event.'),
    col('Object', 'string', 'The object the event is about, as kind/name.'),
    col('Subobject', 'string', 'Part of the object the event is about, e.g. a container.', 1),
    col('Source', 'string', 'Component (and host) that reported the event.', 1),
    col('Message', 'string', 'Human-readable description of the event.'),
    col('First Seen', 'string', 'Time since the event was first observed.', 1),
    col('Count', 'string', 'How many times the event was observed.', 1),
    col('Name', 'string', 'Name of the event object.', 1, 'name'),
  ],
  row(obj, now) {
    const e = asCoreEvent(obj)
    let first = ageSince(e.firstTimestamp, now)
    if (parseTimestamp(e.firstTimestamp) === undefined) first = ageSince(e.eventTime, now)
    let last = ageSince(e.lastTimestamp, now)
    if (parseTimestamp(e.lastTimestamp) === undefined) last = first
    let count = int(e.count)
    if (e.series) {
      last = ageSince(e.series.lastObservedTime, now)
      count = int(e.series.count)
    } else if (count === 0) {
      count = 1 // singleton events of the new API carry no count
    }
    const kind = (e.involvedObject?.kind ?? '').toLowerCase()
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind
    const component = e.source?.component || e.reportingComponent || ''
    const instance = e.source?.host || e.reportingInstance || ''
    return {
      cells: [
        last,
        e.type ?? '',
        e.reason ?? '',
        target,
        e.involvedObject?.fieldPath ?? '',
        instance ? `${component}, ${instance}` : component,
        (e.message ?? '').trim(),
        first,
        count,
        e.metadata?.name ?? '',
      ],
    }
  },
}

// --- PersistentVolume, PersistentVolumeClaim ----------------------------------------------------

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class'

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Capacity', 'string', 'Storage capacity of the volume.'),
    col('Access Modes', 'string', 'Access modes: RWO, ROX, RWX, RWOP.'),
    col('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    col('Status', 'string', 'Phase of the volume, or Terminating.'),
    col('Claim', 'string', 'namespace/name of the bound claim.'),
    col('StorageClass', 'string', 'Storage class of the volume.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the volume.'),
    col('Reason', 'string', 'Reason for a failed phase.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  row(obj, now) {
    const pv = as<PersistentVolume>(obj)
    const ref = pv.spec?.claimRef
    const claim = ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : ''
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '')
    const cls = pv.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? pv.spec?.storageClassName ?? ''
    return {
      cells: [
        nameOf(obj),
        quantity(pv.spec?.capacity?.['storage']),
        accessModesString(pv.spec?.accessModes),
        pv.spec?.persistentVolumeReclaimPolicy ?? '',
        phase,
        claim,
        cls,
        pv.spec?.volumeAttributesClassName ?? '<unset>',
        pv.status?.reason ?? '',
        ageOf(obj, now),
        pv.spec?.volumeMode ?? '<unset>',
      ],
    }
  },
}

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Phase of the claim, or Terminating.'),
    col('Volume', 'string', 'Name of the bound volume.'),
    col('Capacity', 'string', 'Capacity of the bound volume.'),
    col('Access Modes', 'string', 'Access modes of the bound volume.'),
    col('StorageClass', 'string', 'Storage class of the claim.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the claim.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  row(obj, now) {
    const pvc = as<PersistentVolumeClaim>(obj)
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '')
    const bound = Boolean(pvc.spec?.volumeName)
    const cls = pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? pvc.spec?.storageClassName ?? ''
    return {
      cells: [
        nameOf(obj),
        phase,
        pvc.spec?.volumeName ?? '',
        bound ? quantity(pvc.status?.capacity?.['storage']) : '',
        bound ? accessModesString(pvc.status?.accessModes) : '',
        cls,
        pvc.spec?.volumeAttributesClassName ?? '<unset>',
        ageOf(obj, now),
        pvc.spec?.volumeMode ?? '<unset>',
      ],
    }
  },
}
