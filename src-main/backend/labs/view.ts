// The runner's Lab, LabProgress and StepView turned into the contract's plain values. Pure
// apart from reading the intro and revealed hints from the lab folder, so a reloaded or
// restarted app shows exactly what the learner had seen.
import { existsSync, readFileSync } from 'node:fs'
import type { LabCard, LabProgressReport, LabProgressSummary, LabRunResult, LabSession, LabUnmetNeed } from '../../contract'
import { runSummary, substituteVars, type Lab, type LabProgress, type ProgressStore, type StepView, type UnmetNeed } from '../../lab-runner'

const readText = (p: string | undefined): string => (p && existsSync(p) ? readFileSync(p, 'utf8') : '')

/** Needs as lab authors write them: `workers>=N`, then capability tags. */
export function needsOf(lab: Lab): string[] {
  return [
    ...(lab.needs.controlPlanes > 1 ? [`control-planes>=${lab.needs.controlPlanes}`] : []),
    ...(lab.needs.workers > 0 ? [`workers>=${lab.needs.workers}`] : []),
    ...lab.needs.capabilities,
  ]
}

export function progressSummary(lab: Lab, labProgress: LabProgress): LabProgressSummary {
  return {
    step: labProgress.step,
    steps: lab.steps.length,
    completed: [...labProgress.completed],
    finished: labProgress.step > lab.steps.length,
    updatedAt: labProgress.updatedAt,
  }
}

export function labCard(lab: Lab, unmet: readonly UnmetNeed[] | null, progress: LabProgress | undefined): LabCard {
  return {
    id: lab.id,
    title: lab.title,
    concept: lab.description || lab.title,
    level: lab.level,
    minutes: lab.minutes,
    steps: lab.steps.length,
    needs: needsOf(lab),
    unmet: unmet ? unmet.map((u): LabUnmetNeed => ({ need: u.need, why: u.why })) : null,
    progress: progress ? progressSummary(lab, progress) : null,
  }
}

/** A started lab as the panel shows it; `unmet` is unknown here (the lab already started). */
export function labSession(cluster: string, stepView: StepView): LabSession {
  const { lab, progress: p, step } = stepView
  const n = step?.number ?? p.step
  const failures = step ? (p.failures[n] ?? 0) : 0
  const shown = step ? Math.min(p.hintsShown[n] ?? 0, step.hints.length) : 0
  const hintsShown = step ? step.hints.slice(0, shown).map((h) => substituteVars(readText(h).trim(), p.vars)) : []
  return {
    cluster,
    lab: labCard(lab, null, p),
    steps: lab.steps.map((s) => ({ number: s.number, title: s.title, hasSolution: s.solution !== undefined, hints: s.hints.length })),
    step: p.step,
    completed: [...p.completed],
    finished: p.step > lab.steps.length,
    text: stepView.text,
    intro: substituteVars(readText(lab.intro.text), p.vars),
    failures,
    hintAfter: step?.hintAfter ?? 0,
    hintsShown,
    hintAvailable: step !== undefined && step.hints.length > 0 && failures >= step.hintAfter && shown < step.hints.length,
    lastReason: step && p.lastReason !== undefined && failures > 0 ? p.lastReason : null,
    result: runResult(p),
  }
}

/** Time, checks and hints of a finished run; null while it runs. */
export function runResult(labProgress: LabProgress): LabRunResult | null {
  if (!labProgress.finishedAt) return null
  const s = runSummary(labProgress)
  return { seconds: s.seconds, attempts: s.attempts, hints: s.hints, startedAt: s.startedAt, finishedAt: labProgress.finishedAt }
}

/** Every run in `store` as a teacher's report; titles and step counts from the catalogue's labs. */
export function progressReport(cluster: string, store: ProgressStore, labs: readonly Lab[], now = new Date()): LabProgressReport {
  const byId = new Map(labs.map((l) => [l.id, l]))
  return {
    cluster,
    exportedAt: now.toISOString(),
    labs: store.all().map((p) => {
      const s = runSummary(p, now)
      const lab = byId.get(p.labId)
      return {
        labId: p.labId,
        title: lab?.title ?? p.labId,
        steps: lab?.steps.length ?? p.step - 1,
        completed: [...s.completed],
        finished: s.finished,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt ?? null,
        seconds: s.seconds,
        attempts: s.attempts,
        hints: s.hints,
      }
    }),
  }
}
