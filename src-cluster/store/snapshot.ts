// Snapshot files: every retained version of every key at one revision, plus the revision and the
// compacted revision. Written to a temporary file, fsynced, renamed into place and the directory
// fsynced, so a snapshot on disk is always complete; a damaged one is reported, never skipped.
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { fileFrames } from './codec'
import { SNAP_PREFIX, SNAP_SUFFIX, fsyncDir, parseSeq, seqName } from './files'
import type { StateView } from './mvcc'
import { SNAPSHOT_FORMAT, decodeSnapshotRecord, encodeSnapshotFooter, encodeSnapshotHeader, encodeSnapshotKey } from './records'
import type { KeyValue } from './types'
import { StoreError } from './types'

export interface SnapshotFile {
  readonly revision: number
  readonly file: string
}

export async function listSnapshots(dir: string): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = []
  for (const name of await fsp.readdir(dir)) {
    const revision = parseSeq(name, SNAP_PREFIX, SNAP_SUFFIX)
    if (revision !== undefined) out.push({ revision, file: path.join(dir, name) })
  }
  return out.sort((a, b) => a.revision - b.revision)
}

const CHUNK_BYTES = 1 << 20
const KEYS_PER_SLICE = 2000

/** Write the view as `snap-<revision>.snap`; yields to the event loop between slices of keys. */
export async function writeSnapshot(dir: string, view: StateView): Promise<string> {
  const final = path.join(dir, seqName(SNAP_PREFIX, view.revision, SNAP_SUFFIX))
  const tmp = `${final}.tmp`
  const fh = await fsp.open(tmp, 'w', 0o600)
  try {
    let pending: Buffer[] = [
      encodeSnapshotHeader({ format: SNAPSHOT_FORMAT, revision: view.revision, compactRevision: view.compactRevision, keyCount: view.keys.length }),
    ]
    let pendingBytes = pending[0].length
    for (let i = 0; i < view.keys.length; i++) {
      const [key, versions] = view.keys[i]
      const rec = encodeSnapshotKey(key, versions)
      pending.push(rec)
      pendingBytes += rec.length
      if (pendingBytes >= CHUNK_BYTES) {
        await fh.writev(pending)
        pending = []
        pendingBytes = 0
      }
      if (i % KEYS_PER_SLICE === KEYS_PER_SLICE - 1) await yieldToLoop()
    }
    pending.push(encodeSnapshotFooter(view.keys.length))
    await fh.writev(pending)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fsp.rename(tmp, final)
  await fsyncDir(dir)
  return final
}

/**
 * The live state at `view.revision` in the snapshot format, for backups: the latest version of
 * every existing key and no history (compacted at the revision), in ~1 MiB chunks. The view is
 * taken synchronously by the caller, so concurrent writes cannot tear it.
 */
export async function* liveSnapshotChunks(view: StateView): AsyncGenerator<Buffer> {
  const live: (readonly [string, KeyValue])[] = []
  for (const [key, versions] of view.keys) {
    const last = versions[versions.length - 1]
    if (last !== undefined && last.version > 0) live.push([key, last])
  }
  let pending: Buffer[] = [encodeSnapshotHeader({ format: SNAPSHOT_FORMAT, revision: view.revision, compactRevision: view.revision, keyCount: live.length })]
  let pendingBytes = pending[0].length
  for (let i = 0; i < live.length; i++) {
    const [key, kv] = live[i]
    const rec = encodeSnapshotKey(key, [kv])
    pending.push(rec)
    pendingBytes += rec.length
    if (pendingBytes >= CHUNK_BYTES) {
      yield Buffer.concat(pending)
      pending = []
      pendingBytes = 0
    }
    if (i % KEYS_PER_SLICE === KEYS_PER_SLICE - 1) await yieldToLoop()
  }
  pending.push(encodeSnapshotFooter(live.length))
  yield Buffer.concat(pending)
}

export interface LoadedSnapshot {
  readonly revision: number
  readonly compactRevision: number
  readonly keyCount: number
}

/** Read a snapshot, handing each key to `onKey`. Throws a StoreError that names the file when it is damaged. */
export async function readSnapshot(file: string, onKey: (key: string, versions: readonly KeyValue[]) => void): Promise<LoadedSnapshot> {
  const damaged = (why: string) =>
    new StoreError(
      'io',
      `snapshot ${file} is damaged (${why}). The store refuses to start rather than lose data: restore the data directory from a backup, ` +
        `or move this file aside to fall back to an older snapshot if one exists (writes after that snapshot are lost unless their WAL segments are still present)`,
    )
  // Read frame by frame: a snapshot may be larger than one Buffer (2 GiB) and must still load.
  const frames = fileFrames(file)
  const next = async () => {
    const r = await frames.next()
    if (r.done) throw damaged('it ends before its footer')
    const f = r.value
    if (!f.ok) throw damaged(f.reason)
    try {
      return decodeSnapshotRecord(f.payload)
    } catch (err) {
      throw damaged((err as Error).message)
    }
  }
  const header = await next()
  if (header.kind !== 'header') throw damaged('it does not start with a header')
  if (header.format !== SNAPSHOT_FORMAT) throw damaged(`unknown format ${header.format}; it was written by a newer KubeLab`)
  let keys = 0
  for (;;) {
    const rec = await next()
    if (rec.kind === 'footer') {
      if (rec.keyCount !== keys || keys !== header.keyCount) throw damaged(`it holds ${keys} keys but says ${header.keyCount}`)
      break
    }
    if (rec.kind !== 'key') throw damaged('a second header in the middle')
    onKey(rec.key, rec.versions)
    keys++
  }
  const after = await frames.next()
  if (!after.done) {
    await frames.return(undefined)
    throw damaged(after.value.ok ? 'records after its footer' : `unexpected bytes after the end (${after.value.reason})`)
  }
  return { revision: header.revision, compactRevision: header.compactRevision, keyCount: keys }
}
