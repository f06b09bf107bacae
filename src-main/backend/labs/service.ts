// Labs for the desktop app: the catalogue judged against a cluster, and the runner's start,
// check, hint, solution and reset for one lab on one cluster. Each call builds a fresh runner
// (progress lives on disk, as for the CLI), so an app restart resumes where the learner was.
// One operation per cluster at a time: a Check while Start still runs its background scripts
// would judge a half-prepared cluster.
import {
  DEFAULT_PROVIDER,
  type EventMessage,
  type LabCatalogue,
  type LabCheckReply,
  type LabHintReply,
  type LabProgressReport,
  type LabRef,
  type LabSession,
  type LabSolutionReply,
} from '../../contract'
import {
  catalogueRoots,
  labsProgressDir,
  LabRunner,
  loadCatalogue,
  managedLabCluster,
  NeedsNotMetError,
  ProgressStore,
  unmetNeeds,
  type Lab,
  type ManagedLabCluster,
} from '../../lab-runner'
import type { ClusterManager } from '../../clusters'
import { CodedError } from '../../contract/errors'
import { labCard, labSession, progressReport } from './view'

export interface LabServiceOptions {
  /** The process's one cluster manager. */
  manager: ClusterManager
  /** Folder holding the shipped labs/ catalogue (the package root). */
  projectRoot: string
  publish: (message: EventMessage) => void
}

type Operation = 'start' | 'reset' | 'check' | 'hint' | 'solution' | 'session'

export class LabService {
  /** cluster → what runs on it now. */
  private readonly running = new Map<string, string>()

  constructor(private readonly opts: LabServiceOptions) {}

  private manager(): ClusterManager {
    return this.opts.manager
  }

  private roots(manager: ClusterManager): string[] {
    return catalogueRoots(this.opts.projectRoot, manager.home)
  }

  async catalogue(clusterName: string | null): Promise<LabCatalogue> {
    const manager = this.manager()
    const entries = loadCatalogue(this.roots(manager))
    const labs = entries.flatMap((e) => (e.lab ? [e.lab] : []))
    const broken = entries.flatMap((e) => (e.error ? [{ dir: e.dir, problem: e.error }] : []))
    if (!clusterName) return { cluster: null, labs: labs.map((l) => labCard(l, null, undefined)), broken, clusterProblem: null, active: null }
    const rec = (await manager.list()).find((c) => c.name === clusterName)
    if (!rec) throw new CodedError('cluster_not_found', notFound(clusterName))
    const progress = new ProgressStore(labsProgressDir(manager.dir(clusterName)))
    let judge: ((lab: Lab) => ReturnType<typeof unmetNeeds>) | null = null
    let clusterProblem: string | null = null
    if (rec.state !== 'running') clusterProblem = `cluster ${clusterName} is ${rec.state}: start it in Clusters to see which labs it can run`
    else if (labs[0]) {
      let cluster: ManagedLabCluster | undefined
      try {
        cluster = await managedLabCluster(manager, clusterName)
        const facts = await new LabRunner(cluster, labs[0]).facts()
        judge = (lab) => unmetNeeds(lab, facts)
      } catch (e) {
        clusterProblem = `could not read what cluster ${clusterName} provides: ${(e as Error).message}`
      } finally {
        cluster?.close()
      }
    }
    return {
      cluster: clusterName,
      labs: labs.map((l) => labCard(l, judge ? judge(l) : null, readProgress(progress, l.id))),
      broken,
      clusterProblem,
      active: safeActive(progress),
    }
  }

  start(ref: LabRef): Promise<LabSession> {
    return this.withRunner(
      ref,
      'start',
      async (runner) => {
        this.say(ref, 'start', `checking that cluster ${ref.cluster} meets the needs of ${runner.lab.title}`)
        if (runner.lab.namespaces.length) this.say(ref, 'start', `preparing namespaces ${runner.lab.namespaces.join(', ')} and running the setup scripts`)
        else this.say(ref, 'start', 'running the setup scripts')
        const v = await runner.start()
        this.say(ref, 'start', `ready: step 1 of ${runner.lab.steps.length}`)
        return labSession(ref.cluster, v)
      },
      { started: false },
    )
  }

  session(ref: LabRef): Promise<LabSession> {
    return this.withRunner(ref, 'session', async (runner) => labSession(ref.cluster, runner.view()), { exclusive: false, offline: true })
  }

  async active(clusterName: string): Promise<LabSession | null> {
    const manager = this.manager()
    if (!(await manager.list()).some((c) => c.name === clusterName)) throw new CodedError('cluster_not_found', notFound(clusterName))
    const progress = new ProgressStore(labsProgressDir(manager.dir(clusterName)))
    const id = safeActive(progress)
    // The active lab may have been removed from the catalogue since: then there is nothing to resume.
    if (!id || !readProgress(progress, id) || !loadCatalogue(this.roots(manager)).some((e) => e.lab?.id === id)) return null
    return this.session({ cluster: clusterName, lab: id })
  }

  /** Every lab run on the cluster, from disk (works while the cluster is stopped). */
  async progress(clusterName: string): Promise<LabProgressReport> {
    const manager = this.manager()
    if (!(await manager.list()).some((c) => c.name === clusterName)) throw new CodedError('cluster_not_found', notFound(clusterName))
    const labs = loadCatalogue(this.roots(manager)).flatMap((e) => (e.lab ? [e.lab] : []))
    return progressReport(clusterName, new ProgressStore(labsProgressDir(manager.dir(clusterName))), labs)
  }

  check(ref: LabRef): Promise<LabCheckReply> {
    return this.withRunner(ref, 'check', async (runner) => {
      const r = await runner.check()
      return {
        outcome: r.outcome,
        step: r.step,
        reason: r.outcome === 'passed' ? null : (r.reason ?? null),
        attempt: r.attempt,
        session: labSession(ref.cluster, runner.view()),
      }
    })
  }

  hint(ref: LabRef): Promise<LabHintReply> {
    return this.withRunner(
      ref,
      'hint',
      async (runner) => {
        const h = runner.hint()
        return { text: h.text, index: h.index ?? null, remaining: h.remaining, session: labSession(ref.cluster, runner.view()) }
      },
      { offline: true },
    )
  }

  solution(ref: LabRef, run: boolean): Promise<LabSolutionReply> {
    return this.withRunner(
      ref,
      'solution',
      async (runner) => {
        const s = await runner.solution({ run })
        const ran = s.result ? { code: s.result.code ?? -1, output: `${s.result.stdout}${s.result.stderr}`.trim() } : null
        return { script: s.script, ran, session: labSession(ref.cluster, runner.view()) }
      },
      { offline: !run },
    )
  }

  reset(ref: LabRef): Promise<LabSession> {
    return this.withRunner(ref, 'reset', async (runner) => {
      this.say(ref, 'reset', `deleting what ${runner.lab.title} made and replaying its setup`)
      const v = await runner.reset()
      this.say(ref, 'reset', `ready: back at the start of step ${v.progress.step}`)
      return labSession(ref.cluster, v)
    })
  }

  private say(ref: LabRef, operation: Operation, line: string): void {
    this.opts.publish({ name: 'labs.log', payload: { cluster: ref.cluster, lab: ref.lab, operation, line } })
  }

  /**
   * Runs `fn` with a runner for the lab on the cluster, turning the runner's exceptions into
   * coded errors. `started: false` skips the "has it been started" test (for start itself);
   * `offline` runs from the progress on disk alone (session, hint, showing a solution), so it
   * answers while the cluster is stopped.
   */
  private async withRunner<T>(
    ref: LabRef,
    op: Operation,
    fn: (runner: LabRunner) => Promise<T>,
    o: { started?: boolean; exclusive?: boolean; offline?: boolean } = {},
  ): Promise<T> {
    const exclusive = o.exclusive ?? true
    const busy = this.running.get(ref.cluster)
    if (exclusive && busy) throw new CodedError('lab_busy', `cluster ${ref.cluster} is busy: ${busy} is still running; wait for it to finish`)
    if (exclusive) this.running.set(ref.cluster, `${op} of lab ${ref.lab}`)
    let cluster: ManagedLabCluster | undefined
    try {
      const manager = this.manager()
      const rec = (await manager.list()).find((c) => c.name === ref.cluster)
      if (!rec) throw new CodedError('cluster_not_found', notFound(ref.cluster))
      const lab = loadCatalogue(this.roots(manager)).find((e) => e.lab?.id === ref.lab)?.lab
      if (!lab) throw new CodedError('lab_not_found', `no lab ${ref.lab} in ${this.roots(manager).join(' or ')}; pick one from the catalogue`)
      const progress = new ProgressStore(labsProgressDir(manager.dir(ref.cluster)))
      if (o.started !== false && !readProgress(progress, lab.id))
        throw new CodedError('lab_not_started', `lab ${lab.id} has not been started on cluster ${ref.cluster}: press Start`)
      if (!o.offline && rec.state !== 'running')
        throw new CodedError('cluster_not_running', `cluster ${ref.cluster} is ${rec.state}: start it in Clusters, then try again (your progress is kept)`)
      cluster = o.offline ? offlineCluster(ref.cluster, rec.provider ?? DEFAULT_PROVIDER, progress) : await managedLabCluster(manager, ref.cluster)
      const runner = new LabRunner(cluster, lab, (line) => this.say(ref, op, line))
      return await fn(runner)
    } catch (e) {
      if (e instanceof CodedError) throw e
      if (e instanceof NeedsNotMetError) throw new CodedError('needs_not_met', e.message)
      throw new CodedError(`lab_${op}_failed`, (e as Error).message)
    } finally {
      cluster?.close()
      if (exclusive) this.running.delete(ref.cluster)
    }
  }
}

const notFound = (name: string): string => `no cluster named ${name}; create one in Clusters or with kubelab create`

/** A cluster for calls that only read progress and lab files: anything reaching the cluster fails saying so. */
function offlineCluster(name: string, provider: string, progress: ProgressStore): ManagedLabCluster {
  const why = `this call does not reach cluster ${name}`
  return {
    name,
    provider,
    progress,
    kubectl: async () => ({ code: 1, stdout: '', stderr: why }),
    executor: {
      describe: () => 'no executor',
      run: async () => {
        throw new Error(why)
      },
    },
    close: () => {},
  }
}

function readProgress(progress: ProgressStore, id: string): ReturnType<ProgressStore['read']> {
  try {
    return progress.read(id)
  } catch {
    // A corrupt progress file reads as "not started"; Start writes a fresh one.
    return undefined
  }
}

function safeActive(progress: ProgressStore): string | null {
  try {
    return progress.active() ?? null
  } catch {
    return null
  }
}
