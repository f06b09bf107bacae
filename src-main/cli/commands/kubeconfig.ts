import { clusterCommand } from './cluster-util'

/** `kubelab kubeconfig NAME [--merge]`: the admin kubeconfig's path, or merge it into ~/.kube/config. */
export const kubeconfigCommand = clusterCommand({
  name: 'kubeconfig',
  summary: "Print a cluster's kubeconfig path, or merge it into ~/.kube/config",
  usage: [
    'kubelab kubeconfig NAME [--merge]',
    '  --merge   add/update context kubelab-NAME in ~/.kube/config ($KUBECONFIG) and make it current; other contexts are kept',
  ].join('\n'),
  flags: { merge: 'boolean' },
  positional: 1,
  async run(manager, { flags, positional }, io) {
    const name = positional[0] as string
    if (!flags.merge) {
      io.out(manager.kubeconfigPath(name))
      return 0
    }
    const target = manager.mergeKubeconfig(name)
    io.out(`context kubelab-${name} merged into ${target} (now current): kubectl --context kubelab-${name} get nodes`)
    return 0
  },
})
