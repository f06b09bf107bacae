// One pod's worker: converges the runtime to the pod spec on every sync (sandbox, volumes,
// images, init containers in order, containers with restart back-off, probes), posts status,
// and tears everything down gracefully when the pod is deleted.
import { podCgroup, removeCgroup } from './pod-cgroup'
import type { Container, Pod, PodStatus, Service } from 'kubernetes-types/core/v1'
import type { CriClient } from './cri/client'
import { isCriNotFound } from './cri/client'
import type { Container as CriContainer, ContainerStatus as CriStatus, PodSandboxConfig } from './cri/types'
import { RestartBackoff } from './backoff'
import { buildEnv, ConfigError } from './env'
import { runProbe, ProbeState } from './probes'
import { containerConfig, LABEL_CONTAINER_NAME, LABEL_POD_UID, sandboxConfig, type DnsOptions } from './spec'
import { buildPodStatus, containerStatus, podPhase, type ContainerView } from './status'
import { containerMounts, setUpVolumes, tearDownVolumes, type VolumePaths, type VolumeSource } from './volumes'
import { rfc3339 } from '../kit/time'
import { realClock, type Clock } from '../util/clock'
import { now, StartTrace, type StartStep } from './start-trace'

export interface WorkerEnv {
  cri: CriClient
  nodeName: string
  hostIP: string
  rootDir: string
  podLogDir: string
  cgroupRoot: string
  dns: DnsOptions
  node: { cpu: number; memory: number }
  source: VolumeSource
  /** The cluster's Services now (for the Service environment variables of starting containers). */
  services(): readonly Service[]
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void
  /** Writes pod status; resolves false when the pod is gone. */
  postStatus(pod: Pod, status: PodStatus): Promise<boolean>
  /** Deletes the pod object with grace 0 once its containers are gone. */
  finalizeDelete(pod: Pod): Promise<void>
  log(line: string): void
  /**
   * True while the kubelet's relist (one ListPodSandbox + ListContainers for the node every
   * second) is current: it calls runtimeChanged() when a pod's sandboxes or containers change,
   * so a steady pod's 1 s tick need not ask containerd itself. Without it every tick syncs.
   */
  runtimeWatched?(): boolean
  /**
   * The last relist's view of a sandbox (its state and containers), when that relist began after
   * `since` (now(), epoch ms) and is current; undefined otherwise (then the worker asks containerd).
   */
  relisted?(sandboxId: string, since: number): { state: string; containers: readonly CriContainer[] } | undefined
  /** Runs a RunPodSandbox when one of the node's sandbox slots is free; default at once. */
  sandboxSlot?<T>(run: () => Promise<T>): Promise<T>
  /** Where the worker reads the time (back-offs, grace periods, pull times, timestamps); default the real clock. */
  clock?: Clock
}

interface Probes {
  containerId: string
  startup?: ProbeState
  liveness?: ProbeState
  readiness?: ProbeState
}

/** How long a failed pull shows as ErrImagePull before the back-off wait shows as ImagePullBackOff. */
const ERR_IMAGE_PULL_SHOWN_MS = 5000

/** The CRI calls that change a pod in the runtime. */
const CHANGES = new Set(['runPodSandbox', 'stopPodSandbox', 'removePodSandbox', 'createContainer', 'startContainer', 'stopContainer', 'removeContainer'])

/** The client, calling changed() whenever a call that changes the runtime returns. */
function noticingChanges(cri: CriClient, changed: () => void): CriClient {
  return new Proxy(cri, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown
      if (typeof v !== 'function') return v
      const fn = v as (...a: unknown[]) => unknown
      if (typeof prop !== 'string' || !CHANGES.has(prop)) return fn.bind(target)
      return (...a: unknown[]) => (fn.apply(target, a) as Promise<unknown>).finally(changed)
    },
  })
}

const fieldPath = (kind: 'init' | 'main', i: number): string => `spec.${kind === 'init' ? 'initContainers' : 'containers'}{${i}}`

/**
 * How long set-up volumes are trusted before they are set up again. Upstream re-syncs a pod
 * every minute. ConfigMap and Secret edits do not wait for it: the kubelet's watches of the
 * objects a pod uses call sourcesChanged() (object-manager.ts), and a re-sync reads those
 * watch caches, not the API server.
 */
export const VOLUME_RESYNC_MS = 10_000

export class PodWorker {
  private sandboxId: string | undefined
  private sandboxCfg: PodSandboxConfig | undefined
  private sandboxAttempt = 0
  private podIP: string | undefined
  private readonly startTime: string
  private get clock(): Clock {
    return this.env.clock ?? realClock
  }
  private readonly waiting = new Map<string, { reason: string; message?: string }>()
  private readonly imageIDs = new Map<string, string>()
  private readonly probes = new Map<string, Probes>()
  private readonly handledExits = new Set<string>()
  private readonly backoff = new RestartBackoff()
  private finalPhase: 'Succeeded' | 'Failed' | undefined
  /** Set when a sync created, started or stopped a container. */
  private acted = false
  private lastStatus = ''
  private busy = false
  private again = false
  private timer: NodeJS.Timeout | undefined
  private terminating: Promise<void> | undefined
  /** When the kill in progress runs out of grace (ms since the epoch); a shorter grace cuts it. */
  private killDeadline: number | undefined
  /** The pod's volumes as last set up, what they were set up from, and when (ms). */
  private volumes: { paths: VolumePaths; from: string; at: number } | undefined
  /** Set once the pod was deleted and the runtime cleaned up. */
  done = false
  /** The first start's steps, logged once the Running status is written. */
  private readonly trace: StartTrace
  private synced = false
  private mayHaveSandbox: boolean
  /**
   * Set by a sync that left nothing to do until something changes: every container running (or
   * the pod finished), none waiting, no probes, nothing started or stopped. Such a pod's tick
   * waits for the relist to report a change, or VOLUME_RESYNC_MS (volumes, tokens).
   */
  private steady = false
  /** When the last full sync began (ms). */
  private lastSyncAt = 0
  /**
   * When this worker last changed its pod in the runtime (now(), epoch ms: a sandbox or
   * container made, started, stopped or removed): only a relist begun after it shows the pod.
   */
  private changedAt = 0
  /** The last ContainerStatus of each container: asked again only when its state changes. */
  private readonly criStatuses = new Map<string, CriStatus>()
  /** env.cri, noting changes (changedAt). */
  private readonly cri: CriClient

  /**
   * seenAt: when the kubelet's watch delivered the pod. mayHaveSandbox: the pod was bound here
   * before this kubelet started (its initial list), so a sandbox of an earlier run may be left to
   * adopt; a pod that arrives later cannot have one, and its first sync asks containerd nothing.
   */
  constructor(
    private pod: Pod,
    private readonly env: WorkerEnv,
    opts: { seenAt?: number; mayHaveSandbox?: boolean } = {},
  ) {
    this.cri = noticingChanges(env.cri, () => (this.changedAt = now()))
    this.trace = new StartTrace(opts.seenAt ?? now())
    this.mayHaveSandbox = opts.mayHaveSandbox ?? true
    this.startTime = rfc3339(this.clock.now())
    this.timer = setInterval(() => this.tick(), 1000)
    this.timer.unref?.()
    this.kick()
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? ''
  }

  update(pod: Pod): void {
    this.pod = pod
    this.shortenKill()
    this.kick()
  }

  /** The pod object vanished from the API: stop its containers at once. */
  gone(): void {
    this.pod = {
      ...this.pod,
      metadata: { ...this.pod.metadata, deletionTimestamp: this.pod.metadata?.deletionTimestamp ?? rfc3339(this.clock.now()), deletionGracePeriodSeconds: 0 },
    }
    this.shortenKill()
    this.kick()
  }

  /**
   * A second delete may shorten the grace period of a pod already being killed (kubectl delete
   * --grace-period=1 after a plain delete, a namespace's pods cut short): as upstream's pod
   * workers, stop the running containers again with the new, shorter timeout.
   */
  private shortenKill(): void {
    if (!this.terminating || this.killDeadline === undefined || this.done) return
    const grace = this.pod.metadata?.deletionGracePeriodSeconds
    if (grace === undefined) return
    const deadline = this.clock.now().getTime() + grace * 1000
    if (deadline >= this.killDeadline) return
    this.killDeadline = deadline
    const cri = this.cri
    void (async () => {
      const sandboxes = await cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: this.uid } })
      const running = (await Promise.all(sandboxes.map((s) => cri.listContainers({ podSandboxId: s.id }))))
        .flat()
        .filter((c) => c.state === 'CONTAINER_RUNNING')
      await Promise.all(running.map((c) => cri.stopContainer(c.id, grace)))
    })().catch((e: unknown) => this.env.log(`pod ${this.key()}: shorten grace to ${grace}s: ${(e as Error).message}`))
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * The 1 s tick, as upstream's pod workers are woken by PLEG events and a periodic resync: a
   * steady pod is not synced while the relist sees no change in its containers (each sync asks
   * containerd for the sandbox, the container list and every container's status: with 100
   * pods that was 300 calls a second, with pods still starting among them).
   */
  private tick(): void {
    if (this.busy || this.done) return
    if (this.steady && this.env.runtimeWatched?.() && this.clock.now().getTime() - this.lastSyncAt < VOLUME_RESYNC_MS) return
    this.kick()
  }

  /** The kubelet's relist saw this pod's sandboxes or containers change (start, exit, removal). */
  runtimeChanged(): void {
    this.kick()
  }

  /**
   * A ConfigMap or Secret the pod uses changed (the kubelet's watches): its volume files are
   * written again now rather than on the next resync, and a pod waiting for the object goes on.
   */
  sourcesChanged(): void {
    if (this.volumes) this.volumes = { ...this.volumes, at: -Infinity }
    this.kick()
  }

  kick(): void {
    if (this.done) return
    if (this.busy) {
      this.again = true
      return
    }
    this.busy = true
    this.sync()
      .catch((e: unknown) => this.env.log(`pod ${this.key()}: sync failed: ${(e as Error).message}`))
      .finally(() => {
        this.busy = false
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`
  }

  /** Times fn as a step of the pod's first start. */
  private timed<T>(step: StartStep, fn: () => Promise<T>): Promise<T> {
    return this.trace.time(step, fn)
  }

  private async sync(): Promise<void> {
    if (!this.synced) {
      this.synced = true
      this.trace.add('queue', now() - this.trace.seenAt)
    }
    this.steady = false
    this.lastSyncAt = this.clock.now().getTime()
    if (this.pod.metadata?.deletionTimestamp) {
      this.terminating ??= this.terminate()
      await this.terminating
      return
    }
    if (this.finalPhase) {
      await this.publish(await this.views())
      this.steady = true
      return
    }
    // A new sandbox keeps containerd busy a while (netns, CNI, pause): the volumes — their API
    // reads of ConfigMaps, Secrets and the token — are set up meanwhile (upstream mounts them
    // before making the sandbox). A failure shows again in the call after the sandbox.
    const early = this.sandboxId
      ? undefined
      : this.volumesUpToDate().then(
          () => undefined,
          () => undefined,
        )
    const ready = await this.ensureSandbox()
    if (early) await this.timed('volumes', () => early)
    if (!ready) {
      await this.publish(await this.views())
      return
    }
    let vols: VolumePaths
    try {
      vols = await this.timed('volumes', () => this.volumesUpToDate())
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      this.setWaitingAll('CreateContainerConfigError', e.message)
      await this.publish(await this.views())
      return
    }
    const runtime = await this.runtimeContainers()
    this.acted = false
    const spec = this.pod.spec
    const policy = spec?.restartPolicy ?? 'Always'
    let initialized = true
    for (const [i, c] of (spec?.initContainers ?? []).entries()) {
      const latest = runtime.get(c.name)?.[0]
      if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue
      initialized = false
      if (latest?.state === 'CONTAINER_RUNNING' || latest?.state === 'CONTAINER_CREATED') break
      if (latest?.state === 'CONTAINER_EXITED') {
        if (policy === 'Never') {
          this.finalPhase = 'Failed'
          break
        }
        if (!this.restartAllowed(c, latest)) break
      }
      await this.startContainer(c, 'init', i, latest ? (latest.metadata?.attempt ?? 0) + 1 : 0, vols)
      break
    }
    if (initialized) {
      for (const [i, c] of (spec?.containers ?? []).entries()) {
        const latest = runtime.get(c.name)?.[0]
        if (!latest) {
          await this.startContainer(c, 'main', i, 0, vols)
          continue
        }
        if (latest.state === 'CONTAINER_RUNNING') {
          await this.runProbes(c, i, latest)
          continue
        }
        if (latest.state !== 'CONTAINER_EXITED') continue
        const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0)
        if (restart && this.restartAllowed(c, latest)) await this.startContainer(c, 'main', i, (latest.metadata?.attempt ?? 0) + 1, vols)
      }
    }
    // reuse the snapshot when this sync started or stopped nothing (saves CRI calls per tick)
    const views = await this.views(this.acted ? undefined : runtime)
    const phase = podPhase(this.pod, views.initialized, views.mains, this.finalPhase === 'Failed')
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.finalPhase = phase
      // a finished pod keeps its status but gives back its sandbox (and IP)
      if (this.sandboxId) await this.cri.stopPodSandbox(this.sandboxId).catch(() => undefined)
    }
    await this.publish(views)
    const probed = (spec?.containers ?? []).some((c) => c.livenessProbe || c.readinessProbe || c.startupProbe)
    this.steady = !this.acted && !probed && this.waiting.size === 0 && views.initialized && (!!this.finalPhase || views.mains.every((m) => m.state?.running))
  }

  /**
   * Sets the volumes up again only when the pod's volumes or the metadata they show changed, an
   * object they project changed (sourcesChanged), or VOLUME_RESYNC_MS after the last time
   * (tokens are refreshed long before they expire). ConfigMaps and Secrets come from the
   * kubelet's watch caches: no API read per pod.
   */
  private async volumesUpToDate(): Promise<VolumePaths> {
    const m = this.pod.metadata
    const volumes = JSON.stringify(this.pod.spec?.volumes ?? [])
    // set up before the sandbox had its IP: downward API files that show it are written again
    const podIP = volumes.includes('status.podIP') ? this.podIP : undefined
    const from = JSON.stringify([volumes, m?.labels, m?.annotations, podIP])
    const at = this.clock.now().getTime()
    if (this.volumes && this.volumes.from === from && at - this.volumes.at < VOLUME_RESYNC_MS) return this.volumes.paths
    const paths = await setUpVolumes(this.env.rootDir, this.ctx())
    this.volumes = { paths, from, at }
    return paths
  }

  private ctx() {
    return { pod: this.pod, podIP: this.podIP, hostIP: this.env.hostIP, node: this.env.node, source: this.env.source, services: this.env.services }
  }

  private setWaitingAll(reason: string, message: string): void {
    for (const c of [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])]) this.waiting.set(c.name, { reason, message })
  }

  private async ensureSandbox(): Promise<boolean> {
    if (this.sandboxId) {
      if (this.env.relisted?.(this.sandboxId, this.changedAt)?.state === 'SANDBOX_READY') return true
      const st = await this.cri.podSandboxStatus(this.sandboxId).catch((e: unknown) => (isCriNotFound(e) ? undefined : Promise.reject(e)))
      if (st?.status?.state === 'SANDBOX_READY') return true
      // the sandbox died (node reboot, killed): make a new one, as upstream does
      this.env.log(`pod ${this.key()}: sandbox ${this.sandboxId} is not ready; recreating`)
      await this.cri.stopPodSandbox(this.sandboxId).catch(() => undefined)
      this.sandboxId = undefined
      this.sandboxAttempt++
    } else {
      // adopt a sandbox from an earlier kubelet run
      const all = this.mayHaveSandbox ? await this.timed('listSandbox', () => this.cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: this.uid } })) : []
      const existing = all.filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => b.createdAt - a.createdAt)[0]
      if (existing) {
        this.sandboxId = existing.id
        this.sandboxAttempt = existing.metadata?.attempt ?? 0
        this.sandboxCfg = this.makeSandboxConfig()
        this.podIP = (await this.cri.podSandboxStatus(existing.id)).status?.network?.ip || undefined
        return true
      }
      // Only dead sandboxes are left (the node rebooted): containerd keeps their names reserved,
      // so the new one takes the next attempt number, and the dead ones are removed.
      if (all.length) {
        this.sandboxAttempt = Math.max(...all.map((s) => s.metadata?.attempt ?? 0)) + 1
        for (const old of all) {
          await this.cri.stopPodSandbox(old.id).catch(() => undefined)
          await this.cri.removePodSandbox(old.id).catch(() => undefined)
        }
      }
    }
    this.sandboxCfg = this.makeSandboxConfig()
    try {
      const cfg = this.sandboxCfg
      const slot = this.env.sandboxSlot ?? ((run) => run())
      const waited = now()
      this.sandboxId = await slot(() => {
        this.trace.add('sandboxSlot', now() - waited)
        return this.timed('runSandbox', () => this.cri.runPodSandbox(cfg))
      })
    } catch (e) {
      // a failed RunPodSandbox may leave its sandbox (and name) behind: look next time
      this.mayHaveSandbox = true
      const msg = `Failed to create pod sandbox: ${(e as Error).message}`
      this.env.event(this.pod, 'Warning', 'FailedCreatePodSandBox', msg)
      this.setWaitingAll('ContainerCreating', '')
      return false
    }
    const id = this.sandboxId
    const st = await this.timed('sandboxStatus', () => this.cri.podSandboxStatus(id))
    this.podIP = st.status?.network?.ip || undefined
    return true
  }

  private makeSandboxConfig(): PodSandboxConfig {
    return sandboxConfig(this.pod, {
      logDirBase: this.env.podLogDir,
      dns: this.env.dns,
      cgroupParent: `${this.env.cgroupRoot}/pod${this.uid}`,
      attempt: this.sandboxAttempt,
    })
  }

  /**
   * Runtime containers of this pod's current sandbox by name, newest attempt first. The list is
   * the last relist's when that began after this worker's last change (else ListContainers), and
   * a container's status is asked again only when its state changed since it was last asked.
   */
  private async runtimeContainers(): Promise<Map<string, CriStatus[]>> {
    const out = new Map<string, CriStatus[]>()
    const sandboxId = this.sandboxId
    if (!sandboxId) return out
    return this.timed('listContainers', async () => {
      const list = this.env.relisted?.(sandboxId, this.changedAt)?.containers ?? (await this.cri.listContainers({ podSandboxId: sandboxId }))
      const statuses = new Map<string, CriStatus>()
      for (const c of list) {
        const known = this.criStatuses.get(c.id)
        const status =
          known?.state === c.state
            ? known
            : (await this.cri.containerStatus(c.id).catch((e: unknown) => (isCriNotFound(e) ? undefined : Promise.reject(e))))?.status
        if (!status) continue
        statuses.set(c.id, status)
        const name = c.labels[LABEL_CONTAINER_NAME] ?? c.metadata?.name ?? ''
        out.set(name, [...(out.get(name) ?? []), status])
      }
      this.criStatuses.clear()
      for (const [id, st] of statuses) this.criStatuses.set(id, st)
      for (const runs of out.values()) runs.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0))
      return out
    })
  }

  private restartAllowed(c: Container, latest: CriStatus): boolean {
    const key = `${c.name}`
    if (!this.handledExits.has(latest.id)) {
      this.handledExits.add(latest.id)
      const finished = Math.floor(latest.finishedAt / 1e6) || this.clock.now().getTime()
      const ran = latest.startedAt ? finished - Math.floor(latest.startedAt / 1e6) : 0
      this.backoff.next(key, finished, ran)
      this.probes.delete(c.name)
    }
    const until = this.backoff.until(key) ?? 0
    if (this.clock.now().getTime() >= until) return true
    const delay = Math.round((this.backoff.delayMs(key) ?? 0) / 1000)
    const msg = `back-off ${delay < 60 ? `${delay}s` : `${Math.floor(delay / 60)}m${delay % 60 ? `${delay % 60}s` : ''}`} restarting failed container=${c.name} pod=${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.uid})`
    if (this.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
      this.env.event(
        this.pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.uid})`,
      )
    }
    this.waiting.set(c.name, { reason: 'CrashLoopBackOff', message: msg })
    return false
  }

  /** Makes the image present per imagePullPolicy; returns the image ref or undefined (waiting set). */
  private async ensureImage(c: Container, fp: string): Promise<string | undefined> {
    const image = c.image ?? ''
    const tagless = !/:[^/]+$/.test(image) && !image.includes('@')
    const policy = c.imagePullPolicy ?? (tagless || image.endsWith(':latest') ? 'Always' : 'IfNotPresent')
    const present = await this.timed('image', () => this.cri.imageStatus(image))
    if (present && policy !== 'Always') {
      this.imageIDs.set(c.name, present.repoDigests[0] ?? present.id)
      this.env.event(this.pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, fp)
      return present.id
    }
    if (policy === 'Never') {
      const msg = `Container image "${image}" is not present with pull policy of Never`
      this.env.event(this.pod, 'Warning', 'ErrImageNeverPull', msg, fp)
      this.waiting.set(c.name, { reason: 'ErrImageNeverPull', message: msg })
      return undefined
    }
    const pullKey = `pull/${c.name}`
    const until = this.backoff.until(pullKey)
    if (until !== undefined && this.clock.now().getTime() < until) {
      // the failed pull stays visible as ErrImagePull for a while (upstream shows it until its
      // next sync), then the wait for the next attempt shows as ImagePullBackOff
      const failedAt = until - (this.backoff.delayMs(pullKey) ?? 0)
      if (this.waiting.get(c.name)?.reason !== 'ErrImagePull' || this.clock.now().getTime() - failedAt >= ERR_IMAGE_PULL_SHOWN_MS) {
        this.waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` })
      }
      return undefined
    }
    this.env.event(this.pod, 'Normal', 'Pulling', `Pulling image "${image}"`, fp)
    const t0 = this.clock.now().getTime()
    try {
      const ref = await this.cri.pullImage(image, undefined, this.sandboxCfg)
      const st = await this.cri.imageStatus(image)
      this.imageIDs.set(c.name, st?.repoDigests[0] ?? ref)
      this.env.event(this.pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${this.clock.now().getTime() - t0}ms`, fp)
      this.backoff.clear(pullKey)
      return ref
    } catch (e) {
      const msg = `Failed to pull image "${image}": ${(e as Error).message}`
      this.env.event(this.pod, 'Warning', 'Failed', msg, fp)
      this.env.event(this.pod, 'Warning', 'Failed', 'Error: ErrImagePull', fp)
      this.backoff.next(pullKey, this.clock.now().getTime(), 0)
      this.waiting.set(c.name, { reason: 'ErrImagePull', message: msg })
      return undefined
    }
  }

  private async startContainer(c: Container, kind: 'init' | 'main', index: number, attempt: number, vols: VolumePaths): Promise<void> {
    this.acted = true
    const fp = fieldPath(kind, index)
    const image = await this.ensureImage(c, fp)
    if (!image || !this.sandboxId || !this.sandboxCfg) return
    let id: string
    try {
      const envs = await buildEnv(c, this.ctx())
      const cfg = containerConfig({ pod: this.pod, container: c, kind, attempt, image, envs, mounts: containerMounts(c, vols) })
      const [sandboxId, sandboxCfg] = [this.sandboxId, this.sandboxCfg]
      id = await this.timed('createContainer', () => this.cri.createContainer(sandboxId, cfg, sandboxCfg))
    } catch (e) {
      const msg = (e as Error).message
      const reason = e instanceof ConfigError ? 'CreateContainerConfigError' : 'CreateContainerError'
      this.env.event(this.pod, 'Warning', 'Failed', `Error: ${msg}`, fp)
      this.waiting.set(c.name, { reason, message: msg })
      return
    }
    this.env.event(this.pod, 'Normal', 'Created', `Created container: ${c.name}`, fp)
    try {
      await this.timed('startContainer', () => this.cri.startContainer(id))
    } catch (e) {
      const msg = (e as Error).message
      this.env.event(this.pod, 'Warning', 'Failed', `Error: ${msg}`, fp)
      this.waiting.set(c.name, { reason: 'RunContainerError', message: msg })
      return
    }
    this.waiting.delete(c.name)
    this.env.event(this.pod, 'Normal', 'Started', `Started container ${c.name}`, fp)
    if (c.lifecycle?.postStart?.exec?.command) {
      const r = await this.cri
        .execSync(id, c.lifecycle.postStart.exec.command, 30)
        .catch((e: unknown) => ({ exitCode: -1, stdout: Buffer.from(''), stderr: Buffer.from((e as Error).message) }))
      if (r.exitCode !== 0) {
        this.env.event(this.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.stderr.toString().trim() || `exit code ${r.exitCode}`}`, fp)
        await this.cri.stopContainer(id, 0).catch(() => undefined)
      }
    }
    await this.pruneOldRuns(c.name, attempt)
  }

  /** Keeps the current and the previous run of a container (for `logs --previous`). */
  private async pruneOldRuns(name: string, attempt: number): Promise<void> {
    if (attempt < 2 || !this.sandboxId) return
    const list = await this.cri.listContainers({ podSandboxId: this.sandboxId, labelSelector: { [LABEL_CONTAINER_NAME]: name } })
    for (const c of list) if ((c.metadata?.attempt ?? 0) < attempt - 1) await this.cri.removeContainer(c.id).catch(() => undefined)
  }

  private async runProbes(c: Container, index: number, run: CriStatus): Promise<void> {
    let p = this.probes.get(c.name)
    const started = Math.floor(run.startedAt / 1e6) || this.clock.now().getTime()
    if (!p || p.containerId !== run.id) {
      p = {
        containerId: run.id,
        ...(c.startupProbe ? { startup: new ProbeState('startup', c.startupProbe, started) } : {}),
        ...(c.livenessProbe ? { liveness: new ProbeState('liveness', c.livenessProbe, started) } : {}),
        ...(c.readinessProbe ? { readiness: new ProbeState('readiness', c.readinessProbe, started) } : {}),
      }
      this.probes.set(c.name, p)
    }
    const now = this.clock.now().getTime()
    const startupDone = !p.startup || p.startup.result === true
    const todo = [startupDone ? undefined : p.startup, startupDone ? p.liveness : undefined, startupDone ? p.readiness : undefined].filter(
      (x): x is ProbeState => !!x && x.due(now),
    )
    const fp = fieldPath('main', index)
    await Promise.all(
      todo.map(async (ps) => {
        ps.running = true
        const r = await runProbe(ps.probe, c, { cri: this.cri, containerId: run.id, podIP: this.podIP ?? '' })
        ps.running = false
        ps.record(r.ok, this.clock.now().getTime())
        if (!r.ok) this.env.event(this.pod, 'Warning', 'Unhealthy', `${ps.kind[0]!.toUpperCase()}${ps.kind.slice(1)} probe failed: ${r.message}`, fp)
        if (ps.result === false && ps.kind !== 'readiness') {
          const why = ps.kind === 'liveness' ? 'failed liveness probe' : 'failed startup probe'
          this.env.event(this.pod, 'Normal', 'Killing', `Container ${c.name} ${why}, will be restarted`, fp)
          this.probes.delete(c.name)
          this.acted = true
          await this.cri.stopContainer(run.id, this.pod.spec?.terminationGracePeriodSeconds ?? 30).catch(() => undefined)
        }
      }),
    )
  }

  private async views(
    snapshot?: Map<string, CriStatus[]>,
  ): Promise<{ initialized: boolean; inits: ReturnType<typeof containerStatus>[]; mains: ReturnType<typeof containerStatus>[] }> {
    const runtime = snapshot ?? (await this.runtimeContainers())
    const spec = this.pod.spec
    const view = (c: Container, main: boolean): ContainerView => {
      const runs = runtime.get(c.name) ?? []
      const latest = runs[0]
      const running = latest?.state === 'CONTAINER_RUNNING'
      const p = this.probes.get(c.name)
      const fresh = p && p.containerId === latest?.id
      const started = running && (!c.startupProbe || (!!fresh && p.startup?.result === true))
      const ready = main && started && (!c.readinessProbe || (!!fresh && p.readiness?.result === true))
      const waiting = this.waiting.get(c.name)
      // a wait reason only applies while the container is not running
      return { runs, waiting: running ? undefined : waiting, ready, started, imageID: this.imageIDs.get(c.name) }
    }
    const inits = (spec?.initContainers ?? []).map((c) => containerStatus(c, view(c, false), 'PodInitializing'))
    const initialized = inits.every((s) => s.state?.terminated?.exitCode === 0)
    const mains = (spec?.containers ?? []).map((c) => containerStatus(c, view(c, true), initialized ? 'ContainerCreating' : 'PodInitializing'))
    return { initialized, inits, mains }
  }

  private async publish(v: { initialized: boolean; inits: ReturnType<typeof containerStatus>[]; mains: ReturnType<typeof containerStatus>[] }): Promise<void> {
    const status = buildPodStatus(
      {
        pod: this.pod,
        hostIP: this.env.hostIP,
        podIP: this.podIP,
        sandboxReady: !!this.sandboxId,
        startTime: this.pod.status?.startTime ?? this.startTime,
        inits: v.inits,
        mains: v.mains,
        initialized: v.initialized,
        phase: this.finalPhase,
      },
      this.clock.now(),
    )
    const text = JSON.stringify(status)
    if (text === this.lastStatus) return
    if (await this.timed('statusPatch', () => this.env.postStatus(this.pod, status))) {
      this.lastStatus = text
      if (status.phase === 'Running' && !this.trace.finished) this.env.log(this.trace.finish(this.key()))
    }
  }

  /** preStop hooks, StopContainer within the grace period, then the sandbox, volumes and the pod object. */
  private async terminate(): Promise<void> {
    const cri = this.cri
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30
    this.killDeadline = this.clock.now().getTime() + grace * 1000
    const sandboxes = await cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: this.uid } })
    const containers = (await Promise.all(sandboxes.map((s) => cri.listContainers({ podSandboxId: s.id })))).flat()
    const all = [...(this.pod.spec?.containers ?? []), ...(this.pod.spec?.initContainers ?? [])]
    await Promise.all(
      containers
        .filter((c) => c.state === 'CONTAINER_RUNNING')
        .map(async (rc) => {
          const name = rc.labels[LABEL_CONTAINER_NAME] ?? ''
          const spec = all.find((c) => c.name === name)
          const idx = (this.pod.spec?.containers ?? []).findIndex((c) => c.name === name)
          const fp = idx >= 0 ? fieldPath('main', idx) : undefined
          this.env.event(this.pod, 'Normal', 'Killing', `Stopping container ${name}`, fp)
          const pre = spec?.lifecycle?.preStop
          if (pre && grace > 0) {
            try {
              if (pre.exec?.command) await cri.execSync(rc.id, pre.exec.command, Math.max(1, grace))
              else if (pre.httpGet || pre.tcpSocket)
                await runProbe({ httpGet: pre.httpGet, tcpSocket: pre.tcpSocket, timeoutSeconds: Math.max(1, grace) }, spec, {
                  cri,
                  containerId: rc.id,
                  podIP: this.podIP ?? '',
                })
              else if (pre.sleep?.seconds) await new Promise((r) => setTimeout(r, Math.min(pre.sleep!.seconds, grace) * 1000))
            } catch (e) {
              this.env.event(this.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${(e as Error).message}`, fp)
            }
          }
          const left = Math.max(0, Math.ceil(((this.killDeadline ?? 0) - this.clock.now().getTime()) / 1000))
          await cri.stopContainer(rc.id, left).catch((e: unknown) => this.env.log(`pod ${this.key()}: stop ${name}: ${(e as Error).message}`))
        }),
    )
    for (const s of sandboxes) {
      await cri.stopPodSandbox(s.id).catch((e: unknown) => this.env.log(`pod ${this.key()}: stop sandbox: ${(e as Error).message}`))
      await cri.removePodSandbox(s.id).catch((e: unknown) => this.env.log(`pod ${this.key()}: remove sandbox: ${(e as Error).message}`))
    }
    await Promise.all([tearDownVolumes(this.env.rootDir, this.uid), removeCgroup(podCgroup(this.env.cgroupRoot, this.uid))])
    this.sandboxId = undefined
    this.podIP = undefined
    await this.env.finalizeDelete(this.pod)
    this.done = true
    this.stop()
  }
}
