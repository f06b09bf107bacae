// Which nodes a DaemonSet pod belongs on: node name, nodeSelector, required node affinity and
// taints (with the tolerations upstream adds to every daemon pod), and the pinning affinity
// that makes the scheduler bind a daemon pod to its node.
import type { Toleration } from 'kubernetes-types/core/v1'
import { nodeRequirementMatches, toleratesTaint } from '../../api/node-matching'
import type { PodTemplateSpec } from './types'
import type { DaemonSetObj, NodeObj } from '../../kit/objects'

const NOT_READY = 'node.kubernetes.io/not-ready'
const UNREACHABLE = 'node.kubernetes.io/unreachable'

/** The tolerations every daemon pod gets, so it runs on nodes under pressure or cordoned. */
export function defaultDaemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ]
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' })
  return t
}

/** The template with the default tolerations added (ones already present with the same key and effect are kept). */
export function daemonPodTemplate(ds: DaemonSetObj): PodTemplateSpec {
  const template = structuredClone(ds.spec?.template ?? {})
  const spec = (template.spec ??= { containers: [] })
  const tolerations = spec.tolerations ?? []
  for (const t of defaultDaemonTolerations(!!spec.hostNetwork)) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t)
  }
  spec.tolerations = tolerations
  return template
}

export { toleratesTaint as tolerates }

/** nodeSelector and required node affinity (terms ORed, requirements within a term ANDed). */
export function fitsNodeAffinity(template: PodTemplateSpec, node: NodeObj): boolean {
  const labels = node.metadata?.labels ?? {}
  for (const [k, v] of Object.entries(template.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false
  const terms = template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (!terms || terms.length === 0) return true
  return terms.some((term) => {
    const exprs = term.matchExpressions ?? []
    const fields = term.matchFields ?? []
    if (exprs.length === 0 && fields.length === 0) return false
    return (
      exprs.every((r) => nodeRequirementMatches(r, labels[r.key])) &&
      fields.every((r) => nodeRequirementMatches(r, r.key === 'metadata.name' ? node.metadata?.name : undefined))
    )
  })
}

export interface Placement {
  /** A daemon pod should be created here. */
  shouldRun: boolean
  /** An existing daemon pod may stay (it tolerates the NoExecute taints). */
  shouldContinueRunning: boolean
}

/** upstream's NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: NodeObj, ds: DaemonSetObj): Placement {
  const template = daemonPodTemplate(ds)
  const pinned = template.spec?.nodeName
  if (pinned && pinned !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false }
  if (!fitsNodeAffinity(template, node)) return { shouldRun: false, shouldContinueRunning: false }
  const tolerations = template.spec?.tolerations ?? []
  const untolerated = (node.spec?.taints ?? []).filter(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => toleratesTaint(tol, t)),
  )
  if (untolerated.length) return { shouldRun: false, shouldContinueRunning: !untolerated.some((t) => t.effect === 'NoExecute') }
  return { shouldRun: true, shouldContinueRunning: true }
}

/** Pin a daemon pod to `nodeName` with a required matchFields affinity, replacing other required terms. */
export function pinToNode(template: PodTemplateSpec, nodeName: string): void {
  const spec = (template.spec ??= { containers: [] })
  const affinity = (spec.affinity ??= {})
  const na = (affinity.nodeAffinity ??= {})
  na.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  }
}

/** The node a daemon pod is for: its nodeName, or the node its pinning affinity names. */
export function targetNodeName(pod: { spec?: PodTemplateSpec['spec'] & { nodeName?: string } }): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((r) => r.key === 'metadata.name' && r.operator === 'In' && r.values?.length === 1)
    if (f) return f.values![0]
  }
  return undefined
}
