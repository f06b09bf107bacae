import { clusterCommand } from './cluster-util'

export const deleteCommand = clusterCommand({
  name: 'delete',
  summary: 'Delete a cluster: stop its processes and remove all its files',
  usage: 'kubelab delete NAME',
  flags: {},
  positional: 1,
  async run(manager, { positional }) {
    await manager.delete(positional[0] as string)
    return 0
  },
})
