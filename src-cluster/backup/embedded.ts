// Restoring the embedded store from a backup's snapshot: verify every record, then build a new
// store directory beside the old one and swap them, so a failure at any point leaves the old
// store as it was. The old directory is kept (renamed) rather than deleted.
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { lockDir } from '../store/dir-lock'
import { fsyncDir } from '../store/files'
import { readSnapshot, writeSnapshot } from '../store/snapshot'
import { openStore } from '../store/store'
import { StoreError, type KeyValue } from '../store/types'
import { BackupError } from './archive'

export interface EmbeddedSnapshotInfo {
  readonly revision: number
  readonly keys: number
}

/** Read every record (CRC, counts) and check every value is JSON: the snapshot is usable. */
export async function verifyEmbeddedSnapshot(file: string, onKey?: (kv: KeyValue) => void): Promise<EmbeddedSnapshotInfo> {
  try {
    const loaded = await readSnapshot(file, (key, versions) => {
      const kv = versions[versions.length - 1]
      if (!kv || kv.version === 0) throw new Error(`key ${key} has no live version`)
      JSON.parse(kv.value)
      onKey?.(kv)
    })
    return { revision: loaded.revision, keys: loaded.keyCount }
  } catch (e) {
    const why = e instanceof StoreError ? e.message.replace(/\. The store refuses.*$/s, '') : (e as Error).message
    throw new BackupError(`the store snapshot in the backup is unreadable (${why}); use another backup`)
  }
}

export interface RestoreEmbeddedInput {
  /** The API server's --data-dir (the store is DIR/store); locked for the whole restore. */
  readonly dataDir: string
  readonly snapshotFile: string
  readonly log?: (line: string) => void
}

export interface RestoreResult {
  /** Revision the backup was taken at. */
  readonly backupRevision: number
  /** Revision the restored store starts at (history before it is compacted away). */
  readonly revision: number
  readonly keys: number
  /** Where the replaced data went (kept, not deleted), if there was any. */
  readonly previous?: string
}

/** Margin when the old store cannot be read: any resourceVersion a client holds is below it. */
const UNKNOWN_REVISION_MARGIN = 1_000_000

export function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

/**
 * Replace DIR/store with the snapshot's objects. The restored store's revision is moved past
 * the old store's, and everything before it counts as compacted (etcd's `--bump-revision
 * --mark-compacted`): a client holding a newer resourceVersion than the backup's gets 410 and
 * re-lists instead of watching on from a point that no longer exists.
 */
export async function restoreEmbedded(input: RestoreEmbeddedInput): Promise<RestoreResult> {
  const log = input.log ?? (() => {})
  const info = await verifyEmbeddedSnapshot(input.snapshotFile)
  log(`snapshot verified: ${info.keys} objects at revision ${info.revision}`)
  let release: () => Promise<void>
  try {
    await fsp.mkdir(input.dataDir, { recursive: true, mode: 0o700 })
    release = await lockDir(input.dataDir)
  } catch (e) {
    throw new BackupError(
      `cannot restore into ${input.dataDir}: ${(e as Error).message.replace(/; stop that process or choose another data directory$/, '')} — the API server is running on it; stop it first (kubelab restore stops the cluster for you)`,
    )
  }
  try {
    const storeDir = path.join(input.dataDir, 'store')
    const oldRevision = await currentRevision(storeDir, log)
    const revision = Math.max(info.revision, oldRevision ?? info.revision + UNKNOWN_REVISION_MARGIN) + 1
    const work = path.join(input.dataDir, `store.restoring`)
    await fsp.rm(work, { recursive: true, force: true })
    await fsp.mkdir(work, { mode: 0o700 })
    const keys: (readonly [string, readonly KeyValue[]])[] = []
    await verifyEmbeddedSnapshot(input.snapshotFile, (kv) => keys.push([kv.key, [kv]]))
    await writeSnapshot(work, { revision, compactRevision: revision, keys })
    // Prove the new directory opens as a store holding exactly those objects.
    const check = await openStore({ dataDir: work, onWarning: log })
    const count = (await check.range('')).count
    await check.close()
    if (count !== info.keys) throw new BackupError(`the restored store holds ${count} objects, the snapshot ${info.keys}; nothing was changed`)
    let previous: string | undefined
    if (await exists(storeDir)) {
      previous = path.join(input.dataDir, `store.before-restore-${stamp()}`)
      await fsp.rename(storeDir, previous)
    }
    await fsp.rename(work, storeDir)
    await fsyncDir(input.dataDir)
    log(
      `store restored: ${info.keys} objects from revision ${info.revision}, continuing at revision ${revision}${previous ? `; the replaced store is kept in ${previous}` : ''}`,
    )
    return { backupRevision: info.revision, revision, keys: info.keys, previous }
  } finally {
    await release()
  }
}

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    () => true,
    () => false,
  )
}

/** The revision of the store being replaced, or undefined when it cannot be read (damaged). */
async function currentRevision(storeDir: string, log: (l: string) => void): Promise<number | undefined> {
  if (!(await exists(storeDir))) return 0
  try {
    const old = await openStore({ dataDir: storeDir, onWarning: log })
    const r = old.revision()
    await old.close()
    return r
  } catch (e) {
    if (e instanceof StoreError && /in use by/.test(e.message))
      throw new BackupError(`the store in ${storeDir} is in use (${e.message}); stop the API server first`)
    log(
      `the current store in ${storeDir} cannot be read (${(e as Error).message}); the restored store will start ${UNKNOWN_REVISION_MARGIN} revisions past the backup's`,
    )
    return undefined
  }
}
