// The kubelet flags every containerd-backed bench starts a node with (one network namespace,
// its own containerd, state under nodeDir), so the benches measure the same kubelet.
import { join } from 'node:path'

export interface BenchKubeletNode {
  readonly kubeconfig: string
  readonly nodeName: string
  readonly nodeIp: string
  /** containerd's socket path. */
  readonly socket: string
  readonly nodeDir: string
  readonly cniConfDir: string
  readonly cgroupRoot: string
}

export function benchKubeletArgs(node: BenchKubeletNode): string[] {
  return [
    '--kubeconfig',
    node.kubeconfig,
    '--node-name',
    node.nodeName,
    '--node-ip',
    node.nodeIp,
    '--container-runtime-endpoint',
    `unix://${node.socket}`,
    '--root-dir',
    join(node.nodeDir, 'kubelet'),
    '--pod-log-dir',
    join(node.nodeDir, 'pods'),
    '--cni-conf-dir',
    node.cniConfDir,
    '--cgroup-root',
    node.cgroupRoot,
  ]
}
