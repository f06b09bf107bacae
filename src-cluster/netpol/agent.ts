// The NetworkPolicy agent of one node: NetworkPolicy, Pod and Namespace informers feed a work
// queue of one key (the node's whole ruleset), whose reconcile plans, compiles and applies it
// idempotently: unchanged text is not re-applied, a burst of changes coalesces into one sync
// (the queue holds a key at most once), failures retry with back-off. A periodic resync puts
// back chains or jump positions someone else removed or moved. stop({ cleanup: true }) removes it all.
import type { Client } from '../client'
import { InformerFactory, WorkQueue } from '../client'
import { hostCommands, type HostCommands } from '../kit/host'
import { ensureFirstJumps, listNetpolChains, removeNetpolRules, restoreNetpolRules } from './iptables'
import { planNode, podIPs, type NodePlan, type PlanInput } from './model'
import { buildNetpolRules, DYNAMIC_CHAIN } from './rules'
import type { NamespaceObj, NetworkPolicyObj, PodObj } from '../kit/objects'
import { RES } from '../kit/resources'

export interface NetworkPolicyAgentOptions {
  /** Informers shared with other components of this process (the node agent); default: its own. */
  readonly informers?: InformerFactory
  /** The node whose pods this agent guards (pods' spec.nodeName). */
  readonly nodeName: string
  /** Program iptables in this named network namespace instead of our own (tests). */
  readonly netns?: string
  /** Re-check our chains and jump positions this often even without changes. Default 10 s. */
  readonly resyncMs?: number
  readonly log?: (line: string) => void
}

const KEY = 'node'

/** Applies plans to the kernel; no API access (usable with in-memory objects). */
export class NetpolSyncer {
  private readonly cmd: HostCommands
  private lastText = ''

  constructor(netns?: string) {
    this.cmd = hostCommands(netns)
  }

  /** Compile and apply; the restore is skipped when nothing changed unless `force`. */
  async sync(plan: NodePlan, force = false): Promise<{ applied: boolean; movedJumps: string[] }> {
    const existing = (await listNetpolChains(this.cmd)).filter((c) => DYNAMIC_CHAIN.test(c))
    const text = buildNetpolRules({ plan, existingChains: existing })
    const remembered = buildNetpolRules({ plan })
    let applied = false
    if (force || remembered !== this.lastText || existing.length !== countDynamic(remembered)) {
      await restoreNetpolRules(this.cmd, text)
      this.lastText = remembered
      applied = true
    }
    // Chains exist now, so the jumps can name them.
    const movedJumps = await ensureFirstJumps(this.cmd)
    return { applied, movedJumps }
  }

  async cleanup(): Promise<void> {
    await removeNetpolRules(this.cmd)
    this.lastText = ''
  }
}

function countDynamic(text: string): number {
  return text.split('\n').filter((l) => l.startsWith(':') && DYNAMIC_CHAIN.test(l.slice(1).split(' ')[0]!)).length
}

/** The fields of a pod that policies look at; other status changes need no sync. */
function podFingerprint(p: PodObj): string {
  const ports = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].flatMap((c) =>
    (c.ports ?? []).map((x) => `${x.name ?? ''}:${x.containerPort}/${x.protocol ?? 'TCP'}`),
  )
  return JSON.stringify([p.metadata?.labels ?? {}, p.spec?.nodeName ?? '', podIPs(p), ports])
}

export class NetworkPolicyAgent {
  private readonly factory: InformerFactory
  private readonly syncer: NetpolSyncer
  private readonly log: (line: string) => void
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 200, maxDelayMs: 10_000 })
  private resync: NodeJS.Timeout | undefined
  private worker: Promise<void> | undefined
  private force = true
  private lastProblems = ''
  private waiters: (() => void)[] = []

  constructor(
    client: Client,
    private readonly opts: NetworkPolicyAgentOptions,
  ) {
    this.log = opts.log ?? ((l) => console.log(l))
    this.factory = opts.informers?.scoped() ?? new InformerFactory(client, { log: this.log })
    this.syncer = new NetpolSyncer(opts.netns)
  }

  /** Resolves once the informers are synced and the first ruleset is applied. */
  async start(): Promise<void> {
    const policies = this.factory.for<NetworkPolicyObj>(RES.networkpolicies)
    const pods = this.factory.for<PodObj>(RES.pods)
    const namespaces = this.factory.for<NamespaceObj>(RES.namespaces)
    const kick = (): void => this.queue.add(KEY)
    policies.addHandler({ add: kick, update: kick, delete: kick })
    namespaces.addHandler({
      add: kick,
      update: (a, b) => JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) && kick(),
      delete: kick,
    })
    pods.addHandler({ add: kick, update: (a, b) => podFingerprint(a) !== podFingerprint(b) && kick(), delete: kick })
    await this.factory.startAll()
    const first = this.nextSync()
    this.worker = this.work()
    this.queue.add(KEY)
    // Not forced: a sync re-applies when our chains or jumps went missing; forcing every time
    // would rewrite (and log) an unchanged ruleset.
    this.resync = setInterval(() => this.queue.add(KEY), this.opts.resyncMs ?? 10_000)
    this.resync.unref()
    await first
  }

  /** Resolves after the next reconcile finishes (applied, unchanged or failed). */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** The objects the agent currently plans from (its informers' caches). */
  state(): PlanInput {
    return {
      nodeName: this.opts.nodeName,
      policies: this.factory.for<NetworkPolicyObj>(RES.networkpolicies).list(),
      pods: this.factory.for<PodObj>(RES.pods).list(),
      namespaces: this.factory.for<NamespaceObj>(RES.namespaces).list(),
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get()
      if (key === undefined) return
      try {
        await this.reconcile()
        this.queue.forget(key)
      } catch (e) {
        this.log(`netpol: sync failed, retrying: ${(e as Error).message}`)
        this.force = true
        this.queue.addRateLimited(key)
      } finally {
        this.queue.done(key)
        for (const w of this.waiters.splice(0)) w()
      }
    }
  }

  private async reconcile(): Promise<void> {
    const plan = planNode(this.state())
    const problems = plan.problems.join('\n')
    if (problems && problems !== this.lastProblems) for (const p of plan.problems) this.log(`netpol: ${p}`)
    this.lastProblems = problems
    const force = this.force
    this.force = false
    const { applied, movedJumps } = await this.syncer.sync(plan, force)
    if (applied) this.log(`netpol: rules synced (${plan.pods.length} isolated pods, ${plan.policies.length} policy chains)`)
    if (movedJumps.length && !force) this.log(`netpol: put our jump back first in ${movedJumps.join(', ')}`)
  }

  /** Stop watching; with cleanup, remove every rule and chain the agent made. */
  async stop(opts: { cleanup?: boolean } = {}): Promise<void> {
    if (this.resync) clearInterval(this.resync)
    this.queue.shutDown()
    this.factory.stopAll()
    await this.worker
    if (opts.cleanup) await this.syncer.cleanup()
  }
}
