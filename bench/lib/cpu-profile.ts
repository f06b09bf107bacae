// Where a process's CPU time goes: record a V8 CPU profile of one phase of a bench (through the
// inspector, in the process measured) and summarize it as self time by function and by file, with
// the garbage collector's share. A `.cpuprofile` written by `node --cpu-prof` or Chrome can be
// summarized alone: `node --import tsx bench/lib/cpu-profile.ts FILE [TOP]`.
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface SelfTime {
  readonly what: string
  readonly ms: number
  readonly pct: number
}

export interface CpuSummary {
  readonly totalMs: number
  readonly gcPct: number
  readonly idlePct: number
  readonly functions: readonly SelfTime[]
  readonly files: readonly SelfTime[]
}

/** Starts profiling this process; the returned function stops and hands back the profile. */
export async function startCpuProfile(intervalUs = 500): Promise<() => Promise<CpuProfile>> {
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))))
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', { interval: intervalUs })
  await post('Profiler.start')
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile }
    session.disconnect()
    return profile
  }
}

export interface RemoteProfiles {
  readonly cpu: CpuProfile
  /** The sampled allocations (collected ones included), as a `.heapprofile`, when asked for. */
  readonly allocations?: AllocationProfile
}

export interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: AllocationNode[]
}

export interface AllocationProfile {
  head: AllocationNode
}

/** Bytes allocated in a sampled allocation profile (an estimate: samples × their sizes). */
export function allocatedBytes(profile: AllocationProfile): number {
  let total = 0
  const walk = (n: AllocationNode): void => {
    total += n.selfSize
    for (const c of n.children) walk(c)
  }
  walk(profile.head)
  return total
}

/**
 * Starts profiling another Node.js process through its inspector (`node --inspect`; `url` is the
 * ws://… address it printed as "Debugger listening on"): its CPU, and with `allocations` what it
 * allocates (sampled every 16 KiB, objects the GC collected included). The returned function
 * stops and hands back the profiles.
 */
export async function startRemoteProfile(url: string, opts: { intervalUs?: number; allocations?: boolean } = {}): Promise<() => Promise<RemoteProfiles>> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let next = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
    const w = m.id === undefined ? undefined : waiting.get(m.id)
    if (!w) return
    waiting.delete(m.id!)
    if (m.error) w.reject(new Error(m.error.message))
    else w.resolve(m.result)
  })
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++
      waiting.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method, params }))
    })
  if (opts.allocations) {
    await post('HeapProfiler.enable')
    await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  }
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', { interval: opts.intervalUs ?? 500 })
  await post('Profiler.start')
  return async () => {
    const { profile: cpu } = (await post('Profiler.stop')) as { profile: CpuProfile }
    const allocations = opts.allocations ? ((await post('HeapProfiler.stopSampling')) as { profile: AllocationProfile }).profile : undefined
    ws.close()
    return { cpu, allocations }
  }
}

const root = relative('/', fileURLToPath(new URL('../..', import.meta.url)))

function fileOf(url: string): string {
  if (!url) return '(native)'
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const i = path.indexOf(root)
  const inRepo = i >= 0 ? path.slice(i + root.length + 1) : path
  const nm = inRepo.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = inRepo.slice(nm + 'node_modules/'.length).split('/')
    return `node_modules/${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  return inRepo
}

/** Self time by function and by file, GC and idle shares, from a profile's samples. */
export function summarizeCpuProfile(profile: CpuProfile, top = 25): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  if (profile.samples && profile.timeDeltas) {
    // A sample's time is the delta to the next one, but no more than twice the usual interval: on
    // a loaded machine the process waits for a core between samples, and that wait would land on
    // whatever function happened to run (a 100 ms gap in a 1 µs function).
    const usual = [...profile.timeDeltas].sort((a, b) => a - b)[Math.floor(profile.timeDeltas.length / 2)] ?? 0
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0
      const id = profile.samples[i]!
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.min(Math.max(0, dt), 2 * usual))
    }
  }
  const fns = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  let gc = 0
  let idle = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!
    const { functionName, url, lineNumber } = n.callFrame
    total += us
    if (functionName === '(garbage collector)') gc += us
    if (functionName === '(idle)') idle += us
    const file = fileOf(url)
    // tsx emits each module on one line: a line number says something only for Node's own files.
    const fn = `${functionName || '(anonymous)'} ${file}${url && lineNumber > 0 ? `:${lineNumber + 1}` : ''}`
    fns.set(fn, (fns.get(fn) ?? 0) + us)
    files.set(file, (files.get(file) ?? 0) + us)
  }
  const busy = total - idle
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, us]) => ({ what, ms: Math.round(us / 100) / 10, pct: busy ? Math.round((us / busy) * 1000) / 10 : 0 }))
  return {
    totalMs: Math.round(total / 1000),
    gcPct: busy ? Math.round((gc / busy) * 1000) / 10 : 0,
    idlePct: total ? Math.round((idle / total) * 1000) / 10 : 0,
    functions: rank(fns),
    files: rank(files),
  }
}

export function formatCpuSummary(cpuSummary: CpuSummary): string {
  const lines = [`CPU profile: ${cpuSummary.totalMs} ms sampled, idle ${cpuSummary.idlePct}%, GC ${cpuSummary.gcPct}% of busy time`, 'self time by function:']
  for (const f of cpuSummary.functions) lines.push(`  ${String(f.pct).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.what}`)
  lines.push('self time by file:')
  for (const f of cpuSummary.files) lines.push(`  ${String(f.pct).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.what}`)
  return lines.join('\n')
}

export function writeCpuProfile(file: string, profile: CpuProfile): void {
  writeFileSync(file, JSON.stringify(profile))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node --import tsx bench/lib/cpu-profile.ts FILE.cpuprofile [TOP]')
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  console.log(formatCpuSummary(summarizeCpuProfile(profile, top ? Number(top) : 25)))
}
