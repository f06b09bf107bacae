// One cleanup path for the benches. What a bench makes that must not outlive it (temp folders,
// clusters, child processes) is registered here; it is undone when the bench ends it (the
// returned function, from a `finally`), and on SIGINT/SIGTERM/SIGHUP (Ctrl-C of `npm run bench`,
// which forwards them), where no `finally` would run: registered tasks run newest first, then the
// process exits 128 + the signal number. A second signal exits at once — unless it comes within
// 3 s of the first: a Ctrl-C reaches the bench from the terminal, from npm and from bench/run.mjs
// alike. Temp folders made by `benchTempDir` are also removed on any exit.
// Start a bench with `node --import tsx bench/X.bench.ts` (as `npm run bench` does), not `npx tsx`:
// tsx's launcher SIGKILLs its child when the child has not acknowledged a Ctrl-C within 30 ms,
// which a bench whose event loop is busy measuring never does, so nothing would be cleaned up.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'

type Task = () => unknown

const tasks = new Set<Task>()
const dirs = new Set<string>()
let installed = false
let stoppingSince = 0

/** How long cleanup on a signal may take before the process exits anyway. */
const SIGNAL_CLEANUP_MS = 60_000
/** Signals this soon after the first are the same Ctrl-C delivered again. */
const SAME_SIGNAL_MS = 3_000
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const

async function runTasks(): Promise<void> {
  for (const task of [...tasks].reverse()) {
    tasks.delete(task)
    try {
      await task()
    } catch (e) {
      console.error(`bench cleanup: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}

function removeDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs.clear()
}

function install(): void {
  if (installed) return
  installed = true
  const exit = process.exit.bind(process)
  process.on('exit', removeDirs)
  for (const [signal, n] of Object.entries(SIGNALS)) {
    process.on(signal, () => {
      if (stoppingSince && Date.now() - stoppingSince < SAME_SIGNAL_MS) return
      if (stoppingSince) {
        console.error(`bench: ${signal} again: exiting without finishing the cleanup`)
        removeDirs()
        exit(128 + n)
      }
      stoppingSince = Date.now()
      console.error(`bench: ${signal}: cleaning up`)
      // The bench goes on meanwhile and fails as its cluster goes away: its end (an error, an
      // exit) must not cut the cleanup short.
      process.exit = (() => undefined) as unknown as typeof process.exit
      const quiet = (e: unknown): void => console.error(`bench (stopping): ${e instanceof Error ? e.message : String(e)}`)
      process.on('uncaughtException', quiet)
      process.on('unhandledRejection', quiet)
      const bound = setTimeout(() => {
        console.error(`bench: cleanup took over ${SIGNAL_CLEANUP_MS / 1000} s: exiting`)
        exit(128 + n)
      }, SIGNAL_CLEANUP_MS)
      bound.unref()
      void runTasks().finally(() => exit(128 + n))
    })
  }
}

/**
 * Registers `task` to run if the bench is stopped by a signal. Returns a function that runs it
 * now (once) and unregisters it: call that where the bench is done with the thing.
 */
export function atCleanup(task: Task): () => Promise<void> {
  install()
  tasks.add(task)
  return async () => {
    if (!tasks.delete(task)) return
    await task()
  }
}

/** A fresh folder (under the system temp dir unless `prefix` is absolute), removed on a signal or at exit if still there. */
export function benchTempDir(prefix: string): string {
  install()
  const dir = mkdtempSync(isAbsolute(prefix) ? prefix : join(tmpdir(), prefix))
  dirs.add(dir)
  return dir
}

/** Removes a folder made by `benchTempDir` now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/** Kills `child` (SIGTERM, SIGKILL after `graceMs`) if the bench is stopped by a signal while it runs. */
export function killOnSignal(child: ChildProcess, graceMs = 5_000): void {
  const stop = atCleanup(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const hard = setTimeout(() => child.kill('SIGKILL'), graceMs)
        child.once('exit', () => {
          clearTimeout(hard)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  )
  // Ended by itself: nothing to do on a signal any more.
  child.once('exit', () => void stop().catch(() => {}))
}
