// The lab engine shared by the desktop backend and the CLI: start, check, hint, solution,
// reset and status for one lab on one cluster. Scripts run through a ScriptExecutor (host shell
// or SSH to the step's node); the runner's own cluster work (readiness, cleanup, namespaces)
// uses kubectl with the admin kubeconfig. State lives in the ProgressStore so every call can
// come from a fresh process.
import { assertScriptApproved } from './consent'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kubectl } from './kubectl'
import { canonicalImage, hasStandIn } from './images'
import { detectFacts, hasImage, unmetNeeds, type ClusterFacts, type LabNode, type NodeComponents, type UnmetNeed } from './needs'
import { newProgress, substituteVars, type LabProgress, type ProgressStore } from './progress'
import { diffSnapshots, snapshotObjects, trackableResources } from './tracking'
import type { ScriptExecutor, ScriptResult } from './scripts'
import { LAB_LABEL, type HostProbe, type Lab, type LabStep } from './types'

/** One cluster as the runner sees it. */
export interface LabCluster {
  readonly name: string
  readonly provider: string
  readonly kubectl: Kubectl
  readonly executor: ScriptExecutor
  readonly progress: ProgressStore
  /** Image references present on every node (real runtimes); omitted when unknown. */
  images?(): Promise<ReadonlySet<string> | undefined>
  /** Which KubeLab components run on each node (machines); omitted when unknown. */
  nodeComponents?(): Promise<NodeComponents | undefined>
  /** Loads KubeLab's offline stand-ins of these references onto every node. */
  loadImages?(refs: readonly string[], log: LabLog): Promise<void>
  /**
   * How much slower than hardware the nodes run (an emulated VM: several times); a lab's script
   * time limits are written for real hardware and are multiplied by it. Default 1.
   */
  readonly timeScale?: number
}

export class NeedsNotMetError extends Error {
  constructor(
    readonly lab: Lab,
    readonly unmet: readonly UnmetNeed[],
  ) {
    super(`lab ${lab.id} cannot run on this cluster:\n${unmet.map((u) => `  - needs ${u.need}: ${u.why}`).join('\n')}`)
    this.name = 'NeedsNotMetError'
  }
}

export type CheckOutcome = 'passed' | 'failed' | 'could-not-check'

export interface CheckResult {
  readonly outcome: CheckOutcome
  /** Step that was checked (1-based). */
  readonly step: number
  /** What the learner sees: the failure reason, or what could not be checked. */
  readonly reason?: string
  readonly attempt: number
  /** All steps done. */
  readonly finished: boolean
  /** A hint can be revealed now. */
  readonly hintAvailable: boolean
}

export interface StepView {
  readonly lab: Lab
  readonly progress: LabProgress
  /** undefined once the lab is finished. */
  readonly step?: LabStep
  readonly text: string
}

export type LabLog = (line: string) => void

const readText = (p: string | undefined): string => (p && existsSync(p) ? readFileSync(p, 'utf8') : '')
const lastLine = (s: string): string =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .pop() ?? ''

export class LabRunner {
  private factsCache?: ClusterFacts
  private trackableCache?: string[]

  private async trackable(): Promise<string[]> {
    this.trackableCache ??= await trackableResources(this.cluster.kubectl)
    return this.trackableCache
  }

  constructor(
    readonly cluster: LabCluster,
    readonly lab: Lab,
    private readonly log: LabLog = () => {},
  ) {}

  async facts(): Promise<ClusterFacts> {
    this.factsCache ??= await detectFacts(this.cluster.kubectl, this.cluster.provider, {
      images: await this.cluster.images?.(),
      components: await this.cluster.nodeComponents?.(),
      canLoadImages: this.cluster.loadImages !== undefined,
    })
    return this.factsCache
  }

  async unmet(): Promise<UnmetNeed[]> {
    return unmetNeeds(this.lab, await this.facts())
  }

  progress(): LabProgress {
    const p = this.cluster.progress.read(this.lab.id)
    if (!p) throw new Error(`lab ${this.lab.id} has not been started on cluster ${this.cluster.name}: kubelab lab start ${this.cluster.name} ${this.lab.id}`)
    return p
  }

  /** Checks needs, cleans what an earlier run left, prepares namespaces and opens step 1. */
  async start(): Promise<StepView> {
    const unmet = await this.unmet()
    if (unmet.length) throw new NeedsNotMetError(this.lab, unmet)
    await this.ready()
    await this.loadMissingImages()
    const old = this.readProgress()
    const p = newProgress(this.lab.id, this.cluster.name)
    p.vars = labVars(scriptEnv(this.lab, this.cluster, (await this.facts()).nodes, 0, 0))
    // What an earlier run's scripts made is still to be removed; the components it found running
    // are still the ones to restore.
    p.created = old?.created ?? []
    p.components = mergeComponents(old?.components, await this.componentsNow())
    this.cluster.progress.write(p)
    try {
      await this.prepare(p, p.step)
    } finally {
      // Even when a setup script failed: what it created is recorded for the next reset.
      this.cluster.progress.write(p)
    }
    this.cluster.progress.setActive(this.lab.id)
    return this.view(p)
  }

  private readProgress(): LabProgress | undefined {
    try {
      return this.cluster.progress.read(this.lab.id)
    } catch {
      return undefined
    }
  }

  /**
   * Leaves the lab: starts again every component it stopped on a node (kubelet, scheduler),
   * deletes what it owns (its namespaces, labelled cluster objects, what its scripts created)
   * without waiting for namespaces to finish terminating.
   */
  async stop(): Promise<void> {
    const p = this.readProgress()
    await this.cleanup(p, { wait: false })
    if (p) this.cluster.progress.write(p)
    if (this.cluster.progress.active() === this.lab.id) this.cluster.progress.setActive(undefined)
  }

  /** Back to the current step's starting state: delete what the lab owns, replay backgrounds. */
  async reset(): Promise<StepView> {
    const p = this.progress()
    await this.ready()
    const step = Math.min(p.step, this.lab.steps.length)
    try {
      await this.prepare(p, step)
    } catch (e) {
      this.cluster.progress.write(p)
      throw e
    }
    p.step = step
    p.completed = p.completed.filter((s) => s < step)
    delete p.finishedAt
    p.attempts[step] = 0
    p.failures[step] = 0
    delete p.lastReason
    this.cluster.progress.write(p)
    return this.view(p)
  }

  /** Loads the offline stand-ins of the lab's images that are not on every node yet. */
  private async loadMissingImages(): Promise<void> {
    const facts = await this.facts()
    if (!facts.capabilities.has('runtime') || !facts.images || !this.cluster.loadImages) return
    const absent = this.lab.needs.images.filter((i) => !hasImage(facts.images!, i) && hasStandIn(i))
    if (absent.length === 0) return
    this.log(`loading offline images onto every node: ${absent.join(', ')}`)
    await this.cluster.loadImages(absent, this.log)
    const now = new Set(facts.images)
    for (const i of absent) now.add(canonicalImage(i))
    this.factsCache = { ...facts, images: now }
  }

  view(labProgress: LabProgress = this.progress()): StepView {
    const step = this.lab.steps[labProgress.step - 1]
    const text = substituteVars(step ? readText(step.text) : readText(this.lab.finish.text), labProgress.vars)
    return { lab: this.lab, progress: labProgress, step, text }
  }

  /** Runs the current step's verify (plus node checks and host probes) and records the attempt. */
  async check(): Promise<CheckResult> {
    const p = this.progress()
    const step = this.lab.steps[p.step - 1]
    if (!step) return { outcome: 'passed', step: p.step, attempt: 0, finished: true, hintAvailable: false, reason: 'the lab is finished' }
    const notReady = await this.readyProblem()
    if (notReady)
      return {
        outcome: 'could-not-check',
        step: step.number,
        reason: notReady,
        attempt: p.attempts[step.number] ?? 0,
        finished: false,
        hintAvailable: this.hintAvailable(p, step),
      }
    const attempt = (p.attempts[step.number] ?? 0) + 1
    p.attempts[step.number] = attempt
    const reason = await this.verifyStep(step, attempt)
    if (reason === undefined) {
      p.completed = [...new Set([...p.completed, step.number])].sort((a, b) => a - b)
      p.step = step.number + 1
      delete p.lastReason
      if (p.step > this.lab.steps.length) p.finishedAt = new Date().toISOString()
      this.cluster.progress.write(p)
      const next = this.lab.steps[p.step - 1]
      if (next) {
        await this.tracked(p, [next.background], () => this.runSetup(next.background, next, 'background'))
        this.cluster.progress.write(p)
      }
      return { outcome: 'passed', step: step.number, attempt, finished: p.step > this.lab.steps.length, hintAvailable: false }
    }
    p.failures[step.number] = (p.failures[step.number] ?? 0) + 1
    p.lastReason = reason
    this.cluster.progress.write(p)
    return { outcome: 'failed', step: step.number, reason, attempt, finished: false, hintAvailable: this.hintAvailable(p, step) }
  }

  /**
   * The next hint of the current step, once `hintAfter` checks have failed; otherwise a
   * sentence saying how many more failed checks unlock one.
   */
  hint(): { text: string; index?: number; remaining: number; checksNeeded?: number } {
    const p = this.progress()
    const step = this.lab.steps[p.step - 1]
    if (!step) return { text: 'The lab is finished: no more hints.', remaining: 0 }
    if (step.hints.length === 0)
      return { text: `Step ${step.number} has no hints; the solution is available: kubelab lab solution ${this.cluster.name}`, remaining: 0 }
    const failed = p.failures[step.number] ?? 0
    if (failed < step.hintAfter) {
      const more = step.hintAfter - failed
      return { text: `Press Check ${more} more time${more === 1 ? '' : 's'} (failed checks unlock hints).`, remaining: step.hints.length, checksNeeded: more }
    }
    const shown = p.hintsShown[step.number] ?? 0
    const index = Math.min(shown, step.hints.length - 1)
    p.hintsShown[step.number] = index + 1
    this.cluster.progress.write(p)
    return { text: substituteVars(readText(step.hints[index]).trim(), p.vars), index: index + 1, remaining: step.hints.length - index - 1 }
  }

  /** The current step's solution script; with run, also runs it (bounded) and returns its output. */
  async solution(opts: { run?: boolean } = {}): Promise<{ script: string; result?: ScriptResult }> {
    const p = this.progress()
    const step = this.lab.steps[p.step - 1]
    if (!step) throw new Error(`lab ${this.lab.id} is finished: no step left to solve`)
    if (!step.solution) throw new Error(`step ${step.number} of lab ${this.lab.id} has no solution script (kubelab.solution in index.json)`)
    const script = substituteVars(readText(step.solution), p.vars)
    if (!opts.run) return { script }
    const result = await this.runSetup(step.solution, step, 'solution')
    return { script, result }
  }

  private hintAvailable(p: LabProgress, step: LabStep): boolean {
    return step.hints.length > 0 && (p.failures[step.number] ?? 0) >= step.hintAfter && (p.hintsShown[step.number] ?? 0) < step.hints.length
  }

  /** undefined when the step passed, else the reason to show. */
  private async verifyStep(step: LabStep, attempt: number): Promise<string | undefined> {
    if (step.verify) {
      const r = await this.runScript(step.verify, step, step.runOn, step.timeoutSeconds * 1000, attempt)
      if (r.timedOut) return `check timed out after ${this.seconds(step.timeoutSeconds)} s`
      if (r.code !== 0) return r.reason || lastLine(r.stdout) || step.failureReason || lastLine(r.stderr) || 'Not done yet'
    }
    for (const [node, script] of Object.entries(step.nodeChecks)) {
      const r = await this.runScript(script, step, node, step.timeoutSeconds * 1000, attempt)
      if (r.timedOut) return `check on ${node} timed out after ${this.seconds(step.timeoutSeconds)} s`
      if (r.code !== 0) return `${node}: ${r.reason || lastLine(r.stdout) || lastLine(r.stderr) || 'not done yet'}`
    }
    for (const probe of step.hostProbes) {
      const problem = await this.probe(probe)
      if (problem) return problem
    }
    return undefined
  }

  private async probe(pr: HostProbe): Promise<string | undefined> {
    const node = (await this.facts()).nodes.find((n) => n.alias === pr.node)
    if (!node?.ip) return `cannot probe ${pr.node}:${pr.port}: node ${pr.node} has no address the host can reach`
    return new Promise((resolve) => {
      const req = request({ host: node.ip, port: pr.port, path: pr.path, method: 'GET', timeout: 5000 }, (res) => {
        res.resume()
        resolve(
          res.statusCode === pr.expectStatus ? undefined : `GET http://${node.ip}:${pr.port}${pr.path} answered ${res.statusCode}; expected ${pr.expectStatus}`,
        )
      })
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')))
      req.on('error', (e) => resolve(`GET http://${node.ip}:${pr.port}${pr.path} failed: ${e.message}`))
      req.end()
    })
  }

  /** Readiness gate for check: a failure here is "could not check", not a failed attempt. */
  private async readyProblem(): Promise<string | undefined> {
    const r = await this.cluster.kubectl(['get', '--raw', '/readyz'], { timeoutMs: 10_000 })
    return r.code === 0 ? undefined : `could not check: the API server of cluster ${this.cluster.name} is not ready (${lastLine(r.stderr) || `exit ${r.code}`})`
  }

  private async ready(): Promise<void> {
    const problem = await this.readyProblem()
    if (problem) throw new Error(`${problem}; start it with kubelab start ${this.cluster.name}`)
  }

  /** Clean slate for `step`: lab-owned objects deleted, namespaces made, intro + steps ≤ step replayed. */
  private async prepare(p: LabProgress, step: number): Promise<void> {
    await this.cleanup(p)
    this.cluster.progress.write(p)
    await this.makeNamespaces()
    // One listing before and one after all the setup scripts: what they created is remembered.
    const scripts = [this.lab.intro.background, ...this.lab.steps.slice(0, step).map((s) => s.background)]
    await this.tracked(p, scripts, async () => {
      await this.runSetup(this.lab.intro.background, this.lab.steps[0], 'intro background')
      for (const s of this.lab.steps.slice(0, step)) await this.runSetup(s.background, s, `step ${s.number} background`)
    })
  }

  /**
   * Runs `fn` (which runs `scripts`) and adds to p.created what appeared meanwhile; scripts
   * that never call kubectl change nodes, not objects, and need no listing.
   */
  private async tracked(p: LabProgress, scripts: readonly (string | undefined)[], fn: () => Promise<unknown>): Promise<void> {
    if (!scripts.some((s) => s && /\bkubectl\b/.test(readText(s)))) {
      await fn()
      return
    }
    const before = await snapshotObjects(this.cluster.kubectl, await this.trackable())
    try {
      await fn()
    } finally {
      // Also after a failed script: what it made before failing must go on the next reset.
      const made = diffSnapshots(before, await snapshotObjects(this.cluster.kubectl, await this.trackable()), this.lab.namespaces)
      if (made.length) p.created = [...new Set([...(p.created ?? []), ...made])].sort()
    }
  }

  /** Components (kubelet, scheduler, ...) per node alias now; undefined when the provider cannot tell. */
  private async componentsNow(): Promise<Record<string, string[]> | undefined> {
    const now = await this.cluster.nodeComponents?.()
    if (!now) return undefined
    return Object.fromEntries([...now].map(([alias, set]) => [alias, [...set].filter((c) => !NOT_COMPONENTS.has(c)).sort()]))
  }

  /** Starts again, on every node, each component that ran before the lab and does not now. */
  private async restoreComponents(p: LabProgress | undefined): Promise<void> {
    if (!p?.components) return
    const now = await this.componentsNow()
    if (!now) return
    const dir = mkdtempSync(join(tmpdir(), 'kubelab-restore-'))
    try {
      const script = join(dir, 'restore.sh')
      writeFileSync(script, RESTORE_SCRIPT)
      for (const [alias, before] of Object.entries(p.components)) {
        const missing = before.filter((c) => !(now[alias] ?? []).includes(c))
        if (missing.length === 0 || !now[alias]) continue
        this.log(`starting again on ${alias} what the lab stopped: ${missing.join(', ')}`)
        const r = await this.cluster.executor.run({
          script,
          node: alias,
          env: { KUBELAB_RESTORE: missing.join(' ') },
          cwd: dir,
          timeoutMs: 60_000 * (this.cluster.timeScale ?? 1),
        })
        if (r.code !== 0)
          throw new Error(
            `lab ${this.lab.id}: could not start ${missing.join(', ')} again on ${alias} (${this.cluster.executor.describe(alias)}): ${lastLine(r.stderr) || lastLine(r.stdout) || `exit ${r.code}`}`,
          )
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  private async cleanup(p: LabProgress | undefined, o: { wait?: boolean } = {}): Promise<void> {
    const k = this.cluster.kubectl
    // Components first: pods on a node whose kubelet is stopped would never finish terminating.
    await this.restoreComponents(p)
    // Cluster-wide changes first (node labels, taints, cordons), while the lab's objects exist.
    await this.runSetup(this.lab.cleanup, undefined, 'cleanup', this.lab.cleanupOn)
    // What the lab's scripts created outside its declared namespaces (an imported scenario's own namespace and Deployment).
    const createdNamespaces: string[] = []
    if (p?.created?.length) {
      this.log(`deleting what the lab's scripts created: ${p.created.join(', ')}`)
      for (const ref of p.created) {
        const [kind, ns, name] = ref.split('/') as [string, string, string]
        if (kind === 'Namespace') createdNamespaces.push(name)
        const r = await k(['delete', kind, name, ...(ns ? ['-n', ns] : []), '--ignore-not-found', '--wait=false'])
        if (r.code !== 0) throw new Error(`lab ${this.lab.id}: could not delete ${ref} that its scripts created: ${lastLine(r.stderr)}`)
      }
      p.created = []
    }
    const sel = `${LAB_LABEL}=${this.lab.id}`
    // Declared namespaces left by any lab (a shared cluster) go too; a learner's own do not.
    const owned = new Set(
      (await k(['get', 'namespaces', '-l', sel, '-o', 'name'])).stdout
        .split('\n')
        .filter(Boolean)
        .map((n) => n.replace(/^namespace\//, '')),
    )
    for (const ns of this.lab.namespaces) {
      const r = await k(['get', 'namespace', ns, '-o', `jsonpath={.metadata.labels.${LAB_LABEL.replace(/\./g, '\\.')}}`])
      if (r.code === 0 && r.stdout.trim() !== '') owned.add(ns)
      else if (r.code === 0)
        throw new Error(
          `namespace ${ns} exists and no lab owns it: lab ${this.lab.id} needs it empty; delete it (kubectl delete namespace ${ns}) or use another cluster`,
        )
    }
    if (owned.size) {
      this.log(`deleting lab namespaces: ${[...owned].join(', ')}`)
      await k(['delete', 'namespace', ...owned, '--ignore-not-found', '--wait=false'])
      // The lab is over: its pods need not sit out a 30 s grace period (busybox's `sleep` ignores
      // SIGTERM), which would hold the next lab's start. A terminating namespace takes no new pods.
      for (const ns of owned) await k(['delete', 'pods', '--all', '-n', ns, '--grace-period=1', '--ignore-not-found', '--wait=false'])
    }
    await k(['delete', 'clusterroles,clusterrolebindings,persistentvolumes,storageclasses,priorityclasses', '-l', sel, '--ignore-not-found', '--wait=false'])
    if (o.wait === false) return
    // Namespaces that earlier labs left terminating (stop does not wait) still hold pods for up to
    // their grace period: a drill that drains a node would trip over them. Wait for those too.
    const terminating = (await k(['get', 'namespaces', '-l', LAB_LABEL, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}'])).stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([name, phase]) => name && phase === 'Terminating')
      .map(([name]) => name!)
    if (terminating.length) this.log(`waiting for namespaces of earlier labs to finish terminating: ${terminating.join(', ')}`)
    const waitFor = new Set([...owned, ...createdNamespaces, ...terminating])
    const until = Date.now() + 60_000
    for (;;) {
      const left = []
      for (const ns of waitFor) if ((await k(['get', 'namespace', ns, '-o', 'name'])).code === 0) left.push(ns)
      if (left.length === 0) return
      if (Date.now() > until)
        throw new Error(`namespaces ${left.join(', ')} were not deleted within 60 s: see kubectl get namespace ${left[0]} -o yaml (finalizers)`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  private async makeNamespaces(): Promise<void> {
    for (const ns of this.lab.namespaces) {
      const yaml = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [LAB_LABEL]: this.lab.id } } })
      const r = await this.cluster.kubectl(['apply', '-f', '-'], { input: yaml })
      if (r.code !== 0) throw new Error(`cannot create namespace ${ns} for lab ${this.lab.id}: ${r.stderr.trim()}`)
    }
    // Pods are refused until the controller manager has made a namespace's `default`
    // ServiceAccount (ServiceAccount admission); wait for it as upstream's e2e framework does, so
    // a setup script's first pod does not race the controller on a slow (emulated) node.
    for (const ns of this.lab.namespaces) {
      const until = Date.now() + 30_000
      while ((await this.cluster.kubectl(['-n', ns, 'get', 'serviceaccount', 'default', '-o', 'name'])).code !== 0) {
        if (Date.now() > until) throw new Error(`namespace ${ns} has no default ServiceAccount after 30 s: is the controller manager running?`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  }

  /** Background and solution scripts: bounded, and a failure stops the operation with its output. */
  private async runSetup(script: string | undefined, step: LabStep | undefined, what: string, on?: string): Promise<ScriptResult | undefined> {
    if (!script) return undefined
    const node = on ?? step?.runOn ?? 'cp'
    const r = await this.runScript(script, step, node, this.lab.setupTimeoutSeconds * 1000, 0)
    for (const l of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) this.log(`[${what}] ${l}`)
    if (r.timedOut)
      throw new Error(
        `lab ${this.lab.id}: ${what} did not finish within ${this.seconds(this.lab.setupTimeoutSeconds)} s (${this.cluster.executor.describe(node)}); try kubelab lab reset`,
      )
    if (r.code !== 0)
      throw new Error(
        `lab ${this.lab.id}: ${what} failed (exit ${r.code}, ${this.cluster.executor.describe(node)}): ${lastLine(r.stderr) || lastLine(r.stdout)}`,
      )
    return r
  }

  /** A time limit written for real hardware, scaled to this cluster's nodes. */
  private seconds(s: number): number {
    return Math.round(s * (this.cluster.timeScale ?? 1))
  }

  private async runScript(script: string, step: LabStep | undefined, node: string, limitMs: number, attempt: number): Promise<ScriptResult> {
    // An imported scenario's script runs only if the user allowed it at import, unchanged (consent.ts).
    assertScriptApproved(this.lab.id, this.lab.dir, script)
    const timeoutMs = limitMs * (this.cluster.timeScale ?? 1)
    const facts = await this.facts()
    return this.cluster.executor.run({
      script,
      node,
      env: scriptEnv(this.lab, this.cluster, facts.nodes, step?.number ?? 0, attempt),
      cwd: assetDir(this.lab),
      timeoutMs,
    })
  }
}

/** Node features parseComponents reports that are not components to start. */
const NOT_COMPONENTS = new Set(['lb-pool'])

/** Starts each component in $KUBELAB_RESTORE: systemd units on VMs, the supervisor on local nodes. */
const RESTORE_SCRIPT = `#!/usr/bin/env bash
set -eu
for c in $KUBELAB_RESTORE; do
  if [ -z "\${KUBELAB_ROOT:-}" ] && [ -d /run/systemd/system ]; then systemctl start "kubelab-$c"
  else "\${KUBELAB_NODE_BINARY:-node}" "\${KUBELAB_ROOT:-}/var/lib/kubelab/bin/supervisor.mjs" ctl start "$c"; fi
done
`

/** Union per node of what ran before an earlier run and what runs now. */
function mergeComponents(a: Record<string, string[]> | undefined, b: Record<string, string[]> | undefined): Record<string, string[]> | undefined {
  if (!a) return b
  if (!b) return a
  const out: Record<string, string[]> = { ...a }
  for (const [alias, list] of Object.entries(b)) out[alias] = [...new Set([...(out[alias] ?? []), ...list])].sort()
  return out
}

/** The variables a lab's texts may use: every KUBELAB_* of scriptEnv but the per-run counters. */
export function labVars(env: Record<string, string>): Record<string, string> {
  const { KUBELAB_STEP: _s, KUBELAB_ATTEMPT: _a, ...vars } = env
  return vars
}

function assetDir(lab: Lab): string {
  const assets = join(lab.dir, 'assets')
  return existsSync(assets) ? assets : lab.dir
}

/** The KUBELAB_* variables of LABS.md §1.5, plus KUBELAB_NODE_<ALIAS> = the node's real name. */
export function scriptEnv(
  lab: Lab,
  cluster: { name: string; provider: string },
  nodes: readonly LabNode[],
  step: number,
  attempt: number,
): Record<string, string> {
  const env: Record<string, string> = {
    KUBELAB_LAB: lab.id,
    KUBELAB_STEP: String(step),
    KUBELAB_ATTEMPT: String(attempt),
    KUBELAB_CLUSTER: cluster.name,
    KUBELAB_PROVIDER: cluster.provider,
    KUBELAB_NODES: nodes.map((n) => n.alias).join(' '),
  }
  for (const n of nodes) {
    const key = n.alias.toUpperCase()
    env[`KUBELAB_NODE_${key}`] = n.name
    if (n.ip) env[`KUBELAB_NODE_${key}_IP`] = n.ip
  }
  return env
}
