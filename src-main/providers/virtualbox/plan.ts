// Per-node network identity for VirtualBox: the static host-only address, MACs that
// network-config matches on, and the VM name. Host-only addresses stay inside 192.168.56.0/21,
// the only range VirtualBox ≥ 6.1.28 allows on Linux and macOS without /etc/vbox/networks.conf.
import { createHash } from 'node:crypto'

/** 192.168.56.0 – 192.168.63.255. */
export function inHostOnlyRange(ip: string): boolean {
  const p = ip.split('.').map(Number)
  return p.length === 4 && p[0] === 192 && p[1] === 168 && p[2]! >= 56 && p[2]! <= 63 && p[3]! >= 0 && p[3]! <= 255
}

export interface NodeNetPlan {
  /** Host-only address without prefix. */
  readonly address: string
  readonly prefix: number
  /** VBoxManage form: 12 hex digits. */
  readonly natMac: string
  readonly hostOnlyMac: string
}

/**
 * Node `index` (0 = first node in cluster.json) of a cluster on `subnet` ("192.168.56"):
 * the host is .1, nodes start at .10. MACs: VirtualBox's 08:00:27 prefix, a byte from the
 * cluster name, the NIC number and the node index, so no two KubeLab VMs share one.
 */
export function planNode(clusterName: string, subnet: string, index: number): NodeNetPlan {
  if (index < 0 || index > 240) throw new Error(`node index ${index} does not fit a /24 (at most 241 nodes per VirtualBox cluster)`)
  const address = `${subnet}.${10 + index}`
  if (!inHostOnlyRange(address))
    throw new Error(
      `host-only subnet ${subnet}.0/24 is outside 192.168.56.0/21: VirtualBox refuses it on Linux and macOS; pick one of 192.168.56–63 (skip 59, minikube's)`,
    )
  const c = createHash('sha256').update(clusterName).digest('hex').slice(0, 2).toUpperCase()
  const idx = index.toString(16).toUpperCase().padStart(3, '0')
  return { address, prefix: 24, natMac: `080027${c}1${idx}`, hostOnlyMac: `080027${c}2${idx}` }
}

export function vboxVmName(clusterName: string, nodeName: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
  return `kl-${clean(clusterName)}-${clean(nodeName)}`
}
