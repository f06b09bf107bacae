// Waiting for a cluster to come up: first the admin kubeconfig (written by the API server when
// it listens), then every expected node Ready, watched through an informer. Bounded: on timeout
// the error says what is missing and where the log is.
import { existsSync } from 'node:fs'
import type { Node } from 'kubernetes-types/core/v1'
import { findResource } from '../../src-cluster/api/resources'
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, Informer, loadKubeconfig } from '../../src-cluster/client'

const NODES = findResource('', 'v1', 'nodes')!
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
  /** Only a Ready condition posted at or after this time counts (not one left from before a stop). */
  readonly since: Date
  /**
   * Label this node node-role.kubernetes.io/control-plane once it registers, as kubeadm's
   * mark-control-plane does with admin credentials: NodeRestriction forbids the kubelet to.
   */
  readonly controlPlaneNode?: string
  /** Several control-plane nodes: each is labelled so. */
  readonly controlPlaneNodes?: readonly string[]
}

const ROLE_LABEL = 'node-role.kubernetes.io/control-plane'

function isReady(n: Node | undefined, since: Date): boolean {
  // Heartbeat times have second precision: allow the second the wait started in.
  const fresh = (t: string | undefined): boolean => t !== undefined && Date.parse(t) >= since.getTime() - 1000
  return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && fresh(c.lastHeartbeatTime)) === true
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
          if (!reported.has(name) && isReady(informer.get(name), opts.since)) {
            reported.add(name)
            opts.progress(`node ${name} Ready (${reported.size}/${opts.nodes.length})`)
          }
        }
        if (reported.size === opts.nodes.length) resolve()
      }
      informer.addHandler({ add: check, update: check })
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
    await informer.start()
    await Promise.race([done, watchdog]).finally(() => clearTimeout(timer))
    await Promise.all(labelling.values())
  } finally {
    informer.stop()
    client.close()
  }
}
