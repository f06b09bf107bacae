import { clusterCommand } from './cluster-util'

export const backupCommand = clusterCommand({
  name: 'backup',
  summary: 'Write a verified backup of a running cluster (store snapshot at one revision + certificates)',
  usage: [
    'kubelab backup NAME [--out FILE]',
    '',
    '  --out FILE   where to write it (default ./kubelab-NAME-TIME.backup.tar.gz)',
    '',
    'The store snapshot is consistent (one revision, also while the cluster is busy): the embedded',
    "store's snapshot, or etcd's as etcdctl snapshot save makes it. Every entry carries a SHA-256.",
  ].join('\n'),
  flags: { out: 'string' },
  positional: 1,
  async run(manager, { positional, flags }) {
    await manager.backup(positional[0] as string, flags.out)
    return 0
  },
})
