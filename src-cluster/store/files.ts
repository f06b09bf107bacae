// File-system helpers for the data directory: preparing it with actionable errors, fsync of
// directories (so renames and new files survive power loss), file naming, and the lock that
// keeps two processes from writing the same directory (in dir-lock.ts).
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { StoreError } from './types'

export const WAL_PREFIX = 'wal-'
export const WAL_SUFFIX = '.log'
export const SNAP_PREFIX = 'snap-'
export const SNAP_SUFFIX = '.snap'

/** Zero-padded so that name order is numeric order. */
export function seqName(prefix: string, seq: number, suffix: string): string {
  return `${prefix}${String(seq).padStart(16, '0')}${suffix}`
}

export function parseSeq(name: string, prefix: string, suffix: string): number | undefined {
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return undefined
  const digits = name.slice(prefix.length, name.length - suffix.length)
  return /^\d+$/.test(digits) ? Number(digits) : undefined
}

export function errText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code ? `${code}: ${err.message}` : err.message
  }
  return String(err)
}

/** An I/O failure phrased as what failed and what the user can do about it. */
export function ioError(what: string, dir: string, err: unknown): StoreError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  let hint = 'check the disk and the directory, then restart'
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    hint = `make ${dir} writable by this user (uid ${process.getuid?.() ?? '?'}) or choose another data directory`
  else if (code === 'ENOSPC' || code === 'EDQUOT') hint = `free disk space on the file system holding ${dir}, then restart`
  else if (code === 'ENOTDIR' || code === 'EEXIST') hint = `${dir} (or a parent) is not a directory; choose another data directory`
  return new StoreError('io', `${what} in data directory ${dir} failed (${errText(err)}); ${hint}`)
}

/** Create the data directory owner-only (it holds every Secret); warn, as etcd does, when an existing one is looser. */
export async function prepareDir(dir: string, warn?: (message: string) => void): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
    const st = await fsp.stat(dir)
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    await fsp.access(dir, fsp.constants.W_OK | fsp.constants.R_OK | fsp.constants.X_OK)
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      warn?.(
        `store: data directory ${dir} has permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')}; 0700 is recommended so that other users cannot read the stored objects (chmod 700 ${dir})`,
      )
    }
  } catch (err) {
    throw ioError('preparing the store', dir, err)
  }
}

/** access() says yes to root even on a read-only mount; creating a file is the real test. Call it holding the lock. */
export async function probeWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.probe-${process.pid}`)
  try {
    await fsp.writeFile(probe, '')
    await fsp.unlink(probe)
  } catch (err) {
    throw ioError('preparing the store', dir, err)
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

export { lockDir, type ReleaseLock } from './dir-lock'
