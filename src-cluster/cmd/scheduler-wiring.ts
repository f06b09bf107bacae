// The scheduler as a component of the all-in-one control plane (and test clusters): started
// in-process through the scheduler package's own API, stopped with the rest.
import type { Client } from '../client/types'
import { startScheduler } from '../scheduler'
import type { Clock } from '../util/clock'

export interface RunningScheduler {
  stop(): Promise<void>
}

export async function startSchedulerInProcess(o: { client: Client; clock: Clock; log: (line: string) => void }): Promise<RunningScheduler> {
  const s = await startScheduler({ client: o.client, clock: o.clock, log: o.log })
  return { stop: () => s.stop() }
}
