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
}

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

export async function restoreEtcd(i: RestoreEtcdInput): Promise<RestoreResult> {
  const log = i.log ?? (() => {})
  await verifyEtcdSnapshot(i.snapshotFile)
  log('etcd snapshot verified (bbolt file, SHA-256 matches)')
  if (await etcdRunning(i.dataDir)) {
    throw new BackupError(
      `etcd is running on ${i.dataDir} (it holds member/snap/db locked): stop the API server and etcd first (kubelab restore does this for you)`,
    )
  }
  const work = `${i.dataDir}.restoring`
  await fsp.rm(work, { recursive: true, force: true })
  const etcdctl = i.etcdctl ?? '/usr/bin/etcdctl'
  const r = await run(
    etcdctl,
    [
      'snapshot',
      'restore',
      i.snapshotFile,
      '--data-dir',
      work,
      '--name',
      i.name,
      '--initial-cluster',
      i.initialCluster,
      '--initial-advertise-peer-urls',
      i.initialAdvertisePeerUrls,
      '--initial-cluster-token',
      i.initialClusterToken,
    ],
    { ETCDCTL_API: '3' },
  )
  if (r.code !== 0) {
    await fsp.rm(work, { recursive: true, force: true })
    throw new BackupError(`etcdctl snapshot restore failed (exit ${r.code}): ${r.out}; nothing was changed`)
  }
  log(`etcdctl snapshot restore wrote ${work}`)
  let result: { backupRevision: number; revision: number; keys: number }
  try {
    result = await settle(work, i, log)
  } catch (e) {
    await fsp.rm(work, { recursive: true, force: true })
    throw e instanceof BackupError ? e : new BackupError(`checking the restored etcd data failed (${(e as Error).message}); nothing was changed`)
  }
  let previous: string | undefined
  if (
    await fsp.stat(i.dataDir).then(
      () => true,
      () => false,
    )
  ) {
    previous = `${i.dataDir}.before-restore-${stamp()}`
    await fsp.rename(i.dataDir, previous)
  }
  await fsp.rename(work, i.dataDir)
  await fsyncDir(path.dirname(i.dataDir))
  log(
    `etcd data restored: ${result.keys} keys from revision ${result.backupRevision}, continuing at revision ${result.revision}${previous ? `; the replaced data is kept in ${previous}` : ''}`,
  )
  return { ...result, previous }
}

/**
 * Start the restored member alone on loopback (plain HTTP, private ports), count its keys, move
 * its revision past `minRevision` and compact there, then stop it.
 */
async function settle(dir: string, i: RestoreEtcdInput, log: (l: string) => void): Promise<{ backupRevision: number; revision: number; keys: number }> {
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
      return { backupRevision, revision: after.revision, keys: after.count }
    } finally {
      await store.close()
    }
  } finally {
    proc.kill('SIGTERM')
    await exited
  }
}
