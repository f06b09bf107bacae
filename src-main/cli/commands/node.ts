import { usageExitCode } from '../command'
import { clusterCommand } from './cluster-util'

const usage = [
  'kubelab node stop|start CLUSTER NODE',
  '  stop: the node stops heartbeating and reporting (it goes NotReady, its pods move after their toleration)',
  '  start: the node comes back',
].join('\n')

export const nodeCommand = clusterCommand({
  name: 'node',
  summary: 'Stop or start one node of a cluster (simulate a node failure)',
  usage,
  flags: {},
  positional: 3,
  async run(manager, { positional }, io) {
    const [action, cluster, node] = positional as [string, string, string]
    if (action === 'stop') await manager.nodeStop(cluster, node)
    else if (action === 'start') await manager.nodeStart(cluster, node)
    else {
      io.err(`kubelab node: unknown action ${action}: use stop or start\n\nUsage: ${usage}`)
      return usageExitCode
    }
    return 0
  },
})
