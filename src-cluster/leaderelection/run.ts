// A component's loops behind leader election: started when this replica acquires the lease,
// stopped when it loses or releases it. The command-line flags are upstream's.
import type { Client } from '../client/types'
import type { Clock } from '../util/clock'
import { parseDurationMs } from '../simulated/duration'
import { DEFAULT_LEADER_ELECTION, LeaderElector, validateTiming, type LeaderElectionTiming } from './elector'

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

export function runLeaderElected(o: LeaderElectedOptions): LeaderElected {
  let loops: Promise<Loops> | undefined
  let stopping = false
  const log = o.log ?? ((l: string) => console.log(l))
  const stopLoops = async (): Promise<void> => {
    const l = loops
    loops = undefined
    if (l) await (await l.catch(() => undefined))?.stop()
  }
  const elector = new LeaderElector({
    client: o.client,
    namespace: o.namespace ?? 'kube-system',
    name: o.name,
    identity: o.identity,
    timing: o.timing,
    clock: o.clock,
    log,
    onStartedLeading: async () => {
      loops = o.start()
      await loops.catch((e: unknown) => log(`${o.name}: could not start after acquiring the lease: ${e instanceof Error ? e.message : String(e)}`))
    },
    onStoppedLeading: () => {
      void stopLoops().then(() => {
        if (!stopping) o.onLost?.()
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

export const LEADER_ELECTION_FLAGS = {
  'leader-elect': { type: 'string' },
  'leader-elect-lease-duration': { type: 'string' },
  'leader-elect-renew-deadline': { type: 'string' },
  'leader-elect-retry-period': { type: 'string' },
  'leader-elect-resource-namespace': { type: 'string' },
  'leader-elect-resource-name': { type: 'string' },
} as const

export const LEADER_ELECTION_HELP = `  --leader-elect=true|false           run only while holding the Lease NAMESPACE/NAME (default true)
  --leader-elect-lease-duration D     how long others wait before taking an unrenewed lease (default 15s)
  --leader-elect-renew-deadline D     how long the holder retries renewing before it stops (default 10s)
  --leader-elect-retry-period D       between attempts to acquire or renew (default 2s)
  --leader-elect-resource-namespace N namespace of the Lease (default kube-system)
  --leader-elect-resource-name N      name of the Lease (default: the component's, as upstream)`

export interface LeaderElectionFlags {
  readonly enabled: boolean
  readonly timing: LeaderElectionTiming
  readonly namespace: string
  readonly name: string
}

export function leaderElectionFromFlags(v: Partial<Record<keyof typeof LEADER_ELECTION_FLAGS, string | undefined>>, defaultName: string): LeaderElectionFlags {
  const on = v['leader-elect'] ?? 'true'
  if (on !== 'true' && on !== 'false') throw new Error(`--leader-elect must be true or false, got ${on}`)
  const dur = (flag: keyof typeof LEADER_ELECTION_FLAGS, dflt: number): number => {
    const t = v[flag]
    if (t === undefined) return dflt
    try {
      return parseDurationMs(t)
    } catch (e) {
      throw new Error(`--${flag}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const timing = {
    leaseDurationMs: dur('leader-elect-lease-duration', DEFAULT_LEADER_ELECTION.leaseDurationMs),
    renewDeadlineMs: dur('leader-elect-renew-deadline', DEFAULT_LEADER_ELECTION.renewDeadlineMs),
    retryPeriodMs: dur('leader-elect-retry-period', DEFAULT_LEADER_ELECTION.retryPeriodMs),
  }
  validateTiming(timing)
  return {
    enabled: on === 'true',
    timing,
    namespace: v['leader-elect-resource-namespace'] ?? 'kube-system',
    name: v['leader-elect-resource-name'] ?? defaultName,
  }
}
