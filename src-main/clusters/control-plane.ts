// The control plane of a running cluster as the app shows it: etcd's members with their status
// (from the API server's /kubelab/v1/etcd/members, which asks each member on its client URL, so
// the host needs no route to etcd) and who holds the leader-election Leases in kube-system.
// Read through the cluster's own API endpoint: on an HA cluster that is the load balancer,
// so it answers while any control-plane node is down.
import type { Client } from '../../src-cluster/client'
import type { KubeObject } from '../../src-cluster/api/object'
import { RES } from '../../src-cluster/kit/resources'
import type { ControlPlaneStatus, EtcdMemberInfo, LeaseHolderInfo } from '../contract'

/** The Leases upstream's control-plane components elect their leader with. */
export const CONTROL_PLANE_LEASES = ['kube-scheduler', 'kube-controller-manager'] as const

interface LeaseObject {
  metadata: { name: string; namespace?: string }
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number }
}

interface MemberItem {
  id: string
  name: string
  clientUrl: string
  healthy: boolean
  leader: boolean
  dbSizeBytes?: number
  raftIndex?: number
  error?: string
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** A holder identity `NODE_uuid` (leader election's default) → NODE. */
export function holderNode(identity: string): string {
  const i = identity.lastIndexOf('_')
  return i > 0 ? identity.slice(0, i) : identity
}

export function leaseInfo(lease: LeaseObject | undefined, name: string, now: number): LeaseHolderInfo {
  const identity = lease?.spec?.holderIdentity || null
  const renewTime = lease?.spec?.renewTime ?? null
  const duration = lease?.spec?.leaseDurationSeconds ?? null
  return {
    name,
    namespace: 'kube-system',
    identity,
    node: identity ? holderNode(identity) : null,
    renewTime,
    leaseDurationSeconds: duration,
    expired: identity === null || renewTime === null || duration === null || Date.parse(renewTime) + duration * 1000 < now,
  }
}

export async function controlPlaneStatus(client: Client, etcd: boolean, now = Date.now()): Promise<ControlPlaneStatus> {
  const problems: string[] = []
  let members: EtcdMemberInfo[] = []
  if (etcd) {
    try {
      const r = await client.request<{ items: MemberItem[] }>('GET', '/kubelab/v1/etcd/members')
      members = r.items
        .map((m) => ({
          name: m.name,
          id: m.id,
          clientUrl: m.clientUrl,
          healthy: m.healthy,
          leader: m.leader,
          dbSizeBytes: m.dbSizeBytes ?? null,
          raftIndex: m.raftIndex ?? null,
          error: m.error ?? null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
    } catch (e) {
      problems.push(`etcd members: ${message(e)}`)
    }
  }
  const leases = await Promise.all(
    CONTROL_PLANE_LEASES.map(async (name) => {
      try {
        const l = await client.get<LeaseObject & KubeObject>(RES.leases, 'kube-system', name)
        return leaseInfo(l, name, now)
      } catch (e) {
        problems.push(`lease ${name}: ${message(e)}`)
        return leaseInfo(undefined, name, now)
      }
    }),
  )
  return { members, leases, problem: problems.length ? problems.join('; ') : null }
}
