// Host-side cluster lifecycle: the CLI, the desktop backend and `kubelab serve` all use this.
export { ClusterManager, type CreateOptions, type ClusterManagerOptions, type ClusterPhase } from './manager'
export { type ClusterRecord, type ClusterState, checkClusterName } from './state'
export { mergeKubeconfig, unmergeKubeconfig } from './kubeconfig-merge'
