// Flags several components share, and the parsers that turn flag text into values (with
// messages that name the flag).
import { DEFAULT_LEADER_ELECTION, validateTiming } from '../leaderelection/elector'
import type { LeaderElectionFlags } from '../leaderelection/run'
import { parseDurationMs } from '../simulated/duration'
import type { FlagValues } from './component'

export const KUBECONFIG_FLAG = { type: 'string', arg: 'FILE', help: 'how to reach and authenticate to the API server (required)', required: true } as const

export function wholeNumber(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min) throw new Error(`--${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`)
  return n
}

export function durationMs(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  try {
    return parseDurationMs(text)
  } catch (e) {
    throw new Error(`--${flag}: ${(e as Error).message}`)
  }
}

export function durationSeconds(flag: string, text: string | undefined): number | undefined {
  const ms = durationMs(flag, text)
  return ms === undefined ? undefined : Math.round(ms / 1000)
}

/** A TCP port 0-65535 (`min` 1 where 0, "pick one", makes no sense). */
export function portNumber(flag: string, text: string, min = 0): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > 65535) throw new Error(`--${flag} must be a port number ${min}-65535, got ${JSON.stringify(text)}`)
  return n
}

/** Upstream's leader-election flags; `component` names the default Lease (kube-scheduler, ...). */
export function leaderElectionFlags(component: string) {
  return {
    'leader-elect': { type: 'string', arg: '=true|false', help: 'run only while holding the Lease NAMESPACE/NAME (default true)' },
    'leader-elect-lease-duration': { type: 'string', arg: 'D', help: 'how long others wait before taking an unrenewed lease (default 15s)' },
    'leader-elect-renew-deadline': { type: 'string', arg: 'D', help: 'how long the holder retries renewing before it stops (default 10s)' },
    'leader-elect-retry-period': { type: 'string', arg: 'D', help: 'between attempts to acquire or renew (default 2s)' },
    'leader-elect-resource-namespace': { type: 'string', arg: 'N', help: 'namespace of the Lease (default kube-system)' },
    'leader-elect-resource-name': { type: 'string', arg: 'N', help: `name of the Lease (default ${component})` },
  } as const
}

export function leaderElectionFromFlags(flagValues: Partial<FlagValues<ReturnType<typeof leaderElectionFlags>>>, defaultName: string): LeaderElectionFlags {
  const on = flagValues['leader-elect'] ?? 'true'
  if (on !== 'true' && on !== 'false') throw new Error(`--leader-elect must be true or false, got ${on}`)
  const timing = {
    leaseDurationMs: durationMs('leader-elect-lease-duration', flagValues['leader-elect-lease-duration']) ?? DEFAULT_LEADER_ELECTION.leaseDurationMs,
    renewDeadlineMs: durationMs('leader-elect-renew-deadline', flagValues['leader-elect-renew-deadline']) ?? DEFAULT_LEADER_ELECTION.renewDeadlineMs,
    retryPeriodMs: durationMs('leader-elect-retry-period', flagValues['leader-elect-retry-period']) ?? DEFAULT_LEADER_ELECTION.retryPeriodMs,
  }
  validateTiming(timing)
  return {
    enabled: on === 'true',
    timing,
    namespace: flagValues['leader-elect-resource-namespace'] ?? 'kube-system',
    name: flagValues['leader-elect-resource-name'] ?? defaultName,
  }
}
