// The one way tests prove a lab: start → every step's check fails with a reason → its solution
// (or the learner's kubectl commands) → the check passes, to the finish. Used on simulated
// clusters (test/integration/labs-simulated.test.ts) and real local ones (test/e2e/labs-local.ts).
import { expect } from 'vitest'
import { LabRunner, type Lab, type LabCluster } from '../../src-main/lab-runner'

export interface ProveLabOptions {
  /** What the learner types (kubectl arguments) for a step without a solution, by step number. */
  readonly learner?: Record<number, string[]>
  /** Runs the learner's kubectl commands against the cluster. */
  readonly kubectl: (...args: string[]) => Promise<unknown>
  /**
   * How many more times Check is pressed after a solution before the step counts as failed, as a
   * learner would when settling (a rollout, an eviction) outlasts one bounded check (default 0).
   */
  readonly checkAgain?: number
  /** The runner to drive (one whose facts() the caller already read, so they are not read again). */
  readonly runner?: LabRunner
}

/** Proves `lab` on `cluster`; returns its runner at the finish (not stopped). */
export async function proveLab(
  cluster: LabCluster,
  lab: Lab,
  { learner = {}, kubectl, checkAgain = 0, runner = new LabRunner(cluster, lab) }: ProveLabOptions,
): Promise<LabRunner> {
  const started = await runner.start()
  expect(started.progress.step).toBe(1)
  for (const step of lab.steps) {
    const before = await runner.check()
    expect(before.outcome, `${lab.id} step ${step.number} passed before the solution`).toBe('failed')
    expect(before.reason, `${lab.id} step ${step.number} gave no reason`).toMatch(/\S/)
    if (step.solution) {
      const sol = await runner.solution({ run: true })
      expect(sol.result?.code, `${lab.id} step ${step.number} solution`).toBe(0)
    } else if (learner[step.number]?.length) await kubectl(...learner[step.number]!)
    let after = await runner.check()
    for (let i = 0; i < checkAgain && after.outcome !== 'passed'; i++) after = await runner.check()
    expect(after, `${lab.id} step ${step.number} after its solution: ${after.reason}`).toMatchObject({ outcome: 'passed', step: step.number })
  }
  expect(runner.progress().finishedAt).toBeDefined()
  return runner
}
