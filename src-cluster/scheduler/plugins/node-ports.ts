// NodePorts: two pods cannot bind the same hostPort/protocol on a node (0.0.0.0 overlaps all).
import type { FilterPlugin } from '../types'

export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  prepare({ pod }) {
    const ports = pod.hostPorts
    if (ports.length === 0) return undefined
    return (node) => (ports.some((p) => node.portConflicts(p)) ? [REASON_NODE_PORTS] : undefined)
  },
}
