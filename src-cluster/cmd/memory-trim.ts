// One memory-reducing full collection when a kubelab-node process has grown and gone quiet.
// V8 shrinks its heap (new space back to its minimum, old-generation pages compacted and given
// back) only in a "memory-reducing" collection, which its memory reducer starts when the isolate
// looks idle; a control plane that keeps allocating for heartbeats and leases never looks idle
// to it, so after a burst the heap stayed committed at its peak. The simulated control plane at
// 100 nodes / 3000 pods (`bench/cluster.bench.ts`), settled, went from 240 to 177 MiB RSS with
// one such collection and stayed there.
//
// The only memory-reducing collection Node reaches without a native addon is the inspector's
// `HeapProfiler.collectGarbage` (`gc()` of --expose-gc is not memory-reducing). Posted from a
// session on the main thread its callback runs, but the event loop then stopped (Node 20), so the
// session lives on a short-lived worker thread (`connectToMainThread`): the collection runs on the
// main thread, then the worker ends, and with it its isolate (not kept resident).
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

/** KUBELAB_MEMORY_TRIM=off (or 0, false, no) turns the trim off. */
export const MEMORY_TRIM_ENV = 'KUBELAB_MEMORY_TRIM'

export interface MemoryTrimOptions {
  /** How often the process's event-loop use and RSS are read (ms). */
  readonly sampleMs?: number
  /** A sample is quiet when the event loop was busy for less than this share of it (0–1). */
  readonly quietUtilization?: number
  /** Quiet samples in a row before a trim (a burst's short lulls do not count). */
  readonly quietSamples?: number
  /** RSS growth since the last trim (or start) that makes a trim worth it (bytes)… */
  readonly minGrowthBytes?: number
  /** …and as a share of the RSS then, whichever is larger. */
  readonly minGrowthRatio?: number
  /** The least time between two trims (ms). */
  readonly minIntervalMs?: number
  /** Where the one line per trim goes (the component's log). */
  readonly log?: (line: string) => void
  /** Each sample, for tests and benches that need to see what the trim saw. */
  readonly onSample?: (s: MemoryTrimSample) => void
  /** Each trim's figures. */
  readonly onTrim?: (t: MemoryTrimResult) => void
}

export interface MemoryTrimSample {
  /** Event-loop utilization over the sample (0–1). */
  readonly utilization: number
  readonly rss: number
  readonly quietSamples: number
  /** RSS growth that would make a trim worth it now, and the growth so far (bytes). */
  readonly neededGrowth: number
  readonly growth: number
}

export interface MemoryTrimResult {
  readonly before: NodeJS.MemoryUsage
  readonly after: NodeJS.MemoryUsage
  /** Summed duration of the garbage collections V8 reported during the trim (the main thread's pause). */
  readonly gcPauseMs: number
  /** CPU of the process over the trim, the worker's start included. */
  readonly cpuMs: number
  readonly wallMs: number
}

export interface MemoryTrim {
  /** Runs a trim now (whatever the conditions); resolves with its figures. */
  trimNow(): Promise<MemoryTrimResult>
  stop(): void
}

const MiB = 2 ** 20
const mib = (b: number): string => (b / MiB).toFixed(1)

// The worker: a session on the main thread, one collection, then it disconnects (a session left
// connected at exit makes Node print "Waiting for the debugger to disconnect...") and waits for
// the main thread's word before it ends. Ending at once raced the main thread tearing down its
// side of the session against the worker's inspector going away, and Node 20 aborted the process
// (MainThreadInterface::Post from ~ThreadSafeDelegate; ~1 run in 6 of a toy on the loaded machine).
const WORKER_SOURCE = `
const { Session } = require('node:inspector')
const { parentPort } = require('node:worker_threads')
const session = new Session()
session.connectToMainThread()
const alive = setInterval(() => {}, 60000)
parentPort.once('message', () => {
  clearInterval(alive)
  parentPort.close()
})
session.post('HeapProfiler.collectGarbage', (err) => {
  session.disconnect()
  parentPort.postMessage(err ? String(err.message || err) : '')
})
`

/** How long the main thread lets the worker live after its answer (see WORKER_SOURCE). */
const WORKER_LINGER_MS = 100
/** How long a trim may take before its worker is ended. */
const WORKER_TIMEOUT_MS = 60_000

/** Why the trim cannot run in this process, or undefined when it can. */
export function memoryTrimUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[MEMORY_TRIM_ENV]?.trim().toLowerCase()
  if (v && ['off', '0', 'false', 'no'].includes(v)) return `turned off by ${MEMORY_TRIM_ENV}=${env[MEMORY_TRIM_ENV]}`
  // Node built without the inspector (./configure --without-inspector) has no HeapProfiler.
  if (!process.features.inspector) return 'this Node.js has no inspector'
  return undefined
}

/** One memory-reducing full collection, through a worker's inspector session on the main thread. */
export function collectAllGarbage(): Promise<MemoryTrimResult> {
  const before = process.memoryUsage()
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let gcPauseMs = 0
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauseMs += e.duration
  })
  gcs.observe({ entryTypes: ['gc'] })
  return new Promise<MemoryTrimResult>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } })
    let answer: string | undefined
    // A collection takes well under a second; one that never answers must not leave a worker behind.
    const giveUp = setTimeout(() => {
      answer ??= `no answer in ${WORKER_TIMEOUT_MS} ms`
      void worker.terminate()
    }, WORKER_TIMEOUT_MS)
    giveUp.unref()
    worker.once('message', (m: unknown) => {
      answer = String(m)
      // The worker's disconnect reached the main thread before its answer; by the next turn the
      // main thread has handled it, and then the worker may go.
      setImmediate(() => setTimeout(() => worker.postMessage('exit'), WORKER_LINGER_MS))
    })
    worker.once('error', (e) => {
      answer = e.message
    })
    worker.once('exit', () => {
      clearTimeout(giveUp)
      // The observer's entries arrive on a later turn than the collection itself.
      setImmediate(() => {
        gcs.disconnect()
        if (answer === undefined || answer !== '') {
          reject(new Error(`memory trim: the inspector's collection failed: ${answer ?? 'the worker ended without an answer'}`))
          return
        }
        const cpu = process.cpuUsage(cpu0)
        resolve({ before, after: process.memoryUsage(), gcPauseMs, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 })
      })
    })
  })
}

/** The one log line of a trim (array buffers: the malloc'd memory behind Buffers, for context). */
export function formatTrim(result: MemoryTrimResult): string {
  const { before, after } = result
  return (
    `memory trim: heap used ${mib(before.heapUsed)} → ${mib(after.heapUsed)} MiB, ` +
    `heap total ${mib(before.heapTotal)} → ${mib(after.heapTotal)} MiB, ` +
    `array buffers ${mib(before.arrayBuffers)} → ${mib(after.arrayBuffers)} MiB, ` +
    `RSS ${mib(before.rss)} → ${mib(after.rss)} MiB, ` +
    `GC pause ${result.gcPauseMs.toFixed(0)} ms, CPU ${result.cpuMs.toFixed(0)} ms at ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`
  )
}

/**
 * Watches the process and runs one memory-reducing collection when its RSS grew by a good
 * margin since the last trim (or start) and its event loop has been quiet for a few samples,
 * at most once per minIntervalMs; never in a burst. Returns undefined (and logs why) when the
 * trim is off or cannot run. The timer does not keep the process alive.
 */
export function startMemoryTrim(opts: MemoryTrimOptions = {}): MemoryTrim | undefined {
  const log = opts.log ?? ((line: string) => console.log(line))
  const why = memoryTrimUnavailable()
  if (why) {
    log(`memory trim: off (${why})`)
    return undefined
  }
  const sampleMs = opts.sampleMs ?? 2000
  const quietUtilization = opts.quietUtilization ?? 0.2
  const quietSamplesNeeded = opts.quietSamples ?? 3
  const minGrowthBytes = opts.minGrowthBytes ?? 16 * MiB
  const minGrowthRatio = opts.minGrowthRatio ?? 0.15
  const minIntervalMs = opts.minIntervalMs ?? 60_000

  let baseline = process.memoryUsage.rss()
  let lastTrim = -Infinity
  let quiet = 0
  let running = false
  let stopped = false
  let elu = performance.eventLoopUtilization()

  const trim = async (): Promise<MemoryTrimResult> => {
    running = true
    try {
      const t = await collectAllGarbage()
      log(formatTrim(t))
      opts.onTrim?.(t)
      return t
    } finally {
      running = false
      lastTrim = performance.now()
      baseline = process.memoryUsage.rss()
      quiet = 0
    }
  }

  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    const utilization = performance.eventLoopUtilization(now, elu).utilization
    elu = now
    const rss = process.memoryUsage.rss()
    quiet = utilization < quietUtilization ? quiet + 1 : 0
    const neededGrowth = Math.max(minGrowthBytes, baseline * minGrowthRatio)
    const growth = rss - baseline
    opts.onSample?.({ utilization, rss, quietSamples: quiet, neededGrowth, growth })
    if (running || stopped || quiet < quietSamplesNeeded || growth < neededGrowth || performance.now() - lastTrim < minIntervalMs) return
    trim().catch((e: unknown) => {
      // A failure (an inspector that refuses the session) would repeat: stop trying.
      log(`${e instanceof Error ? e.message : String(e)}; no more trims`)
      handle.stop()
    })
  }, sampleMs)
  timer.unref()

  const handle: MemoryTrim = {
    trimNow: trim,
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
  return handle
}
