// Many hollow kubelets in one process (as kwok does): each registers its Node, renews its Lease
// in kube-node-lease every 10 s, re-posts its status when the control plane marked it
// otherwise or every 5 minutes, and runs the pods bound to it through PodLifecycle. The
// process shares ONE pod informer (fieldSelector spec.nodeName!=, indexed by node) and ONE
// node informer between all nodes, so 1000 nodes cost two watches, not 2000. Those shared reads
// use `client`; what a node writes (its Node, status, Lease, its pods' status and deletion) goes
// through `nodeClient(name)`, the node's own identity (system:node:NAME in system:nodes), so the
// Node authorizer, NodeRestriction, audit and managedFields see each kubelet as upstream does.
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { KubeObject } from '../api/object'
import { Informer } from '../client'
import type { Client } from '../client/types'
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import type { NodeControl } from './control-api'
import { startMetricsServer, type MetricsServer, type ServingTls } from './metrics-server'
import { buildNode, CONTROL_PLANE_ROLE, needsStatusUpdate, nodeStatus, type NodeShape } from './node-object'
import { NODE_INDEX, PodLifecycle } from './pod-lifecycle'
import { nodeSummary } from './usage'
import type { KubeletResourceSummary } from '../kit/kubelet-summary'
import type { NodeObj, PodObj } from '../kit/objects'
import { NODE_LEASE_NAMESPACE, RES } from '../kit/resources'
import { microTime } from '../kit/time'

export interface SimulatedNodesOptions {
  /** The fleet's shared reads (the node and pod informers) and kubeadm's control-plane label. */
  readonly client: Client
  /** The client a node writes with (its own identity); omitted: `client` for every node. */
  readonly nodeClient?: (nodeName: string) => Client
  readonly clock?: Clock
  /** Worker nodes, named `${prefix}1` … `${prefix}${count}`. */
  readonly count: number
  readonly prefix?: string
  /** Also register a control-plane node of this name (role label and NoSchedule taint). */
  readonly controlPlaneNode?: string
  /** From binding to Running (each init container takes this long too). Default 1 s. */
  readonly startDelayMs?: number
  /** How long pods with restartPolicy Never/OnFailure run before they succeed. Default 5 s. */
  readonly runTimeMs?: number
  /** Simulated shutdown of a terminating pod before it is deleted. Default 500 ms. */
  readonly shutdownMs?: number
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: number
  /** The nodes' InternalIP and where the metrics endpoint listens. Default 127.0.0.1. */
  readonly hostIP?: string
  readonly heartbeatMs?: number
  readonly statusReportMs?: number
  /** Serve the resource-summary endpoint with this certificate; omitted: no metrics. */
  readonly tls?: ServingTls
  readonly metricsPort?: number
  /** How many nodes register at once. */
  readonly registerConcurrency?: number
  /** Nodes that start stopped (a failure drill kept across a cluster restart). */
  readonly stopped?: readonly string[]
  readonly log?: (line: string) => void
}

interface SimNode {
  readonly shape: NodeShape
  running: boolean
  heartbeat?: TimerHandle
  lease?: Lease & KubeObject
  lastStatusAt: number
  /** A beat is writing: another one (timer and startNode racing) is skipped. */
  beating?: boolean
}

const LEASE_DURATION_SECONDS = 40
const KUBELET_PORT = 10250

function apiCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code
  return typeof c === 'number' ? c : undefined
}

function nodeArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch
}

export class SimulatedNodes implements NodeControl {
  private readonly client: Client
  private readonly clock: Clock
  private readonly log: (line: string) => void
  private readonly nodesByName = new Map<string, SimNode>()
  private readonly nodeInformer: Informer<NodeObj>
  private readonly podInformer: Informer<PodObj>
  private readonly lifecycle: PodLifecycle
  private readonly heartbeatMs: number
  private readonly statusReportMs: number
  private metrics?: MetricsServer
  private stopped = false

  constructor(private readonly opts: SimulatedNodesOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`simulated nodes: count must be a whole number ≥ 0, got ${opts.count}`)
    this.client = opts.client
    this.clock = opts.clock ?? realClock
    this.log = opts.log ?? ((l) => console.log(l))
    this.heartbeatMs = opts.heartbeatMs ?? 10_000
    this.statusReportMs = opts.statusReportMs ?? 300_000
    const base = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? 110, hostIP: opts.hostIP ?? '127.0.0.1', arch: nodeArch() }
    const names: [string, boolean][] = []
    if (opts.controlPlaneNode) names.push([opts.controlPlaneNode, true])
    for (let i = 1; i <= opts.count; i++) names.push([`${opts.prefix ?? 'node-'}${i}`, false])
    const unknown = (opts.stopped ?? []).filter((s) => !names.some(([n]) => n === s))
    if (unknown.length)
      throw new Error(`simulated nodes: cannot start ${unknown.join(', ')} stopped: no such node (known: ${names.map(([n]) => n).join(', ')})`)
    for (const [name, controlPlane] of names)
      this.nodesByName.set(name, { shape: { ...base, name, controlPlane }, running: !opts.stopped?.includes(name), lastStatusAt: 0 })
    const ilog = (l: string): void => this.log(`simulated-nodes: ${l}`)
    this.nodeInformer = new Informer<NodeObj>(this.client, RES.nodes, { stripManagedFields: true, log: ilog })
    this.podInformer = new Informer<PodObj>(this.client, RES.pods, { fieldSelector: 'spec.nodeName!=', stripManagedFields: true, log: ilog })
    this.podInformer.addIndexer(NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []))
    this.lifecycle = new PodLifecycle(
      (node) => this.clientOf(node),
      this.podInformer,
      {
        owns: (n) => this.nodesByName.has(n),
        isRunning: (n) => this.nodesByName.get(n)?.running === true && !this.stopped,
        hostIP: (n) => this.nodesByName.get(n)?.shape.hostIP ?? base.hostIP,
        podCIDR: (n) => this.nodeInformer.get(n)?.spec?.podCIDR,
      },
      this.clock,
      { startDelayMs: opts.startDelayMs ?? 1000, runTimeMs: opts.runTimeMs ?? 5000, shutdownMs: opts.shutdownMs ?? 500 },
      this.log,
    )
    // A podCIDR arriving (IPAM controller) lets waiting pods on that node get their IPs.
    this.nodeInformer.addHandler({
      update: (o, n) => {
        const name = String(n.metadata?.name)
        if (this.nodesByName.has(name) && o.spec?.podCIDR !== n.spec?.podCIDR) this.lifecycle.resyncNode(name)
      },
      add: (n) => {
        const name = String(n.metadata?.name)
        if (this.nodesByName.has(name) && n.spec?.podCIDR) this.lifecycle.resyncNode(name)
      },
    })
  }

  /** Registers every node and starts heartbeats and pod handling; resolves once all are registered. */
  async start(): Promise<void> {
    if (this.opts.tls) this.metrics = await startMetricsServer(this.opts.tls, this, this.opts.hostIP ?? '127.0.0.1', this.opts.metricsPort ?? 0)
    await Promise.all([this.nodeInformer.start(), this.podInformer.start()])
    const queue = [...this.nodesByName.values()]
    const workers = Array.from({ length: Math.min(queue.length, this.opts.registerConcurrency ?? 32) }, async () => {
      for (let n = queue.shift(); n; n = queue.shift()) await this.register(n)
    })
    await Promise.all(workers)
    this.log(
      `simulated-nodes: ${this.nodesByName.size} nodes registered${this.metrics ? `, metrics on https://${this.opts.hostIP ?? '127.0.0.1'}:${this.metrics.port}` : ''}`,
    )
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const n of this.nodesByName.values()) n.heartbeat?.cancel()
    this.lifecycle.stop()
    this.nodeInformer.stop()
    this.podInformer.stop()
    await this.metrics?.close()
  }

  nodes(): { name: string; running: boolean }[] {
    return [...this.nodesByName.values()].map((n) => ({ name: n.shape.name, running: n.running }))
  }

  /** Simulates a node failure: no more heartbeats, status updates or pod handling. */
  stopNode(name: string): void {
    const n = this.mustGet(name)
    if (!n.running) return
    n.running = false
    n.heartbeat?.cancel()
    n.heartbeat = undefined
    this.log(`simulated-nodes: node ${name} stopped`)
  }

  /** Brings a stopped node back: status and lease at once, then its pods catch up. */
  startNode(name: string): void {
    const n = this.mustGet(name)
    if (n.running) return
    n.running = true
    this.log(`simulated-nodes: node ${name} started`)
    void this.beat(n, true)
    this.lifecycle.resyncNode(name)
  }

  summary(node: string): KubeletResourceSummary | undefined | null {
    const n = this.nodesByName.get(node)
    if (!n) return undefined
    if (!n.running || this.stopped) return null
    return nodeSummary(this.lifecycle.runningPods(node), this.clock.now())
  }

  private clientOf(node: string): Client {
    return this.opts.nodeClient?.(node) ?? this.client
  }

  private mustGet(name: string): SimNode {
    const n = this.nodesByName.get(name)
    if (!n) throw new Error(`node ${name} is not simulated here; known nodes: ${[...this.nodesByName.keys()].join(', ')}`)
    return n
  }

  private async register(n: SimNode): Promise<void> {
    const node = buildNode(n.shape, this.clock.now())
    node.status!.daemonEndpoints = { kubeletEndpoint: { Port: this.metrics?.port ?? KUBELET_PORT } }
    try {
      await this.clientOf(n.shape.name).create(RES.nodes, undefined, node)
      if (this.nodesByName.size <= 50) this.log(`simulated-nodes: registered node ${n.shape.name}`)
    } catch (e) {
      if (apiCode(e) !== 409) throw new Error(`registering node ${n.shape.name} failed: ${e instanceof Error ? e.message : String(e)}`)
    }
    // A kubelet may not set node-role labels (NodeRestriction); kubeadm's mark-control-plane
    // phase adds it afterwards with its admin identity, as the shared client does here.
    if (n.shape.controlPlane && this.nodeInformer.get(n.shape.name)?.metadata?.labels?.[CONTROL_PLANE_ROLE] === undefined) {
      await this.client.patch(RES.nodes, undefined, n.shape.name, { metadata: { labels: { [CONTROL_PLANE_ROLE]: '' } } }, 'merge')
    }
    await this.beat(n, true)
  }

  /** One heartbeat: renew the lease, post status when due, and schedule the next beat. */
  private async beat(n: SimNode, forceStatus: boolean): Promise<void> {
    if (this.stopped || !n.running) return
    n.heartbeat?.cancel()
    n.heartbeat = this.clock.after(this.heartbeatMs, () => void this.beat(n, false))
    if (n.beating) return
    n.beating = true
    const now = this.clock.now()
    try {
      const stored = this.nodeInformer.get(n.shape.name)
      if (forceStatus || needsStatusUpdate(stored) || now.getTime() - n.lastStatusAt >= this.statusReportMs) {
        await this.postStatus(n, now)
      }
      await this.renewLease(n, now)
    } catch (e) {
      // The next beat retries; a missed beat or two is what real kubelets live with too.
      this.log(`simulated-nodes: heartbeat of node ${n.shape.name} failed: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      n.beating = false
    }
  }

  private async postStatus(n: SimNode, now: Date): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const client = this.clientOf(n.shape.name)
      const current = await client.get<NodeObj>(RES.nodes, undefined, n.shape.name)
      if (!current) throw new Error(`node ${n.shape.name} no longer exists (deleted?)`)
      const status = nodeStatus(n.shape, now, current.status)
      status.daemonEndpoints = { kubeletEndpoint: { Port: this.metrics?.port ?? KUBELET_PORT } }
      try {
        await client.update(RES.nodes, { ...current, status }, { subresource: 'status', readAnswer: false })
        n.lastStatusAt = now.getTime()
        return
      } catch (e) {
        if (apiCode(e) !== 409) throw e
      }
    }
    throw new Error(`node ${n.shape.name} status kept conflicting`)
  }

  private async renewLease(n: SimNode, now: Date): Promise<void> {
    const name = n.shape.name
    const client = this.clientOf(name)
    // Two tries: a conflict (someone else touched the lease) is retried once from a fresh read.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!n.lease) n.lease = await client.get<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, name)
      if (!n.lease) break
      try {
        n.lease = await client.update(RES.leases, {
          ...n.lease,
          spec: { ...n.lease.spec, holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
        })
        return
      } catch (e) {
        n.lease = undefined
        const code = apiCode(e)
        if (code === 404) break
        if (code !== 409 || attempt === 1) throw e
      }
    }
    const node = this.nodeInformer.get(name) ?? (await client.get<NodeObj>(RES.nodes, undefined, name))
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: NODE_LEASE_NAMESPACE,
        ...(node?.metadata?.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] } : {}),
      },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
    }
    try {
      n.lease = await client.create<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, lease)
    } catch (e) {
      if (apiCode(e) !== 409) throw e
    }
  }
}
