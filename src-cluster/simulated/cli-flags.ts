// Flag parsing helpers for the simulated-nodes, controller-manager and control-plane commands.
import { parseDurationMs } from './duration'

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

/** Resolves on SIGINT/SIGTERM with the signal's name. */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    // Signal handlers do not keep Node's event loop alive: a component with nothing else to do
    // (a scheduler or controller manager waiting as a leader-election standby, whose timers are
    // unref'd) would otherwise end with exit code 13 (unsettled top-level await).
    const alive = setInterval(() => {}, 1 << 30)
    const on = (s: NodeJS.Signals): void => {
      clearInterval(alive)
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(s)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}
