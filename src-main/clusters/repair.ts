// Repair after machines came back with other addresses (Multipass gives no fixed address: DHCP
// drift after a reboot or sleep, canonical/multipass#3792, #1501, #2690). The provider only
// reports the change (`Provider.addressChanges`); this re-runs the cluster's SSH provisioning
// with the addresses the machines have now: the API server certificate is re-issued for the new
// master address, every node's kubeconfigs point at it, each kubelet advertises its new node IP
// (install-node.sh restarts what changed), and the admin kubeconfig gets the new server.
// Provisioning ends by acknowledging the changes.
import type { AddressChange, Provider, ProviderContext } from '../providers/types'
import { formatStepEvent } from '../ssh-provisioning/steps'
import { provisionCluster } from './provision'

export function describeChanges(changes: readonly AddressChange[]): string {
  return changes.map((c) => `${c.node} ${c.from} → ${c.to}`).join(', ')
}

/** Repairs the cluster when its provider reports nodes at new addresses; nothing otherwise. */
export async function repairAddressChanges(provider: Provider, ctx: ProviderContext): Promise<void> {
  const changes = provider.addressChanges?.(ctx) ?? []
  if (changes.length === 0) return
  ctx.log(`address change after restart (${describeChanges(changes)}): repairing certificates, node addresses and the kubeconfig over SSH`)
  try {
    await provisionCluster({
      provider,
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
