// Progress per cluster and lab, in ~/.kubelab/clusters/NAME/labs/<id>.json, written atomically
// so an app restart (or a crash mid-write) resumes where the learner was. `.active` names the
// lab the CLI's check/hint/solution/reset act on when none is given.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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

  write(p: LabProgress): void {
    mkdirSync(this.dir, { recursive: true })
    p.updatedAt = new Date().toISOString()
    const f = this.file(p.labId)
    const tmp = `${f}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`)
    renameSync(tmp, f)
  }

  remove(labId: string): void {
    rmSync(this.file(labId), { force: true })
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
