// The backup file: a gzip-compressed tar whose first entry, kubelab-backup.json, names every
// other entry with its size and SHA-256. gzip's CRC catches a file cut short or flipped bits;
// the per-entry hashes catch entries swapped or edited; reading verifies all of it before a
// restore changes anything. Entries: store/snapshot.kls (embedded store) or store/snapshot.db
// (etcd, as `etcdctl snapshot save` writes it), and pki/... (what a restore needs to trust).
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'
import { extract, pack } from 'tar-stream'

export const MANIFEST_NAME = 'kubelab-backup.json'
export const BACKUP_API_VERSION = 'kubelab.dev/v1'
export const BACKUP_KIND = 'ClusterBackup'

export type BackupStoreKind = 'embedded' | 'etcd'

export interface BackupEntry {
  readonly name: string
  readonly size: number
  readonly sha256: string
}

export interface BackupManifest {
  readonly apiVersion: typeof BACKUP_API_VERSION
  readonly kind: typeof BACKUP_KIND
  readonly cluster: string
  readonly store: BackupStoreKind
  /** Store revision the snapshot was taken at. */
  readonly revision: number
  readonly createdAt: string
  /** The store snapshot's entry name. */
  readonly snapshot: string
  readonly files: readonly BackupEntry[]
}

export const SNAPSHOT_ENTRY: Record<BackupStoreKind, string> = { embedded: 'store/snapshot.kls', etcd: 'store/snapshot.db' }

/** A backup that cannot be used, with the reason and what to do; nothing was changed. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupError'
  }
}

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha256: h.digest('hex'), size }
}

/** Entry names are relative, forward-slashed and never leave the extraction folder. */
export function checkEntryName(name: string): void {
  const parts = name.split('/')
  if (name === '' || name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || name.includes('\\')) {
    throw new BackupError(`backup entry ${JSON.stringify(name)} is not a plain relative path; the file was not written by kubelab backup`)
  }
}

export interface WriteBackupInput {
  readonly manifest: Omit<BackupManifest, 'files' | 'apiVersion' | 'kind'>
  /** Entry name → file on disk. */
  readonly files: ReadonlyMap<string, string>
}

/**
 * Write the archive to `out` (through a temporary file renamed into place, fsynced), so a
 * backup file either is complete or does not exist. Returns the manifest and the archive's SHA-256.
 */
export async function writeBackup(out: string, input: WriteBackupInput): Promise<{ manifest: BackupManifest; sha256: string; size: number }> {
  const entries: BackupEntry[] = []
  for (const [name, file] of input.files) {
    checkEntryName(name)
    entries.push({ name, ...(await sha256File(file)) })
  }
  const manifest: BackupManifest = { apiVersion: BACKUP_API_VERSION, kind: BACKUP_KIND, ...input.manifest, files: entries }
  const tmp = `${out}.${process.pid}.tmp`
  const p = pack()
  const feed = (async () => {
    const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
    await entry(p, { name: MANIFEST_NAME, size: json.length, mode: 0o600 }, Readable.from([json]))
    for (const e of entries) await entry(p, { name: e.name, size: e.size, mode: 0o600 }, createReadStream(input.files.get(e.name)!))
    p.finalize()
  })()
  try {
    await Promise.all([feed, pipeline(p, createGzip(), createWriteStream(tmp, { mode: 0o600 }))])
    const fh = await fsp.open(tmp, 'r')
    await fh.sync().finally(() => fh.close())
    await fsp.rename(tmp, out)
  } catch (e) {
    p.destroy()
    await fsp.rm(tmp, { force: true })
    throw e
  }
  return { manifest, ...(await sha256File(out)) }
}

function entry(p: ReturnType<typeof pack>, header: { name: string; size: number; mode: number }, body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = p.entry({ ...header, type: 'file', mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()))
    body.on('error', reject)
    body.pipe(sink)
  })
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])
/** bbolt's meta page magic (etcd's backend file) at offset 16 of the file. */
const BOLT_MAGIC = 0xed0cdaed

async function head(file: string, n: number): Promise<Buffer> {
  const fh = await fsp.open(file, 'r')
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await fh.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

/** Why a file that is not one of our archives was given, in words a user can act on. */
async function foreignReason(file: string): Promise<string | undefined> {
  const h = await head(file, 32)
  if (h.length >= 2 && h.subarray(0, 2).equals(GZIP_MAGIC)) return undefined
  if (h.length >= 20 && h.readUInt32LE(16) === BOLT_MAGIC) {
    return `${file} is a raw etcd snapshot (as etcdctl snapshot save writes), not a KubeLab backup: restore it by hand with etcdctl snapshot restore on the control-plane node, or use a file made by kubelab backup`
  }
  return `${file} is not a KubeLab backup (a KubeLab backup is the gzip-compressed tar that kubelab backup writes; this file starts with ${JSON.stringify(h.subarray(0, 8).toString('latin1'))})`
}

export interface OpenedBackup {
  readonly manifest: BackupManifest
  /** Where the entries were extracted (entry name → file). */
  readonly files: ReadonlyMap<string, string>
  /** SHA-256 and size of the archive itself. */
  readonly sha256: string
  readonly size: number
}

/**
 * Read and verify a backup, extracting its entries into `dir` (which must be empty or absent).
 * Throws BackupError saying what is wrong; on success every entry matched its recorded hash.
 */
export async function readBackup(file: string, dir: string): Promise<OpenedBackup> {
  let st
  try {
    st = await fsp.stat(file)
  } catch (e) {
    throw new BackupError(`cannot read backup ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  if (!st.isFile()) throw new BackupError(`${file} is not a file: give the backup file kubelab backup wrote`)
  const foreign = await foreignReason(file)
  if (foreign) throw new BackupError(foreign)
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  let manifest: BackupManifest | undefined
  const got = new Map<string, string>()
  const seen = new Map<string, { sha256: string; size: number }>()
  const whole = createHash('sha256')
  let wholeSize = 0
  const ex = extract()
  ex.on('entry', (header, stream, next) => {
    const done = (err?: unknown) => (err ? ex.destroy(err as Error) : next())
    const name = header.name
    if (manifest === undefined) {
      if (name !== MANIFEST_NAME)
        return done(new BackupError(`${file} is not a KubeLab backup: its first entry is ${JSON.stringify(name)}, not ${MANIFEST_NAME}`))
      const parts: Buffer[] = []
      stream.on('data', (c: unknown) => parts.push(c as Buffer))
      stream.on('error', done)
      stream.on('end', () => {
        try {
          manifest = parseManifest(Buffer.concat(parts).toString('utf8'), file)
          done()
        } catch (e) {
          done(e)
        }
      })
      return
    }
    try {
      checkEntryName(name)
    } catch (e) {
      stream.resume()
      return done(e)
    }
    if (header.type !== 'file') {
      stream.resume()
      return done(new BackupError(`${file}: entry ${name} is a ${header.type}, a KubeLab backup holds plain files only`))
    }
    const expected = manifest.files.find((f) => f.name === name)
    if (!expected) {
      stream.resume()
      return done(new BackupError(`${file} is damaged: entry ${name} is not listed in its manifest`))
    }
    if (seen.has(name)) {
      stream.resume()
      return done(new BackupError(`${file} is damaged: entry ${name} appears twice`))
    }
    const dest = path.join(dir, name)
    const h = createHash('sha256')
    let size = 0
    // A truncated archive fails gunzip, and the entry stream is destroyed with that error,
    // possibly before the pipeline below is attached (mkdir pending): without a listener here
    // that error would be uncaught and kill the process. The pipeline reports it.
    stream.on('error', () => undefined)
    fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 }).then(
      () => {
        const out = createWriteStream(dest, { mode: 0o600 })
        stream.on('data', (c: unknown) => {
          h.update(c as Buffer)
          size += (c as Buffer).length
        })
        pipeline(stream, out).then(() => {
          seen.set(name, { sha256: h.digest('hex'), size })
          got.set(name, dest)
          done()
        }, done)
      },
      (e: unknown) => {
        stream.resume()
        done(e)
      },
    )
  })
  const source = createReadStream(file)
  source.on('data', (c) => {
    whole.update(c as Buffer)
    wholeSize += (c as Buffer).length
  })
  try {
    await pipeline(source, createGunzip(), ex)
  } catch (e) {
    if (e instanceof BackupError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR' || /unexpected end/i.test((e as Error).message)) {
      throw new BackupError(
        `${file} is damaged: it ends early (${(e as Error).message}); it was probably not copied completely. Copy it again from where it was made`,
      )
    }
    throw new BackupError(`${file} is damaged (${(e as Error).message}); use another copy of the backup`)
  }
  if (!manifest) throw new BackupError(`${file} is not a KubeLab backup: it holds no ${MANIFEST_NAME}`)
  for (const f of manifest.files) {
    const s = seen.get(f.name)
    if (!s) throw new BackupError(`${file} is damaged: entry ${f.name} listed in its manifest is missing`)
    if (s.size !== f.size || s.sha256 !== f.sha256) {
      throw new BackupError(
        `${file} is damaged: entry ${f.name} has ${s.size} bytes with SHA-256 ${s.sha256}, its manifest says ${f.size} bytes with ${f.sha256}`,
      )
    }
  }
  return { manifest, files: got, sha256: whole.digest('hex'), size: wholeSize }
}

function parseManifest(text: string, file: string): BackupManifest {
  let m: unknown
  try {
    m = JSON.parse(text)
  } catch (e) {
    throw new BackupError(`${file} is damaged: ${MANIFEST_NAME} is not JSON (${(e as Error).message})`)
  }
  const o = m as Partial<BackupManifest> | null
  if (!o || typeof o !== 'object' || o.apiVersion !== BACKUP_API_VERSION || o.kind !== BACKUP_KIND) {
    throw new BackupError(
      `${file}: ${MANIFEST_NAME} is not a ${BACKUP_API_VERSION} ${BACKUP_KIND}${o && typeof o === 'object' && typeof o.apiVersion === 'string' ? ` (it says ${o.apiVersion} ${String(o.kind)}; a newer KubeLab may have written it)` : ''}`,
    )
  }
  const ok =
    typeof o.cluster === 'string' &&
    (o.store === 'embedded' || o.store === 'etcd') &&
    typeof o.revision === 'number' &&
    Number.isInteger(o.revision) &&
    typeof o.createdAt === 'string' &&
    typeof o.snapshot === 'string' &&
    Array.isArray(o.files) &&
    o.files.every((f) => f && typeof f.name === 'string' && typeof f.size === 'number' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256))
  if (!ok) throw new BackupError(`${file} is damaged: ${MANIFEST_NAME} lacks fields a backup has (cluster, store, revision, createdAt, snapshot, files)`)
  for (const f of o.files!) checkEntryName(f.name)
  if (!o.files!.some((f) => f.name === o.snapshot)) throw new BackupError(`${file} is damaged: its manifest names no store snapshot entry ${o.snapshot}`)
  return o as BackupManifest
}
