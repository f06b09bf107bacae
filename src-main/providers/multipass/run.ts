// Runs a hypervisor CLI and collects its output. A missing program is a result (exit 127 with
// a message), not an exception, so `detect` can say "install it" instead of crashing.
import { spawn } from 'node:child_process'

export interface CommandResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed (cloud-init for `launch --cloud-init -`). */
  readonly input?: string
  /** Added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>
}

export type CommandRunner = (bin: string, args: readonly string[], opts?: RunOptions) => Promise<CommandResult>

export const spawnRunner: CommandRunner = (bin, args, opts = {}) =>
  new Promise((resolve) => {
    const child = spawn(bin, [...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {
      /* the program exited without reading stdin; its exit code tells what happened */
    })
    child.on('error', (e: NodeJS.ErrnoException) => {
      resolve({ code: e.code === 'ENOENT' ? 127 : 126, stdout: '', stderr: `${bin}: ${e.code === 'ENOENT' ? 'command not found' : e.message}` })
    })
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.end(opts.input ?? '')
  })

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** "1m 05s" style elapsed time for wait messages (users asked to see it: multipass#2313). */
export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}
