// The per-pod facts the scheduler precomputes once (resources, host ports, affinity terms), apart
// from the plugin contracts in types.ts so the cache and node infos do not import those.
import type { LabelSelector } from '../api/selectors'
import type { PodObj } from '../kit/objects'

/** Amounts in scheduler units: CPU in millicores, the rest in bytes or plain counts. */
export interface Resources {
  milliCPU: number
  memory: number
  ephemeralStorage: number
  /** Extended and hugepages resources, by name. */
  scalar: Map<string, number>
}

export interface HostPort {
  readonly protocol: string
  readonly port: number
  /** '0.0.0.0' when the port binds every address. */
  readonly hostIP: string
}

/** A pod affinity term with its selector parsed and its namespaces resolved by the cache. */
export interface AffinityTerm {
  readonly selector: LabelSelector
  readonly topologyKey: string
  /** Explicit namespaces (term.namespaces, or the pod's own when neither list nor selector is set). */
  readonly namespaces: readonly string[]
  /** term.namespaceSelector parsed; `{}` selects every namespace. */
  readonly namespaceSelector?: LabelSelector
  readonly weight: number
}

/** Facts about one pod computed once per object version, shared by every plugin. */
export interface PodInfo {
  readonly pod: PodObj
  readonly key: string
  readonly namespace: string
  readonly labels: Record<string, string>
  readonly priority: number
  readonly requests: Resources
  /** Requests with upstream's defaults for containers that ask for nothing (100m CPU, 200Mi). */
  readonly nonZeroCPU: number
  readonly nonZeroMemory: number
  readonly hostPorts: readonly HostPort[]
  readonly requiredAffinity: readonly AffinityTerm[]
  readonly requiredAntiAffinity: readonly AffinityTerm[]
  readonly preferredAffinity: readonly AffinityTerm[]
  readonly preferredAntiAffinity: readonly AffinityTerm[]
  readonly terminating: boolean
}
