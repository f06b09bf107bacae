// Taking a backup from a running API server: stream its store snapshot (GET /kubelab/v1/snapshot,
// one revision, consistent under concurrent writes), verify it, and write the archive with the
// files a restore needs. Used by `kubelab backup` and the tests.
import { request } from 'node:https'
import { createWriteStream, mkdtempSync, promises as fsp, rmSync } from 'node:fs'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import type { ClientConfig } from '../client/types'
import { SNAPSHOT_PATH } from '../apiserver/handlers/snapshot'
import { BackupError, SNAPSHOT_ENTRY, writeBackup, type BackupManifest, type BackupStoreKind } from './archive'
import { verifyEmbeddedSnapshot } from './embedded'
import { verifyEtcdSnapshot } from './etcd'
import { boltSnapshotRevision } from './bolt'

export interface TakeBackupInput {
  readonly api: ClientConfig
  readonly cluster: string
  readonly out: string
  /** More entries (pki/...) → files on disk. */
  readonly extraFiles?: ReadonlyMap<string, string>
  readonly progress?: (line: string) => void
}

export interface TakenBackup {
  readonly manifest: BackupManifest
  readonly sha256: string
  readonly size: number
}

const MiB = 1024 * 1024
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`

export async function takeBackup(input: TakeBackupInput): Promise<TakenBackup> {
  const progress = input.progress ?? (() => {})
  const out = path.resolve(input.out)
  await fsp.mkdir(path.dirname(out), { recursive: true })
  const work = mkdtempSync(path.join(path.dirname(out), '.kubelab-backup-'))
  try {
    const snapFile = path.join(work, 'snapshot')
    progress(`requesting a store snapshot from ${input.api.server}`)
    const got = await download(input.api, snapFile, progress)
    progress(`received ${mib(got.bytes)} from the ${got.kind} store; verifying it`)
    if (got.kind === 'embedded') {
      const info = await verifyEmbeddedSnapshot(snapFile)
      if (info.revision !== got.revision) throw new BackupError(`the snapshot says revision ${info.revision}, the API server said ${got.revision}; try again`)
      progress(`snapshot verified: ${info.keys} objects at revision ${info.revision}`)
    } else {
      await verifyEtcdSnapshot(snapFile)
      // etcd 3.4 leaves the revision out of the stream's header: the file itself says it.
      got.revision = await boltSnapshotRevision(snapFile).catch((e: unknown) => {
        throw new BackupError(`the etcd snapshot is unreadable (${(e as Error).message}); try again`)
      })
      progress(`snapshot verified: a bbolt file at revision ${got.revision} whose SHA-256 matches the hash etcd appended`)
    }
    const files = new Map<string, string>([[SNAPSHOT_ENTRY[got.kind], snapFile], ...(input.extraFiles ?? new Map())])
    progress(`writing ${out}`)
    const written = await writeBackup(out, {
      manifest: { cluster: input.cluster, store: got.kind, revision: got.revision, createdAt: new Date().toISOString(), snapshot: SNAPSHOT_ENTRY[got.kind] },
      files,
    })
    return written
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function download(api: ClientConfig, file: string, progress: (l: string) => void): Promise<{ kind: BackupStoreKind; revision: number; bytes: number }> {
  const url = new URL(SNAPSHOT_PATH, api.server)
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      ca: api.caPem,
      cert: api.certPem,
      key: api.keyPem,
      headers: { Accept: 'application/octet-stream', 'User-Agent': 'kubelab-backup', ...(api.token ? { Authorization: `Bearer ${api.token}` } : {}) },
    })
    req.on('response', resolve)
    req.on('error', (e) => reject(new BackupError(`cannot reach the API server at ${api.server} (${e.message}): is the cluster running? (kubelab start)`)))
    req.end()
  })
  if (res.statusCode !== 200) {
    let body = ''
    for await (const c of res) body += String(c)
    let message = body.trim()
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message
    } catch {
      // not a Status: keep the text
    }
    const hint = res.statusCode === 404 ? ': this API server is older than backups; update the cluster (kubelab create re-run) first' : ''
    throw new BackupError(`the API server refused the snapshot (HTTP ${res.statusCode}): ${message}${hint}`)
  }
  const kind = res.headers['x-kubelab-store']
  const revision = Number(res.headers['x-kubelab-revision'])
  if ((kind !== 'embedded' && kind !== 'etcd') || !Number.isInteger(revision)) {
    res.resume()
    throw new BackupError(
      `the API server's snapshot answer lacks its store kind and revision (got ${String(kind)}, ${String(res.headers['x-kubelab-revision'])})`,
    )
  }
  let bytes = 0
  let last = Date.now()
  const count = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length
      if (Date.now() - last >= 1000) {
        last = Date.now()
        progress(`received ${mib(bytes)}`)
      }
      cb(null, chunk)
    },
  })
  try {
    await pipeline(res, count, createWriteStream(file, { mode: 0o600 }))
  } catch (e) {
    throw new BackupError(`the snapshot stream broke after ${mib(bytes)} (${(e as Error).message}); nothing was written, try again`)
  }
  if (!res.complete) throw new BackupError(`the snapshot stream ended early after ${mib(bytes)}; nothing was written, try again`)
  return { kind, revision, bytes }
}

/** The store's current revision as the API server reports it (a list's resourceVersion). */
export async function currentRevision(api: ClientConfig): Promise<number> {
  const url = new URL('/api/v1/namespaces?limit=1', api.server)
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: api.caPem,
        cert: api.certPem,
        key: api.keyPem,
        headers: { Accept: 'application/json', ...(api.token ? { Authorization: `Bearer ${api.token}` } : {}) },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))))
      },
    )
    req.on('error', reject)
    req.end()
  })
  const rv = Number((JSON.parse(body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion)
  if (!Number.isInteger(rv)) throw new Error('the API server answered a list without a resourceVersion')
  return rv
}
