// The CNI network configuration list containerd's CRI plugin reads from its conf dir: the
// distribution's bridge plugin with host-local IPAM over the node's podCIDR, then portmap for
// hostPort. Loopback needs no entry (containerd sets lo up itself). Masquerading is left to our
// own iptables rules (see masquerade.ts), which know the whole cluster CIDR.

export const CNI_CONFLIST_NAME = '10-kubelab.conflist'
export const CNI_NETWORK_NAME = 'kubelab'
/** CNI spec version: Debian 12's plugins (1.1) and containerd 1.6's libcni both speak 1.0.0. */
export const CNI_VERSION = '1.0.0'

export interface CniConfigOptions {
  readonly podCIDR: string
  /** Linux bridge the pods' veths join; its address is the pods' gateway. */
  readonly bridge: string
  /** Where host-local keeps its IP leases (one per node, under the node's root). */
  readonly ipamDataDir: string
  readonly mtu?: number
}

export interface CniPluginConf {
  readonly type: string
  readonly [field: string]: unknown
}

export interface CniConflist {
  readonly cniVersion: string
  readonly name: string
  readonly plugins: readonly CniPluginConf[]
}

export function cniConflist(opts: CniConfigOptions): CniConflist {
  const bridge: CniPluginConf = {
    type: 'bridge',
    bridge: opts.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ...(opts.mtu ? { mtu: opts.mtu } : {}),
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: opts.podCIDR }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: opts.ipamDataDir,
    },
  }
  const portmap: CniPluginConf = { type: 'portmap', capabilities: { portMappings: true } }
  return { cniVersion: CNI_VERSION, name: CNI_NETWORK_NAME, plugins: [bridge, portmap] }
}

/** The conflist as the file text containerd reads. */
export function cniConflistText(opts: CniConfigOptions): string {
  return JSON.stringify(cniConflist(opts), null, 2) + '\n'
}
