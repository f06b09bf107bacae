// Serving /containerLogs: read the CRI log file, apply tail/since/limit, optionally follow it
// as it grows. Following survives rotation: when the path names a new file (other inode or
// a shorter size) the old one is drained and the new one read from its start.
import { open, stat, type FileHandle } from 'node:fs/promises'
import { watch, type FSWatcher } from 'node:fs'
import { queryBool } from '../../util/query'
import { parseCriLogLine, renderEntry, type CriLogEntry } from './cri-log'

export interface LogOptions {
  readonly follow: boolean
  readonly tailLines?: number
  /** Only entries at or after this time (ms since the epoch). */
  readonly sinceMs?: number
  readonly timestamps: boolean
  readonly limitBytes?: number
}

/** Parses the query of /containerLogs (the names the API server passes on from pods/log). */
export function parseLogQuery(query: URLSearchParams, now: () => number = Date.now): LogOptions {
  const bool = (k: string) => queryBool(query, k)
  const int = (k: string): number | undefined => {
    const v = query.get(k)
    if (v === null || v === '') return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`${k} must be a non-negative integer, got ${JSON.stringify(v)}`)
    return n
  }
  let sinceMs: number | undefined
  const secs = int('sinceSeconds')
  if (secs !== undefined) sinceMs = now() - secs * 1000
  const st = query.get('sinceTime')
  if (st) {
    const t = Date.parse(st)
    if (Number.isNaN(t)) throw new Error(`sinceTime must be an RFC 3339 time, got ${JSON.stringify(st)}`)
    sinceMs = t
  }
  return { follow: bool('follow'), tailLines: int('tailLines'), sinceMs, timestamps: bool('timestamps'), limitBytes: int('limitBytes') }
}

export interface LogSink {
  /** Returns false when the reader went away (stop). */
  write(text: string): boolean
}

export interface FollowControl {
  readonly pollMs: number
  /** Whether the container is still running (following stops at EOF once it is not). */
  running(): Promise<boolean>
  /** Resolves when the client disconnects. */
  readonly aborted: Promise<void>
}

/**
 * The entries of the last n lines. A line may span several entries (partial ones, then a
 * full one), so lines are counted at full entries; a trailing partial line counts as one.
 */
export function tailEntries(entries: readonly CriLogEntry[], count: number): CriLogEntry[] {
  if (count <= 0) return []
  let lines = 0
  let i = entries.length
  while (i > 0) {
    const e = entries[i - 1]!
    // A full entry ends a line; the first entry seen (the last one) always starts counting.
    if (!e.partial || i === entries.length) {
      if (lines === count) break
      lines++
    }
    i--
  }
  return entries.slice(i)
}

/** Writes the log to the sink; resolves when done (end of file, or when following stops). */
export async function streamLog(path: string, opts: LogOptions, sink: LogSink, follow?: FollowControl): Promise<void> {
  let budget = opts.limitBytes ?? Infinity
  let stopped = false
  const emit = (e: CriLogEntry): void => {
    if (stopped) return
    if (opts.sinceMs !== undefined && e.ms < opts.sinceMs) return
    let text = renderEntry(e, opts.timestamps)
    if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString('utf8')
    budget -= Buffer.byteLength(text)
    if (text && !sink.write(text)) stopped = true
    if (budget <= 0) stopped = true
  }

  let fh: FileHandle = await open(path, 'r')
  let ino = (await fh.stat()).ino
  let pos = 0
  let rest = ''
  const readMore = async (): Promise<CriLogEntry[]> => {
    const out: CriLogEntry[] = []
    const buf = Buffer.allocUnsafe(64 * 1024)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) break
      pos += bytesRead
      rest += buf.subarray(0, bytesRead).toString('utf8')
      const lines = rest.split('\n')
      rest = lines.pop() ?? ''
      for (const l of lines) {
        const e = parseCriLogLine(l)
        if (e) out.push(e)
      }
    }
    return out
  }

  try {
    let first = await readMore()
    if (opts.tailLines !== undefined) first = tailEntries(first, opts.tailLines)
    for (const e of first) emit(e)
    if (!opts.follow || !follow || stopped) return

    let aborted = false
    void follow.aborted.then(() => {
      aborted = true
    })
    let wake: (() => void) | undefined
    let watcher: FSWatcher | undefined
    try {
      watcher = watch(path, () => wake?.())
      watcher.on('error', () => {})
    } catch {
      // No change notifications (file gone, or the platform lacks them): polling alone works.
    }
    try {
      while (!stopped && !aborted) {
        const more = await readMore()
        for (const e of more) emit(e)
        if (more.length) continue
        // At the end of this file: has the path moved on to a new one (rotation)?
        const cur = await stat(path).catch(() => undefined)
        if (cur && (cur.ino !== ino || cur.size < pos)) {
          await fh.close()
          fh = await open(path, 'r')
          ino = (await fh.stat()).ino
          pos = 0
          rest = ''
          continue
        }
        if (!(await follow.running())) {
          for (const e of await readMore()) emit(e)
          break
        }
        await Promise.race([
          new Promise<void>((r) => {
            wake = r
            setTimeout(r, follow.pollMs)
          }),
          follow.aborted,
        ])
        wake = undefined
      }
    } finally {
      watcher?.close()
    }
  } finally {
    await fh.close()
  }
}
