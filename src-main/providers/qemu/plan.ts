// Per-cluster and per-node network identity for QEMU VMs. Every VM has two NICs:
// - nat0: QEMU user-mode networking (slirp, no root) with forwards on 127.0.0.1 for SSH and the
//   API server; its address is 10.0.2.15 in every VM, so it is useless between VMs.
// - lab0: a private L2 shared by the cluster's VMs through a UDP multicast bus on the loopback
//   interface (`-netdev socket,mcast=…,localaddr=127.0.0.1`), with a static address from
//   network-config. The bus never leaves the host's loopback, and the subnet exists only inside
//   the guests, so no host route or interface is touched.
// MACs are stable per cluster and node (QEMU's default MAC is the same for every VM and breaks
// a shared L2, QEMU.md §8).
import { createHash, randomInt } from 'node:crypto'

/** The private subnet inside the guests (first three octets); the preflight checks it against host routes. */
export const DEFAULT_L2_SUBNET = '10.113.0'

export interface ClusterNet {
  /** Multicast group of the cluster's private L2: 239.255.x.y (administratively scoped, RFC 2365). */
  readonly mcastGroup: string
  readonly mcastPort: number
  /** First three octets of the lab0 /24. */
  readonly subnet: string
}

export interface NodeNet {
  readonly address: string
  readonly prefix: number
  /** netplan form, 52:54:00:… (QEMU's locally administered prefix). */
  readonly natMac: string
  readonly labMac: string
}

/**
 * A new cluster's bus: a random group in 239.255.0.0/16 and a random port, chosen once at create
 * time and kept in qemu.json, so two clusters on one host never share an L2.
 */
export function newClusterNet(subnet = DEFAULT_L2_SUBNET, rand: (min: number, max: number) => number = randomInt): ClusterNet {
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(subnet) || subnet.split('.').some((p) => Number(p) > 255)) {
    throw new Error(`the QEMU private subnet ${JSON.stringify(subnet)} must be three octets like 10.113.0`)
  }
  return { mcastGroup: `239.255.${rand(1, 255)}.${rand(1, 255)}`, mcastPort: rand(20_000, 60_000), subnet }
}

/** Node `index` (0 = control plane): address .10+index; MACs from the cluster name, NIC and index. */
export function planNodeNet(clusterName: string, net: ClusterNet, index: number): NodeNet {
  if (!Number.isInteger(index) || index < 0 || index > 240) throw new Error(`node index ${index} does not fit a /24 (at most 241 nodes per QEMU cluster)`)
  const h = createHash('sha256').update(clusterName).digest('hex')
  const mac = (nic: number) => ['52', '54', '00', h.slice(0, 2), `${nic}${(index >> 8) & 0xf}`, (index & 0xff).toString(16).padStart(2, '0')].join(':')
  return { address: `${net.subnet}.${10 + index}`, prefix: 24, natMac: mac(1), labMac: mac(2) }
}

/** The QEMU -name / process name: short and readable in `ps`. */
export function qemuVmName(clusterName: string, nodeName: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
  return `kl-${clean(clusterName)}-${clean(nodeName)}`
}
