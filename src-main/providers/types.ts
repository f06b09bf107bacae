// The provider interface: how KubeLab gets machines for a cluster's nodes. `simulated` runs
// hollow nodes inside the control-plane process; `local`, `multipass` and `virtualbox` (later)
// make one machine per node and reach it over SSH. The cluster manager drives every provider
// through these calls only, and records what they return in cluster.json.

import type { HostKeyPin } from '../ssh-provisioning/host-keys'
import type { PreflightCheck } from '../contract'

export type NodeRole = 'control-plane' | 'worker'

/** One node as recorded in cluster.json. */
export interface NodeRecord {
  readonly name: string
  readonly role: NodeRole
  /** Last known state: running, stopped, or unknown. */
  state: 'running' | 'stopped' | 'unknown'
  /** The provider's own handle for the machine (VM name, pid, ...), if any. */
  machine?: string
  /**
   * Stopped on purpose with `kubelab node stop` (a failure drill): it stays stopped when the
   * cluster is stopped and started again, until `kubelab node start`.
   */
  drillStopped?: boolean
}

/** What a provider is told about the cluster it works on. */
export interface ProviderContext {
  readonly clusterName: string
  /** ~/.kubelab/clusters/NAME: the provider keeps its files here and nowhere else. */
  readonly clusterDir: string
  readonly nodes: readonly NodeRecord[]
  /** Ports chosen at create time (API server, ...), kept across restarts. */
  readonly ports: Readonly<Record<string, number>>
  /** Settings given at create time (provider-specific, e.g. simulated start delay). */
  readonly settings: Readonly<Record<string, string>>
  log(line: string): void
}

export interface DetectResult {
  readonly available: boolean
  /** e.g. "multipass 1.14.0"; for simulated the KubeLab version. */
  readonly version?: string
  /** Why it is not available and what to install or fix. */
  readonly problem?: string
}

export interface SshTarget {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly privateKeyFile: string
  /** Where the node's SSH host key is pinned (VM providers); none: any key is taken. */
  readonly hostKey?: HostKeyPin
}

export interface NodeStatusReport {
  readonly name: string
  readonly state: NodeRecord['state']
}

/** A node that came back at another address than the one the cluster was provisioned with. */
export interface AddressChange {
  readonly node: string
  readonly from: string
  readonly to: string
}

export interface Provider {
  readonly name: string
  /** Whether this provider can run here (hypervisor installed, root for local, ...). */
  detect(): Promise<DetectResult>
  /** Make the machine for one node (idempotent: an existing machine is reused). */
  createNode(ctx: ProviderContext, node: NodeRecord): Promise<NodeRecord>
  /** Boot a node (idempotent). For simulated, the control-plane node carries the whole cluster. */
  start(ctx: ProviderContext, node: NodeRecord): Promise<void>
  /** Shut a node down (idempotent). */
  stop(ctx: ProviderContext, node: NodeRecord): Promise<void>
  /** Remove a node's machine and everything the provider made for it (idempotent). */
  delete(ctx: ProviderContext, node: NodeRecord): Promise<void>
  /**
   * Remove every node of a cluster at once (what `delete` does for each, without waiting on
   * one node after another); absent: the nodes are deleted one by one.
   */
  deleteAll?(ctx: ProviderContext, nodes: readonly NodeRecord[]): Promise<void>
  /** What the provider sees now, node by node. */
  list(ctx: ProviderContext): Promise<NodeStatusReport[]>
  /** The node's address as other machines reach it, when it has one. */
  address(ctx: ProviderContext, node: NodeRecord): Promise<string | undefined>
  /**
   * Addresses (a CIDR) LoadBalancer Services get, which the host can reach; absent when the
   * provider cannot route such addresses (the Services then stay <pending>, as on a bare cluster).
   */
  loadBalancerPool?(ctx: ProviderContext): string | undefined
  /**
   * Where the host reaches the API server, when not at the control plane's address (QEMU: a
   * forward on 127.0.0.1, since the VMs' private L2 is not reachable from the host).
   */
  apiServerEndpoint?(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined>
  /**
   * Clusters with several control-plane nodes: the stable API endpoint (a load balancer the
   * provider runs) that every node's kubelet and proxy and the host's kubeconfig use, so the
   * cluster answers while any one control-plane node is down. Absent: the provider cannot run
   * several control planes yet.
   */
  haApiEndpoint?(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined>
  /**
   * VM providers, several control planes: the host's endpoint (`haApiEndpoint`) is not reachable
   * from the nodes, so every node runs its own balancer (`kubelab-api-lb` on 127.0.0.1:6444, as
   * k3s's agents) that its kubelet, proxy and admin.conf use; and etcd peers are addressed by
   * node name through an /etc/hosts block, so the members survive a VM's address change.
   */
  readonly nodeApiLb?: boolean
  /**
   * Makes 127.0.0.1:hostPort on the host reach `guestPort` on a node (NodePorts on providers whose
   * nodes the host cannot address directly); returns the host port.
   */
  forwardPort?(ctx: ProviderContext, node: NodeRecord, guestPort: number, hostPort?: number): Promise<number>
  /** Provider-specific preflight rows for the wizard (home: the KubeLab home). */
  preflight?(home: string): Promise<PreflightCheck[]>
  /**
   * VM providers: provisioning uploads the host's Linux Node.js runtime for the guest's
   * architecture (ssh-provisioning/node-runtime.ts), so guests need no internet for KubeLab's parts.
   */
  readonly shipsNodeRuntime?: boolean
  /**
   * Nodes are independent machines that may boot at the same time (VMs): a cluster start boots
   * them all at once instead of waiting for each in turn, and a stop powers workers off together.
   */
  readonly startsNodesTogether?: boolean
  /** How much slower than hardware the nodes run (an emulated VM: several times); scales provisioning's time limits. */
  timeoutScale?(ctx: ProviderContext): number
  /**
   * Nodes whose address changed since the cluster was provisioned (Multipass gives no fixed
   * address: DHCP drift after a reboot or sleep), as noticed by `start`. The provider only
   * reports them: the cluster manager repairs (provisions again over SSH), and provisioning
   * ends with `acknowledgeAddressChanges`.
   */
  addressChanges?(ctx: ProviderContext): readonly AddressChange[]
  /** Forgets the reported changes: the cluster now uses the nodes' current addresses. */
  acknowledgeAddressChanges?(ctx: ProviderContext): void
  /** How to SSH into the node; undefined when the node has no shell (simulated). */
  sshTarget(ctx: ProviderContext, node: NodeRecord): Promise<SshTarget | undefined>
}
