// Repair after a VM came back with another address (Multipass gives no fixed address: DHCP
// drift after a reboot or sleep, canonical/multipass#3792, #1501, #2690). Re-runs the cluster's
// SSH provisioning with the addresses the VMs have now: the API server certificate is re-issued
// for the new master address, every node's kubeconfigs point at it, each kubelet advertises its
// new node IP (install-node.sh restarts what changed), and the admin kubeconfig gets the new
// server. `machines` must start VMs without repairing again (no recursion).
import { provisionCluster } from '../../clusters/provision'
import { formatStepEvent } from '../../provisioning/steps'
import type { Provider, ProviderContext } from '../types'

export interface AddressChangeNote {
  readonly node: string
  readonly from: string
  readonly to: string
}

export function describeChanges(changes: readonly AddressChangeNote[]): string {
  return changes.map((c) => `${c.node} ${c.from} → ${c.to}`).join(', ')
}

export async function repairAfterAddressChange(machines: Provider, ctx: ProviderContext, changes: readonly AddressChangeNote[]): Promise<void> {
  ctx.log(`address change after restart (${describeChanges(changes)}): repairing certificates, node addresses and the kubeconfig over SSH`)
  try {
    await provisionCluster({
      provider: machines,
      ctx,
      onEvent: (e) => {
        if (e.status !== 'line' || e.step === 'install') ctx.log(formatStepEvent(e))
      },
    })
  } catch (e) {
    throw new Error(
      `the nodes' addresses changed (${describeChanges(changes)}) and the repair failed: ${(e as Error).message}\n` +
        'until it succeeds kubectl and the nodes still use the old addresses (TLS errors, NotReady nodes); run kubelab start again to retry the repair',
    )
  }
  ctx.log('repair done: the API server certificate, node addresses and kubeconfig use the new addresses')
}
