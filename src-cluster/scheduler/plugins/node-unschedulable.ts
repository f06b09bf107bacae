// NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).
import type { FilterPlugin } from '../types'
import { tolerates } from './taint-toleration'

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable'
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  prepare({ pod }) {
    const tolerated = tolerates(pod.pod.spec?.tolerations ?? [], TAINT)
    if (tolerated) return undefined
    return (node) => (node.unschedulable ? [REASON_UNSCHEDULABLE] : undefined)
  },
}
