// Progress per cluster and lab, in ~/.kubelab/clusters/NAME/labs/<id>.json, written atomically
// so an app restart (or a crash mid-write) resumes where the learner was. `.active` names the
// lab the CLI's check/hint/solution/reset act on when none is given.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface LabProgress {
  readonly labId: string
  readonly cluster: string
  /** The step the learner is on (1-based); steps.length + 1 once finished. */
  step: number
  /** Steps whose check passed. */
  completed: number[]
  /** Checks pressed per step (counted attempts only: "could not check" is not one). */
  attempts: Record<string, number>
  /** Failed checks per step: hints unlock from these. */
  failures: Record<string, number>
  /** Hints revealed per step. */
  hintsShown: Record<string, number>
  lastReason?: string
  /**
   * The KUBELAB_* variables of this cluster (node names, IPs) when the lab started: texts,
   * hints and solutions are shown with them filled in, and the lab shell exports them.
   */
  vars?: Record<string, string>
  /**
   * Objects the lab's setup scripts created (`resource/namespace/name`, namespace empty for
   * cluster-scoped ones): reset and stop delete them, so a replayed setup starts clean.
   */
  created?: string[]
  /** KubeLab components running on each node (alias → names) before the lab first started. */
  components?: Record<string, string[]>
  startedAt: string
  updatedAt: string
  finishedAt?: string
}

export class ProgressStore {
  constructor(readonly dir: string) {}

  file(labId: string): string {
    return join(this.dir, `${labId}.json`)
  }

  read(labId: string): LabProgress | undefined {
    const f = this.file(labId)
    if (!existsSync(f)) return undefined
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as LabProgress
    } catch (e) {
      throw new Error(`${f} is not valid JSON (${(e as Error).message}): delete it to start the lab over`)
    }
  }

  write(labProgress: LabProgress): void {
    mkdirSync(this.dir, { recursive: true })
    labProgress.updatedAt = new Date().toISOString()
    const f = this.file(labProgress.labId)
    const tmp = `${f}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(labProgress, null, 2)}\n`)
    renameSync(tmp, f)
  }

  remove(labId: string): void {
    rmSync(this.file(labId), { force: true })
  }

  /** Every lab with progress on this cluster (corrupt files are skipped). */
  all(): LabProgress[] {
    if (!existsSync(this.dir)) return []
    const out: LabProgress[] = []
    for (const f of readdirSync(this.dir)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as LabProgress)
      } catch {
        // a half-written or hand-edited file: not progress we can report
      }
    }
    return out
  }

  active(): string | undefined {
    const f = join(this.dir, '.active')
    return existsSync(f) ? readFileSync(f, 'utf8').trim() || undefined : undefined
  }

  /** Remembers the lab the cluster is on; undefined forgets it. */
  setActive(labId: string | undefined): void {
    mkdirSync(this.dir, { recursive: true })
    if (labId === undefined) rmSync(join(this.dir, '.active'), { force: true })
    else writeFileSync(join(this.dir, '.active'), `${labId}\n`)
  }
}

export function newProgress(labId: string, cluster: string): LabProgress {
  const now = new Date().toISOString()
  return { labId, cluster, step: 1, completed: [], attempts: {}, failures: {}, hintsShown: {}, startedAt: now, updatedAt: now }
}

/** `$KUBELAB_X` and `${KUBELAB_X}` replaced by the lab's variables; unknown ones stay as written. */
export function substituteVars(text: string, vars: Readonly<Record<string, string>> | undefined): string {
  if (!vars) return text
  return text.replace(/\$(?:\{(KUBELAB_[A-Z0-9_]+)\}|(KUBELAB_[A-Z0-9_]+)\b)/g, (m, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? m)
}

/** How a run went: time from start to finish (or to now), checks pressed and hints revealed. */
export interface LabRunSummary {
  readonly labId: string
  readonly cluster: string
  readonly step: number
  readonly completed: readonly number[]
  readonly finished: boolean
  readonly startedAt: string
  readonly finishedAt?: string
  /** Seconds from start to finish; to now while unfinished. */
  readonly seconds: number
  readonly attempts: number
  readonly hints: number
}

export function runSummary(labProgress: LabProgress, now = new Date()): LabRunSummary {
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0)
  const end = labProgress.finishedAt ? Date.parse(labProgress.finishedAt) : now.getTime()
  return {
    labId: labProgress.labId,
    cluster: labProgress.cluster,
    step: labProgress.step,
    completed: [...labProgress.completed],
    finished: labProgress.finishedAt !== undefined,
    startedAt: labProgress.startedAt,
    ...(labProgress.finishedAt ? { finishedAt: labProgress.finishedAt } : {}),
    seconds: Math.max(0, Math.round((end - Date.parse(labProgress.startedAt)) / 1000)),
    attempts: sum(labProgress.attempts),
    hints: sum(labProgress.hintsShown),
  }
}

/** `12 min 5 s`, `45 s`, `1 h 3 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`
  const m = Math.floor((seconds % 3600) / 60)
  return `${Math.floor(seconds / 3600)} h${m ? ` ${m} min` : ''}`
}

/** The variables of the lab last started in a cluster's labs folder; empty when none. */
export function activeLabVars(progressDir: string): Record<string, string> {
  try {
    const store = new ProgressStore(progressDir)
    const id = store.active()
    return (id && store.read(id)?.vars) || {}
  } catch {
    return {}
  }
}
