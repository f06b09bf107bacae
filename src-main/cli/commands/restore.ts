import { clusterCommand } from './cluster-util'

export const restoreCommand = clusterCommand({
  name: 'restore',
  summary: 'Bring a cluster back to a backup (verify, stop, restore the store, start)',
  usage: [
    'kubelab restore NAME FILE',
    '',
    'FILE is a backup from kubelab backup of this cluster. It is verified completely (checksums,',
    "store kind, the cluster's certificate authority) before anything is stopped; a damaged or",
    'foreign file is refused and nothing changes. The replaced store is kept beside the new one.',
  ].join('\n'),
  flags: {},
  positional: 2,
  async run(manager, { positional }) {
    await manager.restore(positional[0] as string, positional[1] as string)
    return 0
  },
})
