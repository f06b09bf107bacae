// Waiting for a cluster to come up: first the admin kubeconfig (written by the API server when
// it listens), then every expected node Ready, watched through informers on the Nodes and their
// Leases. A node counts once its Ready condition is True and it showed life after the origin:
// a Ready heartbeat posted since then, or (as upstream's node lifecycle controller reads it) its
// Lease in kube-node-lease renewed since then — a kubelet re-posts an unchanged status only every
// 5 min, so an agent adopted by a resumed create may have posted its one Ready before the origin.
// Bounded: on timeout the error says what is missing and where the log is.
import { existsSync } from 'node:fs'
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { Node } from 'kubernetes-types/core/v1'
import { findResource } from '../../src-cluster/api/resources'
import { NODE_LEASE_NAMESPACE } from '../../src-cluster/kit/resources'
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, Informer, loadKubeconfig } from '../../src-cluster/client'

const NODES = findResource('', 'v1', 'nodes')!
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface WaitOptions {
  readonly kubeconfig: string
  readonly nodes: readonly string[]
  readonly deadline: number
  /** Checked while waiting: a string means the process died, with this explanation. */
  readonly alive: () => string | undefined
  readonly progress: (line: string) => void
  /** Called once the API server answers, before waiting for the nodes. */
  readonly apiServerUp?: () => void
  /**
   * Only a Ready condition posted at or after this time counts (not one left from before a stop),
   * or a Ready condition True whose node's Lease was renewed at or after `leaseSince`.
   */
  readonly since: Date
  /** A Lease renewed at or after this time is a heartbeat (default `since`). */
  readonly leaseSince?: Date
  /**
   * Label this node node-role.kubernetes.io/control-plane once it registers, as kubeadm's
   * mark-control-plane does with admin credentials: NodeRestriction forbids the kubelet to.
   */
  readonly controlPlaneNode?: string
  /** Several control-plane nodes: each is labelled so. */
  readonly controlPlaneNodes?: readonly string[]
}

const ROLE_LABEL = 'node-role.kubernetes.io/control-plane'

// Heartbeat times have second precision: allow the second the wait started in.
const after = (t: string | undefined, since: Date): boolean => t !== undefined && Date.parse(t) >= since.getTime() - 1000

function isReady(n: Node | undefined, lease: Lease | undefined, since: Date, leaseSince: Date): boolean {
  const ready = n?.status?.conditions?.find((c) => c.type === 'Ready')
  if (ready?.status !== 'True') return false
  return after(ready.lastHeartbeatTime, since) || after(lease?.spec?.renewTime, leaseSince)
}

export async function waitForCluster(opts: WaitOptions): Promise<void> {
  while (!existsSync(opts.kubeconfig)) {
    const dead = opts.alive()
    if (dead) throw new Error(dead)
    if (Date.now() > opts.deadline) throw new Error(`the API server did not come up in time (no ${opts.kubeconfig} yet)`)
    await sleep(100)
  }
  opts.progress('API server is up')
  opts.apiServerUp?.()
  const client = createClient({ ...loadKubeconfig(opts.kubeconfig), userAgent: 'kubelab-cli' })
  const informer = new Informer<Node & KubeObject>(client, NODES, { log: () => {} })
  const leases = new Informer<Lease & KubeObject>(client, LEASES, { namespace: NODE_LEASE_NAMESPACE, log: () => {} })
  try {
    const reported = new Set<string>()
    const labelling = new Map<string, Promise<void>>()
    const markControlPlane = (): void => {
      for (const name of [...new Set([...(opts.controlPlaneNode ? [opts.controlPlaneNode] : []), ...(opts.controlPlaneNodes ?? [])])]) markOne(name)
    }
    const markOne = (name: string): void => {
      const n = informer.get(name)
      if (!n || labelling.has(name) || n.metadata?.labels?.[ROLE_LABEL] !== undefined) return
      labelling.set(
        name,
        client
          .patch(NODES, undefined, name, { metadata: { labels: { [ROLE_LABEL]: '' } } }, 'merge')
          .then(() => opts.progress(`node ${name} labelled ${ROLE_LABEL}`))
          .catch((e: unknown) =>
            opts.progress(`could not label node ${name} ${ROLE_LABEL} (kubectl label node ${name} ${ROLE_LABEL}= adds it): ${(e as Error).message}`),
          ),
      )
    }
    const done = new Promise<void>((resolve) => {
      const check = (): void => {
        markControlPlane()
        for (const name of opts.nodes) {
          if (!reported.has(name) && isReady(informer.get(name), leases.getByName(NODE_LEASE_NAMESPACE, name), opts.since, opts.leaseSince ?? opts.since)) {
            reported.add(name)
            opts.progress(`node ${name} Ready (${reported.size}/${opts.nodes.length})`)
          }
        }
        if (reported.size === opts.nodes.length) resolve()
      }
      informer.addHandler({ add: check, update: check })
      leases.addHandler({ add: check, update: check })
      check()
    })
    let timer: NodeJS.Timeout | undefined
    const watchdog = new Promise<never>((_, reject) => {
      const tick = (): void => {
        const dead = opts.alive()
        if (dead) return reject(new Error(dead))
        if (Date.now() > opts.deadline) {
          const missing = opts.nodes.filter((n) => !reported.has(n))
          return reject(new Error(`timed out waiting for nodes to be Ready: ${missing.join(', ')} not Ready`))
        }
        timer = setTimeout(tick, 250)
      }
      tick()
    })
    await Promise.all([informer.start(), leases.start()])
    await Promise.race([done, watchdog]).finally(() => clearTimeout(timer))
    await Promise.all(labelling.values())
  } finally {
    informer.stop()
    leases.stop()
    client.close()
  }
}
