import { readFileSync } from 'node:fs'

/**
 * One `Name:  N kB` line of /proc/PID/status or /proc/PID/smaps_rollup, in KiB: what the memory
 * figures of every bench are read from. Undefined when the process is gone or has no such line.
 */
export function procKiB(pid: number | string, file: 'status' | 'smaps_rollup', field: string): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return undefined
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}
