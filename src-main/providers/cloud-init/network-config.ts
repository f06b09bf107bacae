// NoCloud network-config (netplan v2) for VirtualBox nodes: NIC 1 (NAT) on DHCP for the SSH
// forward and the internet, NIC 2 (host-only) with the node's static address. Both are matched
// by MAC and renamed, so the guest's interface naming (enp0s3/enp0s8) does not matter. Cluster
// traffic must use lab0: the NAT address is 10.0.2.15 in every VM (PROVIDERS.md §3.5).
import { stringify } from 'yaml'
import { YAML_OPTS } from './user-data'

export interface VmNetwork {
  /** NAT NIC MAC, any common form ("080027AA0001" or "08:00:27:aa:00:01"). */
  readonly natMac: string
  readonly hostOnlyMac: string
  /** Static host-only address with prefix: "192.168.56.11/24". */
  readonly address: string
}

/** "080027AA0001" → "08:00:27:aa:00:01" (netplan's form). */
export function colonMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase()
  if (hex.length !== 12) throw new Error(`MAC address ${JSON.stringify(mac)} must have 12 hex digits`)
  return hex.match(/../g)!.join(':')
}

export function renderNetworkConfig(vmNetwork: VmNetwork): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(vmNetwork.address))
    throw new Error(`host-only address ${JSON.stringify(vmNetwork.address)} must look like 192.168.56.11/24`)
  return stringify(
    {
      version: 2,
      ethernets: {
        nat0: { match: { macaddress: colonMac(vmNetwork.natMac) }, 'set-name': 'nat0', dhcp4: true },
        lab0: { match: { macaddress: colonMac(vmNetwork.hostOnlyMac) }, 'set-name': 'lab0', dhcp4: false, addresses: [vmNetwork.address] },
      },
    },
    YAML_OPTS,
  )
}
