// A component's loops behind leader election: started when this replica acquires the lease,
// stopped when it loses or releases it. The command-line flags are upstream's.
import type { Client } from '../client/types'
import type { Clock } from '../util/clock'
import { LeaderElector, type LeaderElectionTiming } from './elector'

export interface Loops {
  stop(): void | Promise<void>
}

export interface LeaderElectedOptions {
  readonly client: Client
  /** The Lease: kube-system/NAME (kube-scheduler, kube-controller-manager). */
  readonly name: string
  readonly namespace?: string
  readonly identity?: string
  readonly timing?: Partial<LeaderElectionTiming>
  readonly clock?: Clock
  readonly log?: (line: string) => void
  /** Start the component's loops (informers, workers); called on acquiring the lease. */
  readonly start: () => Promise<Loops>
  /** Called after the loops stopped because the lease was lost (not on stop()). */
  readonly onLost?: () => void
}

export interface LeaderElected {
  readonly elector: LeaderElector
  /** Whether this replica's loops run now. */
  running(): boolean
  /** Stop competing, stop the loops, release the lease. */
  stop(): Promise<void>
}

export function runLeaderElected(opts: LeaderElectedOptions): LeaderElected {
  let loops: Promise<Loops> | undefined
  let stopping = false
  const log = opts.log ?? ((l: string) => console.log(l))
  const stopLoops = async (): Promise<void> => {
    const l = loops
    loops = undefined
    if (l) await (await l.catch(() => undefined))?.stop()
  }
  const elector = new LeaderElector({
    client: opts.client,
    namespace: opts.namespace ?? 'kube-system',
    name: opts.name,
    identity: opts.identity,
    timing: opts.timing,
    clock: opts.clock,
    log,
    onStartedLeading: async () => {
      loops = opts.start()
      await loops.catch((e: unknown) => log(`${opts.name}: could not start after acquiring the lease: ${e instanceof Error ? e.message : String(e)}`))
    },
    onStoppedLeading: () => {
      void stopLoops().then(() => {
        if (!stopping) opts.onLost?.()
      })
    },
  })
  elector.start()
  return {
    elector,
    running: () => loops !== undefined,
    async stop() {
      stopping = true
      await elector.stop()
      await stopLoops()
    },
  }
}

export interface LeaderElectionFlags {
  readonly enabled: boolean
  readonly timing: LeaderElectionTiming
  readonly namespace: string
  readonly name: string
}
