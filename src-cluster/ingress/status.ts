// Ingress status: status.loadBalancer.ingress lists the addresses of the nodes running this
// controller. Only one instance writes (the live one with the first node name), so instances
// never fight; the others take over when its Lease expires. Ingresses that are not ours lose
// our addresses (e.g. after their class changed) but keep any other controller's.
import type { Client } from '../client'
import type { Instance } from './presence'
import type { IngressObj } from '../kit/objects'
import { RES } from '../kit/resources'

type LbIngress = NonNullable<NonNullable<NonNullable<IngressObj['status']>['loadBalancer']>['ingress']>[number]

export interface StatusChange {
  readonly namespace: string
  readonly name: string
  readonly ingress: LbIngress[]
}

const sortIps = (ips: Iterable<string>): string[] => [...new Set(ips)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))

function same(a: readonly LbIngress[], b: readonly LbIngress[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The status writes needed. `ours` tells which Ingresses we implement; `known` are every address
 * any of our instances ever announced (so stale ones are removed from Ingresses we dropped).
 */
export function statusChanges(
  ingresses: readonly IngressObj[],
  ours: (i: IngressObj) => boolean,
  live: readonly Instance[],
  known: ReadonlySet<string>,
): StatusChange[] {
  const liveIps = sortIps(live.map((i) => i.address))
  const out: StatusChange[] = []
  for (const ing of ingresses) {
    const current = ing.status?.loadBalancer?.ingress ?? []
    let want: LbIngress[]
    if (ours(ing)) want = liveIps.map((ip) => ({ ip }))
    else want = current.filter((e) => !(e.ip && (known.has(e.ip) || liveIps.includes(e.ip))))
    if (!same(current, want)) out.push({ namespace: ing.metadata?.namespace ?? '', name: ing.metadata?.name ?? '', ingress: want })
  }
  return out
}

/** Whether this instance is the one that writes status. */
export function isStatusWriter(node: string, live: readonly Instance[]): boolean {
  return live.length > 0 && live[0]!.node === node
}

export async function writeStatus(client: Client, statusChange: StatusChange): Promise<void> {
  // A merge patch replaces the list whole: exactly the addresses we want.
  await client.patch(RES.ingresses, statusChange.namespace, statusChange.name, { status: { loadBalancer: { ingress: statusChange.ingress } } }, 'merge', {
    subresource: 'status',
  })
}
