// A running browser-mode server leaves its launch URL (which carries the per-launch secret) in
// $KUBELAB_HOME/serving/<port>.json, readable by its user only, so a second `npm start` on a
// taken port can tell "KubeLab already serves here, open this" from "another program has it".
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ServingRecord {
  url: string
  launchUrl: string
  pid: number
  host: string
  port: number
}

function recordPath(home: string, port: number): string {
  return join(home, 'serving', `${port}.json`)
}

export function writeServingRecord(home: string, record: ServingRecord): void {
  mkdirSync(join(home, 'serving'), { recursive: true, mode: 0o700 })
  writeFileSync(recordPath(home, record.port), `${JSON.stringify(record)}\n`, { mode: 0o600 })
}

export function removeServingRecord(home: string, port: number): void {
  rmSync(recordPath(home, port), { force: true })
}

function readServingRecord(home: string, port: number): ServingRecord | null {
  try {
    const r = JSON.parse(readFileSync(recordPath(home, port), 'utf8')) as Partial<ServingRecord>
    return typeof r.launchUrl === 'string' && typeof r.url === 'string' ? (r as ServingRecord) : null
  } catch {
    return null
  }
}

export type PortHolder =
  /** Our KubeLab (same home): its launch URL works. */
  | { kind: 'kubelab'; launchUrl: string; pid: number | null }
  /** A KubeLab whose secret we do not have (another home or user). */
  | { kind: 'kubelab-elsewhere'; url: string }
  | { kind: 'other' }

async function get(url: string): Promise<Response | null> {
  // A timer of our own: AbortSignal.timeout's does not keep the process alive, and a probe may
  // be all a starting `kubelab app` is waiting for (undici keeps no ref on its sockets).
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 3000)
  try {
    return await fetch(url, { redirect: 'manual', signal: abort.signal })
  } catch {
    return null
  } finally {
    clearTimeout(timer)
  }
}

/** Who holds host:port. Every KubeLab page answer carries an `X-KubeLab` header. */
export async function whoHoldsPort(home: string, host: string, port: number): Promise<PortHolder> {
  const record = readServingRecord(home, port)
  if (record) {
    // The launch URL trades its token for a cookie (303): only the server that made it does so.
    const res = await get(record.launchUrl)
    if (res && res.status === 303 && res.headers.has('x-kubelab')) return { kind: 'kubelab', launchUrl: record.launchUrl, pid: record.pid }
    removeServingRecord(home, port)
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}/`
  const res = await get(url)
  if (res?.headers.has('x-kubelab')) return { kind: 'kubelab-elsewhere', url }
  return { kind: 'other' }
}
