// Control-plane component logs: the files the cluster's processes write into its `logs/`
// folder on the host. Follow reads what is appended, woken by fs.watch.
import { closeSync, openSync, readdirSync, readSync, statSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { ComponentLogFile } from '../../contract'
import type { LogFailure, StreamHandle } from './pod-log'

/** How much of a long log is read when no tail is asked for. */
const MAX_INITIAL_BYTES = 2 * 1024 * 1024

export function listComponentLogs(dir: string): ComponentLogFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((file) => {
      const st = statSync(join(dir, file))
      return { file, size: st.size, modifiedAt: st.mtime.toISOString() }
    })
}

/** Only a plain file name found in the folder: never a path that leaves it. */
export function checkComponentFile(dir: string, file: string): string {
  if (!/^[\w.-]+\.log$/.test(file) || file.startsWith('.')) throw new Error(`${JSON.stringify(file)} is not a log file name (expected e.g. control-plane.log)`)
  const known = listComponentLogs(dir).map((f) => f.file)
  if (!known.includes(file)) throw new Error(`no log ${file} in ${dir}; logs there: ${known.join(', ') || 'none yet'}`)
  return join(dir, file)
}

/** The last `lines` lines of `text` (all of it when null). */
export function tailText(text: string, lines: number | null): string {
  if (lines === null) return text
  const parts = text.split('\n')
  const trailing = parts[parts.length - 1] === '' ? 1 : 0
  return parts.slice(Math.max(0, parts.length - trailing - lines)).join('\n')
}

export function streamComponentLog(
  path: string,
  opts: { follow: boolean; tailLines: number | null },
  onText: (chunk: string) => void,
  onEnd: (failure: LogFailure | null) => void,
): StreamHandle {
  let offset = 0
  let watcher: FSWatcher | undefined
  let stopped = false
  const readFrom = (from: number, to: number): string => {
    if (to <= from) return ''
    const fd = openSync(path, 'r')
    try {
      const buf = Buffer.alloc(to - from)
      readSync(fd, buf, 0, buf.length, from)
      return buf.toString('utf8')
    } finally {
      closeSync(fd)
    }
  }
  try {
    const size = statSync(path).size
    const start = Math.max(0, size - MAX_INITIAL_BYTES)
    let text = readFrom(start, size)
    if (start > 0) text = text.slice(text.indexOf('\n') + 1) // drop the cut first line
    offset = size
    onText(tailText(text, opts.tailLines))
  } catch (e) {
    onEnd({ code: 'read_failed', message: `cannot read ${path}: ${(e as Error).message}` })
    return { stop() {} }
  }
  if (!opts.follow) {
    onEnd(null)
    return { stop() {} }
  }
  const onChange = (): void => {
    if (stopped) return
    try {
      const size = statSync(path).size
      if (size < offset) offset = 0 // truncated or rotated: start over
      const text = readFrom(offset, size)
      offset = size
      if (text) onText(text)
    } catch (e) {
      stopped = true
      watcher?.close()
      onEnd({ code: 'read_failed', message: `stopped following ${path}: ${(e as Error).message}` })
    }
  }
  watcher = watch(path, onChange)
  return {
    stop() {
      stopped = true
      watcher?.close()
    },
  }
}
