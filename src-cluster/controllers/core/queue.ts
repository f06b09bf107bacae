// The loop every core controller runs: a work queue of keys drained by workers through the
// framework's runWorkers. Retries (409s, errors) back off on real time; genuinely time-based
// behaviour (lease expiry, toleration deadlines) uses the context's Clock instead.
import { WorkQueue } from '../../client'
import { runWorkers, type ControllerContext } from '../framework'

export type Reconcile = (key: string) => Promise<void | { requeueAfterMs: number }>

export interface RunningQueue {
  readonly queue: WorkQueue<string>
  stop(): void
}

export function startQueue(ctx: ControllerContext, name: string, workers: number, reconcile: Reconcile): RunningQueue {
  const queue = new WorkQueue<string>()
  const done = runWorkers(name, queue, workers, reconcile, ctx.log)
  return {
    queue,
    stop() {
      queue.shutDown()
      void done().catch(() => {})
    },
  }
}
