// Background processes that outlive the CLI call: pid files, liveness checks that notice a
// stale pid file (the process died, or the pid now belongs to something else), and stopping.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

/** Reads a pid file; undefined when missing or unreadable. */
export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  const n = Number(readFileSync(file, 'utf8').trim())
  return Number.isInteger(n) && n > 0 ? n : undefined
}

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`, { mode: 0o600 })
}

/**
 * True when `pid` runs and (where /proc tells) its command line contains every `marker`, so a
 * recycled pid held by an unrelated process does not count as ours.
 */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const proc = `/proc/${pid}/cmdline`
  if (!existsSync(proc)) return process.platform !== 'linux'
  try {
    const cmd = readFileSync(proc, 'utf8').split('\0').join(' ')
    if (cmd.trim() === '') return false // a zombie: exited, not yet reaped
    return markers.every((m) => cmd.includes(m))
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
export async function terminate(pid: number, markers: readonly string[], graceMs = 10_000): Promise<'exited' | 'killed' | 'not-running'> {
  if (!isOurProcess(pid, markers)) return 'not-running'
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return 'not-running'
  }
  const until = Date.now() + graceMs
  while (Date.now() < until) {
    if (!isOurProcess(pid, markers)) return 'exited'
    await sleep(100)
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* gone meanwhile */
  }
  for (let i = 0; i < 50 && isOurProcess(pid, markers); i++) await sleep(100)
  return 'killed'
}

export function removePid(file: string): void {
  rmSync(file, { force: true })
}
