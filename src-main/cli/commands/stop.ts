import { clusterCommand } from './cluster-util'

export const stopCommand = clusterCommand({
  name: 'stop',
  summary: 'Stop a cluster (its state stays on disk)',
  usage: 'kubelab stop NAME',
  flags: {},
  positional: 1,
  async run(manager, { positional }) {
    await manager.stop(positional[0] as string)
    return 0
  },
})
