// The lab format: Killercoda's scenario index.json (intro/steps/finish, background, foreground,
// verify, assets) plus KubeLab's additions under a `kubelab` key at lab and step level. The
// raw types mirror the file; `Lab`/`LabStep` are the loaded, validated and defaulted form the
// runner uses (paths made absolute, defaults filled in).

export type LabLevel = 'beginner' | 'intermediate' | 'advanced'

/** Capability tags a lab may need (LABS.md §3); `workers>=N` is written as nodes.workers. */
export const CAPABILITIES = ['runtime', 'node-ssh', 'host-to-node', 'networkpolicy', 'metrics', 'ingress', 'storage', 'etcd', 'rbac', 'loadbalancer'] as const
export type Capability = (typeof CAPABILITIES)[number]

export interface RawTextRef {
  text?: string
  background?: string
  foreground?: string
}

export interface RawHostProbe {
  node: string
  port: number
  path?: string
  expectStatus?: number
}

export interface RawStepExtras {
  solution?: string
  hints?: string[]
  hintAfter?: number
  timeoutSeconds?: number
  runOn?: string
  nodeChecks?: Record<string, string>
  hostProbes?: RawHostProbe[]
  /** Shown when verify fails without saying why (no reason file, no stdout). */
  failureReason?: string
}

export interface RawStep extends RawTextRef {
  title?: string
  verify?: string
  kubelab?: RawStepExtras
}

export interface RawAsset {
  file: string
  target: string
  chmod?: string
}

export interface RawLabExtras {
  id?: string
  formatVersion?: number
  level?: LabLevel
  minutes?: number
  /** Workers and control-plane nodes the lab needs (controlPlanes: 3 for an HA drill). */
  nodes?: { workers?: number; controlPlanes?: number }
  needs?: string[]
  images?: string[]
  /** Namespaces the runner creates (labelled as lab-owned) before the intro's background. */
  namespaces?: string[]
  /** Timeout for each background and solution script, default 60. */
  setupTimeoutSeconds?: number
  /**
   * Script that undoes what the lab changed outside its namespaces (node labels, taints,
   * cordons); run on cp (or on cleanupOn) before start, reset and stop.
   */
  cleanup?: string
  /** Node the cleanup script runs on (cp, w1, ...), default cp: a lab that changed a worker's files repairs them there. */
  cleanupOn?: string
}

/** index.json as written on disk. */
export interface RawLabIndex {
  title?: string
  description?: string
  details?: {
    intro?: RawTextRef
    steps?: RawStep[]
    finish?: { text?: string }
    assets?: Record<string, RawAsset[]>
  }
  backend?: { imageid?: string }
  interface?: { layout?: string }
  kubelab?: RawLabExtras
}

export interface HostProbe {
  readonly node: string
  readonly port: number
  readonly path: string
  readonly expectStatus: number
}

export interface LabStep {
  /** 1-based, as the learner sees it. */
  readonly number: number
  readonly title: string
  /** Absolute paths; undefined when the step has none. */
  readonly text?: string
  readonly background?: string
  readonly foreground?: string
  readonly verify?: string
  readonly solution?: string
  readonly hints: readonly string[]
  readonly hintAfter: number
  readonly timeoutSeconds: number
  readonly runOn: string
  readonly nodeChecks: Readonly<Record<string, string>>
  readonly hostProbes: readonly HostProbe[]
  readonly failureReason?: string
}

export interface LabNeeds {
  readonly workers: number
  /** Control-plane nodes needed; 1 unless the lab drills a highly available control plane. */
  readonly controlPlanes: number
  readonly capabilities: readonly Capability[]
  readonly images: readonly string[]
}

export interface Lab {
  readonly id: string
  readonly dir: string
  readonly title: string
  readonly description: string
  readonly level: LabLevel
  readonly minutes: number
  readonly needs: LabNeeds
  readonly namespaces: readonly string[]
  readonly setupTimeoutSeconds: number
  /** Absolute path of the lab's cleanup script (kubelab.cleanup), if any. */
  readonly cleanup?: string
  /** Node alias the cleanup script runs on (kubelab.cleanupOn, default cp). */
  readonly cleanupOn: string
  readonly intro: { readonly text?: string; readonly background?: string; readonly foreground?: string }
  readonly steps: readonly LabStep[]
  readonly finish: { readonly text?: string }
  readonly assets: Readonly<Record<string, readonly RawAsset[]>>
  readonly imageid?: string
}

/** Label on every namespace (and cluster-scoped object) a lab owns; reset deletes them. */
export const LAB_LABEL = 'kubelab.dev/lab'
