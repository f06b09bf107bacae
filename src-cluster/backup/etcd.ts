// etcd snapshots in backups: verification as `etcdctl snapshot restore` checks them (a bbolt
// file whose SHA-256 is appended), and a restore that is `etcdctl snapshot restore` into a new
// directory beside the member's data, then a swap, so the old data stays intact until the new
// data is complete. etcd 3.4 (Debian's) has no `--bump-revision --mark-compacted`; we do the
// same by starting the restored member privately on loopback, writing until its revision
// passes the one clients may hold, and compacting there, before the swap.
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { freePort } from '../util/net'
import { openEtcdStore } from '../store/etcd'
import { fsyncDir } from '../store/files'
import { BackupError } from './archive'
import { stamp, type RestoreResult } from './embedded'

const BOLT_MAGIC = 0xed0cdaed
const SHA_LEN = 32

export interface EtcdSnapshotInfo {
  readonly bytes: number
}

/** The checks `etcdctl snapshot restore` makes before using a file, plus bbolt's magic. */
export async function verifyEtcdSnapshot(file: string): Promise<EtcdSnapshotInfo> {
  const st = await fsp.stat(file)
  const bad = (why: string) => new BackupError(`the etcd snapshot in the backup is unusable (${why}); use another backup`)
  if (st.size % 512 !== SHA_LEN) throw bad(`${st.size} bytes is not a bbolt file plus its SHA-256; it was cut short or is not from etcd's Snapshot API`)
  const fh = await fsp.open(file, 'r')
  try {
    const headBuf = Buffer.alloc(24)
    await fh.read(headBuf, 0, 24, 0)
    if (headBuf.readUInt32LE(16) !== BOLT_MAGIC) throw bad('it does not start with a bbolt meta page')
    const tail = Buffer.alloc(SHA_LEN)
    await fh.read(tail, 0, SHA_LEN, st.size - SHA_LEN)
    const h = createHash('sha256')
    for await (const c of createReadStream(file, { start: 0, end: st.size - SHA_LEN - 1 })) h.update(c as Buffer)
    if (!h.digest().equals(tail)) throw bad('its SHA-256 does not match the hash etcd appended')
  } finally {
    await fh.close()
  }
  return { bytes: st.size }
}

export interface RestoreEtcdInput {
  /** The member's --data-dir (replaced; the old one is kept beside it). */
  readonly dataDir: string
  readonly snapshotFile: string
  /** Member settings as the member runs with them (etcdctl snapshot restore's flags). */
  readonly name: string
  readonly initialCluster: string
  readonly initialAdvertisePeerUrls: string
  readonly initialClusterToken: string
  /** Highest revision clients may hold (the store's before the restore): the restored member continues past it. */
  readonly minRevision?: number
  readonly etcdctl?: string
  readonly etcd?: string
  readonly log?: (line: string) => void
  /**
   * `all` (default): build the new data beside the old, then swap. For a cluster of several
   * members the host runs the steps on every member: `stage` builds `DIR.restoring` on each
   * (nothing changes yet), then `commit` swaps it in on each, or `abort` removes it, so a
   * failure on one member leaves every member on its old data.
   */
  readonly phase?: 'all' | 'stage' | 'commit' | 'abort'
}

/** Where `stage` leaves the restored data until `commit`. */
export const stagedDir = (dataDir: string): string => `${dataDir}.restoring`

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0
      resolve({ code, out: `${String(stdout)}${String(stderr)}`.trim() })
    })
  })
}

/** etcd holds an exclusive flock on member/snap/db while it runs. */
async function etcdRunning(dataDir: string): Promise<boolean> {
  const db = path.join(dataDir, 'member', 'snap', 'db')
  if (
    !(await fsp.stat(db).then(
      () => true,
      () => false,
    ))
  )
    return false
  const r = await run('flock', ['-n', '-E', '75', db, 'true'])
  return r.code === 75
}

export async function restoreEtcd(input: RestoreEtcdInput): Promise<RestoreResult> {
  const log = input.log ?? (() => {})
  const phase = input.phase ?? 'all'
  if (phase === 'abort') {
    await fsp.rm(stagedDir(input.dataDir), { recursive: true, force: true })
    log(`removed ${stagedDir(input.dataDir)}; the member keeps its data`)
    return { backupRevision: 0, revision: 0, keys: 0 }
  }
  if (phase === 'commit') {
    if (await etcdRunning(input.dataDir)) throw new BackupError(`etcd is running on ${input.dataDir}: stop it before the restored data is swapped in`)
    if (!(await exists(stagedDir(input.dataDir))))
      throw new BackupError(`nothing staged at ${stagedDir(input.dataDir)}: run the restore with --stage first; nothing was changed`)
    const previous = await swapIn(stagedDir(input.dataDir), input.dataDir)
    log(`etcd data restored${previous ? `; the replaced data is kept in ${previous}` : ''}`)
    return { backupRevision: 0, revision: 0, keys: 0, previous }
  }
  await verifyEtcdSnapshot(input.snapshotFile)
  log('etcd snapshot verified (bbolt file, SHA-256 matches)')
  if (await etcdRunning(input.dataDir)) {
    throw new BackupError(
      `etcd is running on ${input.dataDir} (it holds member/snap/db locked): stop the API server and etcd first (kubelab restore does this for you)`,
    )
  }
  const work = stagedDir(input.dataDir)
  await fsp.rm(work, { recursive: true, force: true })
  const etcdctl = input.etcdctl ?? '/usr/bin/etcdctl'
  const restoreInto = async (snapshot: string, dir: string, initialCluster: string) => {
    const r = await run(
      etcdctl,
      [
        'snapshot',
        'restore',
        snapshot,
        '--data-dir',
        dir,
        '--name',
        input.name,
        '--initial-cluster',
        initialCluster,
        '--initial-advertise-peer-urls',
        input.initialAdvertisePeerUrls,
        '--initial-cluster-token',
        input.initialClusterToken,
      ],
      { ETCDCTL_API: '3' },
    )
    if (r.code !== 0) {
      await fsp.rm(dir, { recursive: true, force: true })
      throw new BackupError(`etcdctl snapshot restore failed (exit ${r.code}): ${r.out}; nothing was changed`)
    }
    log(`etcdctl snapshot restore wrote ${dir}`)
  }
  // Several members: a member restored with the whole --initial-cluster cannot start alone to
  // be settled (no quorum). So the snapshot is restored as a one-member cluster, settled there
  // (revision moved past the old one, compacted) and saved again; that settled snapshot is then
  // restored with the real --initial-cluster. Every member does the same from the same file and
  // the same revision, so all end with the same keys at the same revision, as after upstream's
  // `etcdutl snapshot restore --bump-revision --mark-compacted` on each member.
  const several = input.initialCluster.split(',').filter(Boolean).length > 1
  const single = `${work}.single`
  const settled = `${work}.settled.db`
  let result: { backupRevision: number; revision: number; keys: number }
  try {
    if (several) {
      await fsp.rm(single, { recursive: true, force: true })
      await restoreInto(input.snapshotFile, single, `${input.name}=${input.initialAdvertisePeerUrls}`)
      result = await settle(single, input, log, { etcdctl, saveTo: settled })
      await restoreInto(settled, work, input.initialCluster)
    } else {
      await restoreInto(input.snapshotFile, work, input.initialCluster)
      result = await settle(work, input, log)
    }
  } catch (e) {
    await fsp.rm(work, { recursive: true, force: true })
    throw e instanceof BackupError ? e : new BackupError(`checking the restored etcd data failed (${(e as Error).message}); nothing was changed`)
  } finally {
    await fsp.rm(single, { recursive: true, force: true })
    await fsp.rm(settled, { force: true })
  }
  if (phase === 'stage') {
    log(`etcd data staged in ${work}: ${result.keys} keys from revision ${result.backupRevision}, continuing at revision ${result.revision}`)
    return result
  }
  const previous = await swapIn(work, input.dataDir)
  log(
    `etcd data restored: ${result.keys} keys from revision ${result.backupRevision}, continuing at revision ${result.revision}${previous ? `; the replaced data is kept in ${previous}` : ''}`,
  )
  return { ...result, previous }
}

const exists = (p: string): Promise<boolean> =>
  fsp.stat(p).then(
    () => true,
    () => false,
  )

/** Moves `work` to `dataDir`, keeping what was there as `dataDir.before-restore-TIME`. */
async function swapIn(work: string, dataDir: string): Promise<string | undefined> {
  let previous: string | undefined
  if (await exists(dataDir)) {
    previous = `${dataDir}.before-restore-${stamp()}`
    await fsp.rename(dataDir, previous)
  }
  await fsp.rename(work, dataDir)
  await fsyncDir(path.dirname(dataDir))
  return previous
}

/**
 * Start the restored member alone on loopback (plain HTTP, private ports), count its keys, move
 * its revision past `minRevision` and compact there, then stop it.
 */
async function settle(
  dir: string,
  i: RestoreEtcdInput,
  log: (l: string) => void,
  save?: { etcdctl: string; saveTo: string },
): Promise<{ backupRevision: number; revision: number; keys: number }> {
  const [client, peer] = [await freePort(), await freePort()]
  const proc = spawn(
    i.etcd ?? '/usr/bin/etcd',
    [
      '--name',
      i.name,
      '--data-dir',
      dir,
      '--listen-client-urls',
      `http://127.0.0.1:${client}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--logger',
      'zap',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-3000)))
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  try {
    const store = await openEtcdStore({ endpoints: [`http://127.0.0.1:${client}`], compactionIntervalMs: 0, dialTimeoutMs: 30_000 }).catch((e: unknown) => {
      throw new BackupError(`the restored etcd data did not start (${(e as Error).message}): ${stderr}`)
    })
    try {
      const all = await store.range('')
      const backupRevision = all.revision
      let revision = backupRevision
      const target = i.minRevision ?? 0
      if (target >= revision) {
        const n = target - revision + 1
        log(`moving the revision from ${revision} past ${target} (${n} writes), so clients re-list`)
        const key = '\u0000kubelab/restore-revision'
        let next = 0
        const worker = async () => {
          while (next < n) {
            next++
            revision = (await store.txn([], [{ type: 'put', key, value: String(next) }])).revision
          }
        }
        await Promise.all(Array.from({ length: Math.min(32, n) }, worker))
        revision = (await store.txn([], [{ type: 'delete', key }])).revision
      }
      await store.compact(revision)
      const after = await store.range('')
      if (after.count !== all.count)
        throw new BackupError(`the restored etcd holds ${after.count} keys after settling, ${all.count} before; nothing was changed`)
      if (save) {
        const r = await run(save.etcdctl, ['--endpoints', `http://127.0.0.1:${client}`, 'snapshot', 'save', save.saveTo], { ETCDCTL_API: '3' })
        if (r.code !== 0) throw new BackupError(`etcdctl snapshot save of the settled data failed (exit ${r.code}): ${r.out}; nothing was changed`)
      }
      return { backupRevision, revision: after.revision, keys: after.count }
    } finally {
      await store.close()
    }
  } finally {
    proc.kill('SIGTERM')
    await exited
  }
}
