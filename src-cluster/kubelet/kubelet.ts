// The kubelet: registers its Node, heartbeats a Lease, posts node status, watches the pods
// bound to it and runs one PodWorker per pod. The HTTPS server (logs, exec, metrics) and the
// pod network are separate modules wired in by `kubelab-node kubelet`.
import { podCgroup, removeCgroup } from './pod-cgroup'
import { mkdirSync } from 'node:fs'
import type { PersistentVolume, PersistentVolumeClaim, PodStatus, Service } from 'kubernetes-types/core/v1'
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { KubeObject } from '../api/object'
import type { KubeletResourceSummary } from '../kit/kubelet-summary'
import { EventRecorder, Informer, isNotFound, type Client, type InformerFactory } from '../client'
import { realClock, type Clock } from '../util/clock'
import { CriClient } from './cri/client'
import type { Container as CriContainer, VersionResponse } from './cri/types'
import { machineInfo, nodeObject, nodeStatus, nodeStatusNeedsPost, readyCondition, type MachineInfo } from './node'
import { PodWorker, type WorkerEnv } from './pod-worker'
import { LABEL_POD_UID } from './spec'
import { StatsProvider } from './stats'
import type { VolumeSource } from './volumes'
import { TokenManager } from './token-manager'
import { PodObjectManager } from './object-manager'
import { RequestTally } from './request-tally'
import { now } from './start-trace'
import type { NodeObj, PodObj } from '../kit/objects'
import { NODE_LEASE_NAMESPACE, RES } from '../kit/resources'
import { microTime } from '../kit/time'

/** RunPodSandbox calls the kubelet keeps in flight at once (see Kubelet.sandboxSlots). */
const SANDBOX_SLOTS = Number(process.env.KUBELAB_SANDBOX_SLOTS) || 8

/** At most n tasks at once, the rest in the order they came. */
class Slots {
  private free: number
  private readonly waiting: (() => void)[] = []
  constructor(n: number) {
    this.free = n
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

/** How often the runtime is relisted (upstream's PLEG relist period). */
const RELIST_MS = 1000

export interface KubeletOptions {
  client: Client
  nodeName: string
  /** unix:///run/containerd/containerd.sock or a path. */
  runtimeEndpoint: string
  nodeIP: string
  rootDir: string
  podLogDir?: string
  clusterDns?: string[]
  clusterDomain?: string
  /** The port the kubelet's HTTPS server listens on (published in the Node). */
  kubeletPort?: number
  /** cgroup parent of every pod (cgroupfs path). */
  cgroupRoot?: string
  /** Labels the Node is registered with and that are re-applied when it already exists (--node-labels). */
  labels?: Record<string, string>
  /** Taints the Node is registered with (e.g. the control-plane's NoSchedule). */
  registerWithTaints?: { key: string; value?: string; effect: string }[]
  /** Called with this node and all nodes on start and whenever nodes change (pod network routes). */
  onNodesChanged?: (self: NodeObj | undefined, nodes: NodeObj[]) => void | Promise<void>
  heartbeatMs?: number
  log?: (line: string) => void
  /** Where the kubelet reads the time (node status, lease renewals, events, tokens, its pods' workers); default the real clock. */
  clock?: Clock
  /**
   * Informers shared with the other parts of the node agent: the Services (which the proxy,
   * ingress and DNS watch too) and Nodes come from them, listed and watched once. Without it
   * the kubelet makes its own.
   */
  informers?: InformerFactory
}

export class Kubelet {
  readonly cri: CriClient
  private readonly log: (line: string) => void
  private readonly recorder: EventRecorder
  private readonly workers = new Map<string, PodWorker>()
  private podInformer: Informer<PodObj> | undefined
  private nodeInformer: Informer<NodeObj> | undefined
  /** When this kubelet last posted its node status (ms); unset until the first post after start. */
  private lastStatusReport: number | undefined
  private serviceInformer: Informer<Service & KubeObject> | undefined
  /** This kubelet's view of opts.informers (its handlers; released at stop). */
  private shared: InformerFactory | undefined
  private readonly machine: MachineInfo
  private version: VersionResponse | undefined
  private readonly stats: StatsProvider
  private heartbeat: NodeJS.Timeout | undefined
  private lease: (Lease & KubeObject) | undefined
  private stopped = false
  private relistTimer: NodeJS.Timeout | undefined
  private relisting = false
  /** When the last relist answered (ms, host clock), and what it saw per pod uid. */
  private relistedAt = 0
  private readonly runtimeStates = new Map<string, string>()
  /**
   * What the last relist saw, by sandbox id: its state and containers, and when that relist
   * began (now(), epoch ms). A worker syncing after it reads this instead of asking containerd
   * about its pod again (upstream's PLEG cache), unless it changed the pod's containers since.
   */
  private relistView: { startedAt: number; sandboxes: Map<string, { state: string; containers: CriContainer[] }> } | undefined
  /**
   * RunPodSandbox calls in flight. containerd writes its metadata (bbolt, one fsync'd writer)
   * for each sandbox and container: 100 sandboxes at once put every pod's CreateContainer
   * behind all of them, so the first pod ran as late as the last; a few at a time let pods
   * come up in the order they came, in the same total time.
   */
  private readonly sandboxSlots = new Slots(SANDBOX_SLOTS)
  private readonly tokens: TokenManager
  /** The ConfigMaps and Secrets the node's pods use, from watches (upstream's watch-based managers). */
  private readonly objects: PodObjectManager
  private readonly clock: Clock
  /** Requests to the API server and the runtime since start (logged at stop). */
  readonly requests = new RequestTally()
  /** opts.client, counted. */
  private readonly client: Client

  constructor(readonly opts: KubeletOptions) {
    this.clock = opts.clock ?? realClock
    this.client = this.requests.countingClient(opts.client)
    this.tokens = new TokenManager(this.client, () => this.clock.now().getTime())
    this.log = opts.log ?? ((l) => console.log(l))
    this.cri = new CriClient(opts.runtimeEndpoint, { onCall: (rpc) => this.requests.add(`CRI ${rpc}`) })
    this.recorder = new EventRecorder(this.client, 'kubelet', this.clock, { host: opts.nodeName, log: this.log })
    this.machine = machineInfo(opts.rootDir)
    this.stats = new StatsProvider(this.cri, this.clock)
    this.objects = new PodObjectManager(
      this.client,
      { configmaps: RES.configmaps, secrets: RES.secrets },
      {
        log: this.log,
        changed: (uids) => {
          for (const uid of uids) this.workers.get(uid)?.sourcesChanged()
        },
      },
    )
  }

  get nodeName(): string {
    return this.opts.nodeName
  }

  /** Registers the node, starts heartbeats and pod workers. Resolves once pods are listed. */
  async start(): Promise<void> {
    mkdirSync(this.opts.rootDir, { recursive: true })
    mkdirSync(this.podLogDir(), { recursive: true })
    this.version = await this.cri.version().catch((e: unknown) => {
      this.log(`kubelet: container runtime at ${this.opts.runtimeEndpoint} is not answering: ${(e as Error).message}`)
      return undefined
    })
    await this.registerNode()
    await this.beat()
    const every = this.opts.heartbeatMs ?? 10_000
    this.heartbeat = setInterval(() => void this.beat(), every)
    this.heartbeat.unref?.()
    void this.fastStatusUntilReady(this.clock.now().getTime() + 120_000)

    this.shared = this.opts.informers?.scoped()
    this.nodeInformer = this.shared?.for<NodeObj>(RES.nodes) ?? new Informer<NodeObj>(this.client, RES.nodes, { stripManagedFields: true, log: this.log })
    const nodesChanged = (): void => {
      if (!this.opts.onNodesChanged || !this.nodeInformer?.hasSynced()) return
      const all = this.nodeInformer.list()
      Promise.resolve(
        this.opts.onNodesChanged(
          all.find((n) => n.metadata?.name === this.opts.nodeName),
          all,
        ),
      ).catch((e: unknown) => this.log(`kubelet: network update failed: ${(e as Error).message}`))
    }
    this.nodeInformer.addHandler({
      add: nodesChanged,
      update: (a, b) =>
        JSON.stringify(a.spec) !== JSON.stringify(b.spec) || JSON.stringify(a.status?.addresses) !== JSON.stringify(b.status?.addresses)
          ? nodesChanged()
          : undefined,
      delete: nodesChanged,
    })
    await this.nodeInformer.start()
    nodesChanged()

    // Service variables need the Services that exist when a container starts: sync before pods.
    this.serviceInformer =
      this.shared?.for<Service & KubeObject>(RES.services) ??
      new Informer<Service & KubeObject>(this.client, RES.services, { stripManagedFields: true, log: this.log })
    await this.serviceInformer.start()

    this.podInformer = new Informer<PodObj>(this.client, RES.pods, {
      fieldSelector: `spec.nodeName=${this.opts.nodeName}`,
      stripManagedFields: true,
      log: this.log,
    })
    this.podInformer.addHandler({
      add: (p) => this.podSeen(p),
      update: (_o, p) => this.podSeen(p),
      delete: (p) => {
        this.objects.unregister(p.metadata?.uid ?? '')
        this.workers.get(p.metadata?.uid ?? '')?.gone()
      },
    })
    await this.podInformer.start()
    await this.removeOrphans()
    this.relistTimer = setInterval(() => void this.relist(), RELIST_MS)
    this.relistTimer.unref?.()
  }

  /**
   * As upstream's PLEG relist: every second one ListPodSandbox and one ListContainers for the
   * whole node; a pod whose sandboxes or containers changed (created, started, exited, removed)
   * has its worker synced at once, and steady pods are not asked about one by one.
   */
  private async relist(): Promise<void> {
    if (this.relisting || this.stopped) return
    this.relisting = true
    const startedAt = now()
    try {
      const [sandboxes, containers] = await Promise.all([this.cri.listPodSandbox(), this.cri.listContainers()])
      const view = new Map<string, { state: string; containers: CriContainer[] }>()
      for (const s of sandboxes) view.set(s.id, { state: s.state, containers: [] })
      for (const c of containers) view.get(c.podSandboxId)?.containers.push(c)
      this.relistView = { startedAt, sandboxes: view }
      this.relistedAt = Date.now()
      const seen = new Map<string, string[]>()
      const uidOf = new Map<string, string>()
      const note = (uid: string, what: string): void => {
        const list = seen.get(uid)
        if (list) list.push(what)
        else seen.set(uid, [what])
      }
      for (const s of sandboxes) {
        const uid = s.labels[LABEL_POD_UID] ?? ''
        uidOf.set(s.id, uid)
        note(uid, `${s.id}=${s.state}`)
      }
      for (const c of containers) note(uidOf.get(c.podSandboxId) ?? c.labels[LABEL_POD_UID] ?? '', `${c.id}=${c.state}`)
      for (const [uid, w] of this.workers) {
        const state = (seen.get(uid) ?? []).sort().join(',')
        if (this.runtimeStates.get(uid) === state) continue
        this.runtimeStates.set(uid, state)
        w.runtimeChanged()
      }
      for (const uid of this.runtimeStates.keys()) if (!this.workers.has(uid)) this.runtimeStates.delete(uid)
    } catch (e) {
      // containerd not answering: the workers' ticks sync every pod as before (said once)
      if (this.relistedAt >= 0) this.log(`kubelet: relisting the runtime failed: ${(e as Error).message}`)
      this.relistedAt = -1
    } finally {
      this.relisting = false
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.relistTimer) clearInterval(this.relistTimer)
    this.podInformer?.stop()
    // Shared informers go on for the other parts (only this kubelet's handlers are removed).
    if (this.shared) this.shared.stopAll()
    else {
      this.nodeInformer?.stop()
      this.serviceInformer?.stop()
    }
    this.objects.stop()
    for (const w of this.workers.values()) w.stop()
    this.cri.close()
    this.log(`kubelet: requests since start: ${this.requests.summary()}`)
  }

  /** Resource usage for the metrics API (served by the kubelet's HTTPS server). */
  statsSummary(): Promise<KubeletResourceSummary> {
    return this.stats.summary()
  }

  /** Pod IPs and workers, for tests and the server. */
  podWorker(uid: string): PodWorker | undefined {
    return this.workers.get(uid)
  }

  private podLogDir(): string {
    return this.opts.podLogDir ?? '/var/log/pods'
  }

  private podSeen(p: PodObj): void {
    if (this.stopped) return
    const uid = p.metadata?.uid ?? ''
    const w = this.workers.get(uid)
    if (w) {
      if (w.done) this.workers.delete(uid)
      else {
        this.objects.register(p)
        w.update(p)
      }
      return
    }
    // a finished pod from before a restart needs nothing from us
    if ((p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && !p.metadata?.deletionTimestamp) return
    this.objects.register(p)
    // Pods of the initial list may have sandboxes from before a restart; later ones cannot.
    this.workers.set(uid, new PodWorker(p, this.workerEnv(), { seenAt: now(), mayHaveSandbox: !this.podInformer?.hasSynced() }))
  }

  private workerEnv(): WorkerEnv {
    const client = this.client
    const get = async <T>(fn: () => Promise<T | undefined>): Promise<T | undefined> =>
      fn().catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)))
    const source: VolumeSource = {
      configMap: (ns, name) => this.objects.configMaps.get(ns, name),
      secret: (ns, name) => this.objects.secrets.get(ns, name),
      pvc: (ns, name) => get(() => client.get<PersistentVolumeClaim & KubeObject>(RES.pvcs, ns, name)),
      pv: (name) => get(() => client.get<PersistentVolume & KubeObject>(RES.pvs, undefined, name)),
      token: (pod, req) => this.tokens.token(pod, req),
    }
    return {
      cri: this.cri,
      nodeName: this.opts.nodeName,
      hostIP: this.opts.nodeIP,
      rootDir: this.opts.rootDir,
      podLogDir: this.podLogDir(),
      cgroupRoot: this.opts.cgroupRoot ?? '/kubelab',
      dns: { clusterDns: this.opts.clusterDns ?? [], clusterDomain: this.opts.clusterDomain ?? 'cluster.local' },
      node: { cpu: this.machine.cpu, memory: this.machine.memoryBytes },
      source,
      services: () => this.serviceInformer?.list() ?? [],
      log: this.log,
      clock: this.clock,
      sandboxSlot: (run) => this.sandboxSlots.run(run),
      runtimeWatched: () => this.relistedAt > 0 && Date.now() - this.relistedAt < 3 * RELIST_MS,
      relisted: (sandboxId, since) => {
        const v = this.relistView
        if (!v || v.startedAt <= since || !(this.relistedAt > 0 && Date.now() - this.relistedAt < 3 * RELIST_MS)) return undefined
        return v.sandboxes.get(sandboxId)
      },
      event: (pod, type, reason, message, fieldPath) =>
        this.recorder.event({ apiVersion: 'v1', kind: 'Pod', ...pod } as PodObj, type, reason, message, fieldPath),
      postStatus: async (pod, status: PodStatus) => {
        try {
          await client.patch(RES.pods, pod.metadata?.namespace, pod.metadata?.name ?? '', { metadata: { uid: pod.metadata?.uid }, status }, 'merge', {
            subresource: 'status',
            readAnswer: false,
          })
          return true
        } catch (e) {
          if (isNotFound(e)) return false
          throw e
        }
      },
      finalizeDelete: async (pod) => {
        await client
          .delete(RES.pods, pod.metadata?.namespace, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } })
          .catch((e: unknown) => {
            if (!isNotFound(e) && (e as { code?: number }).code !== 409) throw e
          })
      },
    }
  }

  /** Sandboxes of pods this node no longer has are stopped and removed (after a kubelet restart). */
  private async removeOrphans(): Promise<void> {
    const known = new Set((this.podInformer?.list() ?? []).map((p) => p.metadata?.uid))
    const sandboxes = await this.cri.listPodSandbox().catch(() => [])
    for (const s of sandboxes) {
      const uid = s.labels[LABEL_POD_UID]
      if (!uid || known.has(uid)) continue
      this.log(`kubelet: removing sandbox ${s.id} of pod ${s.metadata?.namespace}/${s.metadata?.name}, which no longer runs here`)
      await this.cri.stopPodSandbox(s.id).catch(() => undefined)
      await this.cri.removePodSandbox(s.id).catch(() => undefined)
      await removeCgroup(podCgroup(this.opts.cgroupRoot ?? '/kubelab', uid))
    }
  }

  private async registerNode(): Promise<void> {
    const status = await this.currentStatus(undefined)
    const node = nodeObject(this.opts.nodeName, this.machine.arch, status, this.opts.labels, this.opts.registerWithTaints)
    try {
      await this.client.create(RES.nodes, undefined, node)
      this.log(`kubelet: registered node ${this.opts.nodeName}`)
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw new Error(`kubelet: could not register node ${this.opts.nodeName}: ${(e as Error).message}`)
      await this.reassertLabels()
    }
  }

  /** The Node existed (a restart): put back --node-labels that are missing or changed. */
  private async reassertLabels(): Promise<void> {
    const want = this.opts.labels ?? {}
    if (!Object.keys(want).length) return
    const cur = await this.client.get<NodeObj>(RES.nodes, undefined, this.opts.nodeName)
    const have = cur?.metadata?.labels ?? {}
    const diff = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v))
    if (!Object.keys(diff).length) return
    await this.client.patch(RES.nodes, undefined, this.opts.nodeName, { metadata: { labels: diff } }, 'merge')
    this.log(`kubelet: node ${this.opts.nodeName} labels re-applied: ${Object.keys(diff).join(', ')}`)
  }

  private async currentStatus(prev: NodeObj['status']): Promise<NonNullable<NodeObj['status']>> {
    const runtime = await this.cri.status().catch((e: unknown) => e as Error)
    if (!this.version && !(runtime instanceof Error)) this.version = await this.cri.version().catch(() => undefined)
    const images = await this.cri.listImages().catch(() => [])
    return nodeStatus(
      {
        machine: this.machine,
        nodeIP: this.opts.nodeIP,
        hostname: this.opts.nodeName,
        kubeletPort: this.opts.kubeletPort ?? 10250,
        version: this.version,
        ready: readyCondition(runtime),
        images: images.map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size })),
      },
      this.clock.now(),
      prev,
    )
  }

  /**
   * As upstream's fastStatusUpdateOnce: until the node's Ready condition is posted True, ask the
   * runtime every 500 ms and post status as soon as it is ready (the network is ready once the
   * node's podCIDR has its CNI config), rather than on the next 10 s beat.
   */
  private async fastStatusUntilReady(deadline: number): Promise<void> {
    const name = this.opts.nodeName
    const posted = (): boolean =>
      this.nodeInformer?.hasSynced() === true && (this.nodeInformer.get(name)?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
    for (;;) {
      await new Promise<void>((resolve) => this.clock.after(500, resolve))
      if (this.stopped || this.clock.now().getTime() > deadline || posted()) return
      const runtime = await this.cri.status().catch((e: unknown) => e as Error)
      if (!this.stopped && readyCondition(runtime).ok) await this.beat()
    }
  }

  /** Renews the lease and posts node status. */
  private async beat(): Promise<void> {
    if (this.stopped) return
    try {
      const client = this.client
      const name = this.opts.nodeName
      // The watch cache once it is filled (as upstream's lister); a GET before that.
      const current = this.nodeInformer?.hasSynced() ? this.nodeInformer.get(name) : await client.get<NodeObj>(RES.nodes, undefined, name)
      if (!current) {
        await this.registerNode()
        return
      }
      const status = await this.currentStatus(current.status)
      const now = this.clock.now()
      if (nodeStatusNeedsPost(status, current.status, now, this.lastStatusReport)) {
        await client.patch(RES.nodes, undefined, name, { status }, 'merge', { subresource: 'status', readAnswer: false })
        this.lastStatusReport = now.getTime()
      }
      await this.renewLease(current)
    } catch (e) {
      this.log(`kubelet: heartbeat failed: ${(e as Error).message}`)
    }
  }

  private async renewLease(node: NodeObj): Promise<void> {
    const client = this.client
    const name = this.opts.nodeName
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(this.clock.now()) }
    this.lease ??= await client.get<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, name).catch(() => undefined)
    if (this.lease) {
      try {
        this.lease = await client.update(RES.leases, { ...this.lease, spec: { ...this.lease.spec, ...spec } })
        return
      } catch {
        this.lease = undefined
      }
    }
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }] },
      spec,
    }
    this.lease = await client.create<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, lease).catch(() => undefined)
  }
}
