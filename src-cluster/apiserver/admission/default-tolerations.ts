// Upstream's DefaultTolerationSeconds admission: every new pod tolerates the not-ready and
// unreachable NoExecute taints for a limited time (300 s by default), so pods leave a failed
// node after that long. The API server calls this on pod creation (see the report for wiring);
// a cluster can lower `seconds` so a lab shows eviction quickly.
import type { Pod, Toleration } from 'kubernetes-types/core/v1'

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready'
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable'

/** Whether any of the pod's tolerations already covers `key` with effect NoExecute. */
function covers(tols: readonly Toleration[], key: string): boolean {
  return tols.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute') &&
      (t.key === key || ((t.key === undefined || t.key === '') && t.operator === 'Exists')),
  )
}

/**
 * Adds `{key: not-ready|unreachable, operator: Exists, effect: NoExecute, tolerationSeconds}`
 * unless the pod already tolerates that taint. Mutates and returns `pod`.
 */
export function defaultTolerationsAdmission<P extends Pod>(pod: P, seconds = 300): P {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`default toleration seconds must be a non-negative integer (got ${seconds})`)
  const spec = (pod.spec ??= { containers: [] })
  const tols = spec.tolerations ?? []
  const add: Toleration[] = []
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!covers(tols, key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds })
  }
  if (add.length) spec.tolerations = [...tols, ...add]
  return pod
}
