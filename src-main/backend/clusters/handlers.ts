// The clusters requests of the contract, wired to ClusterOps.
import type { ClusterRequests, ControlPlaneStatus } from '../../contract'
import type { Handler } from '../handlers'
import { noParams } from '../handlers'
import { parseClusterName, parseCreate, parseNodeRef, parseOperationRef } from './params'
import type { ClusterOps } from '../../clusters/ops/service'

export type ClusterHandlers = { [K in keyof ClusterRequests]: Handler<K> }

export function createClusterHandlers(ops: ClusterOps, controlPlane: (name: string) => Promise<ControlPlaneStatus>): ClusterHandlers {
  return {
    'clusters.list': { parse: noParams('clusters.list'), run: () => ops.list() },
    'clusters.providers': { parse: noParams('clusters.providers'), run: () => ops.providers() },
    'clusters.preflight': { parse: parseCreate, run: (p) => ops.preflight(p) },
    'clusters.create': { parse: parseCreate, run: async (p) => ops.create(p) },
    'clusters.start': { parse: parseClusterName('clusters.start'), run: async (p) => ops.start(p.name) },
    'clusters.stop': { parse: parseClusterName('clusters.stop'), run: async (p) => ops.stop(p.name) },
    'clusters.delete': { parse: parseClusterName('clusters.delete'), run: async (p) => ops.delete(p.name) },
    'clusters.operations': { parse: noParams('clusters.operations'), run: async () => ops.operations() },
    'clusters.cancel': { parse: parseOperationRef('clusters.cancel'), run: (p) => ops.cancel(p.id) },
    'clusters.retry': { parse: parseOperationRef('clusters.retry'), run: async (p) => ops.retry(p.id) },
    'clusters.nodes': { parse: parseClusterName('clusters.nodes'), run: (p) => ops.nodes(p.name) },
    'clusters.nodeStop': { parse: parseNodeRef('clusters.nodeStop'), run: (p) => ops.nodeAction(p.name, p.node, 'stop') },
    'clusters.nodeStart': { parse: parseNodeRef('clusters.nodeStart'), run: (p) => ops.nodeAction(p.name, p.node, 'start') },
    'clusters.controlPlane': { parse: parseClusterName('clusters.controlPlane'), run: (p) => controlPlane(p.name) },
    'clusters.kubeconfig': { parse: parseClusterName('clusters.kubeconfig'), run: async (p) => ops.kubeconfig(p.name) },
    'clusters.mergeKubeconfig': { parse: parseClusterName('clusters.mergeKubeconfig'), run: async (p) => ops.mergeKubeconfig(p.name) },
  }
}
