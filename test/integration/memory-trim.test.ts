// The memory trim of long-running kubelab-node components (src-cluster/cmd/memory-trim.ts), in
// a real child process: after a burst of garbage and a quiet spell one memory-reducing
// collection gives the heap back (heap and RSS drop), not while the process stays busy, also
// under --inspect (the benches profile the control plane through its inspector), and not at all
// with KUBELAB_MEMORY_TRIM=off.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, 'fixtures', 'memory-trim-child.ts')

interface Usage {
  rss: number
  heapTotal: number
  heapUsed: number
}
interface Line {
  log?: string
  busyOver?: number
  trim?: { before: Usage; after: Usage; gcPauseMs: number }
  whileBusy?: boolean
}

/** Runs the child to its end (it exits once it has trimmed, or at once when the trim is off). */
function runChild(mode: string, opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', CHILD, mode], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A child that never trims would spin on: it is killed before the test's own timeout.
      timeout: 50_000,
    })
    let out = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
    child.on('error', reject)
    child.on('exit', (code) =>
      resolve({
        code,
        stderr,
        lines: out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Line),
      }),
    )
  })
}

const MiB = 2 ** 20

function expectTrimmed(lines: Line[], stderr: string): void {
  const trims = lines.filter((l) => l.trim)
  expect(trims).toHaveLength(1)
  const { before, after } = trims[0]!.trim!
  // ~200 MiB of garbage was left committed: the collection frees it and V8 gives the pages back.
  expect(before.heapTotal - after.heapTotal).toBeGreaterThan(64 * MiB)
  expect(after.heapUsed).toBeLessThan(before.heapUsed)
  expect(before.rss - after.rss).toBeGreaterThan(64 * MiB)
  // The one log line per trim, as the component's log shows it.
  expect(lines.filter((l) => l.log).map((l) => l.log)).toEqual([expect.stringMatching(/^memory trim: heap used .* MiB, GC pause \d+ ms, CPU \d+ ms at \S+Z$/)])
  // The worker's inspector session was closed: nothing holds the process at exit.
  expect(stderr).not.toContain('Waiting for the debugger')
}

describe('memory trim', () => {
  it('gives back the heap of a burst once the process is quiet', async () => {
    const { code, lines, stderr } = await runChild('quiet')
    expect(code, stderr).toBe(0)
    expectTrimmed(lines, stderr)
  }, 60_000)

  it('does not trim while the event loop stays busy, then does once it is quiet', async () => {
    const { code, lines, stderr } = await runChild('busy')
    expect(code, stderr).toBe(0)
    // The garbage was there and the trim watched all along: only the busy event loop held it back.
    const busyOver = lines.findIndex((l) => l.busyOver !== undefined)
    const trim = lines.findIndex((l) => l.trim)
    expect(busyOver).toBeGreaterThanOrEqual(0)
    expect(trim).toBeGreaterThan(busyOver)
    expect(lines[trim]!.whileBusy).toBe(false)
    expectTrimmed(lines, stderr)
  }, 60_000)

  it('works in a process started with --inspect', async () => {
    const { code, lines, stderr } = await runChild('quiet', { nodeArgs: ['--inspect=127.0.0.1:0'] })
    expect(code, stderr).toBe(0)
    expect(stderr).toContain('Debugger listening on ws://')
    expectTrimmed(lines, stderr)
  }, 60_000)

  it('is off with KUBELAB_MEMORY_TRIM=off', async () => {
    const { code, lines, stderr } = await runChild('quiet', { env: { KUBELAB_MEMORY_TRIM: 'off' } })
    expect(code, stderr).toBe(0)
    expect(lines).toEqual([{ log: 'memory trim: off (turned off by KUBELAB_MEMORY_TRIM=off)' }])
  }, 60_000)
})
