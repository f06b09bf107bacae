// The lock that keeps two processes from opening one data directory (two writers on one
// write-ahead log corrupt it; etcd holds an OS lock on its WAL for the same reason).
//
// Node has no flock(), so on Linux the lock is a listening socket in the abstract namespace
// named after the directory's device and inode: bind() is atomic, and the kernel drops the
// name the moment the holder dies, even by SIGKILL, so a dead holder needs no takeover at all.
// The LOCK file beside it only names the holder (pid + start time) for the error message, and
// catches a holder in another network namespace (abstract names are per namespace: a local
// cluster's node runs in its own). Elsewhere (macOS, Windows) the lock is the LOCK file itself,
// created atomically with link(); a stale one is taken over under a takeover mutex.
import { createServer, type Server } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, unlinkSync, promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { StoreError } from './types'

const LOCK_FILE = 'LOCK'
const TAKEOVER = 'LOCK.takeover'

/** Releases the lock; safe to call more than once. */
export type ReleaseLock = () => Promise<void>

/** Who holds a lock: the pid, and (Linux) the process start time that tells a reused pid apart. */
interface Holder {
  readonly pid: number
  readonly start?: string
}

const lockedHere = new Set<string>()

/** Field 22 of /proc/PID/stat: start time in clock ticks since boot (Linux only). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (h.start === undefined) return true
  const now = startTime(h.pid)
  // Without /proc (another OS) trust the pid; with it, a different start time is a reused pid.
  return now === undefined || now === h.start
}

function me(): Holder {
  return { pid: process.pid, start: startTime(process.pid) }
}

function format(h: Holder): string {
  return h.start === undefined ? `${h.pid}\n` : `${h.pid} ${h.start}\n`
}

function parse(text: string): Holder | undefined {
  const [pid, start] = text.trim().split(/\s+/)
  const n = Number(pid)
  if (!Number.isInteger(n) || n <= 0) return undefined
  return { pid: n, start: start || undefined }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return parse(await fsp.readFile(file, 'utf8'))
  } catch {
    return undefined
  }
}

function inUse(dir: string, h: Holder | undefined): StoreError {
  const who = h ? `process ${h.pid}` : 'another process'
  return new StoreError('io', `data directory ${dir} is in use by ${who}; stop that process or choose another data directory`)
}

/** The holder writes LOCK just after it binds: give it a moment, so the message can name it. */
async function awaitHolder(file: string): Promise<Holder | undefined> {
  for (let i = 0; i < 40; i++) {
    const h = await readHolder(file)
    if (h && h.pid !== process.pid && alive(h)) return h
    await new Promise((r) => setTimeout(r, 25))
  }
  return undefined
}

/** Bind the directory's abstract socket; false when a live process in this namespace holds it. */
async function bindAbstract(dir: string): Promise<Server | false> {
  const st = await fsp.stat(dir)
  const id = createHash('sha256').update(`${st.dev}:${st.ino}`).digest('hex').slice(0, 40)
  const server = createServer()
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)))
    server.listen({ path: `\0kubelab-dir-lock-${id}`, exclusive: true }, () => {
      // The lock must not keep the process alive on its own.
      server.unref()
      resolve(server)
    })
  })
}

/** Write LOCK through a temporary file and rename, so a reader never sees it half written. */
async function writeHolderFile(file: string, h: Holder): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.locktmp`
  await fsp.writeFile(tmp, format(h), { mode: 0o600 })
  await fsp.rename(tmp, file)
}

/** Create LOCK only if absent (link() fails on an existing name), fully written when it appears. */
async function createExclusive(file: string, h: Holder): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.locktmp`
  await fsp.writeFile(tmp, format(h), { mode: 0o600 })
  try {
    await fsp.link(tmp, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await fsp.unlink(tmp).catch(() => undefined)
  }
}

/** Linux: the abstract socket is the lock; LOCK names the holder and guards across namespaces. */
async function lockLinux(abs: string, file: string): Promise<ReleaseLock> {
  const server = await bindAbstract(abs)
  if (server === false) throw inUse(abs, await awaitHolder(file))
  const previous = await readHolder(file)
  if (previous && previous.pid !== process.pid && alive(previous)) {
    server.close()
    throw inUse(abs, previous)
  }
  const self = me()
  await writeHolderFile(file, self)
  return releaser(abs, file, self, () => server.close())
}

/** Elsewhere: LOCK created exclusively; a dead holder's LOCK is removed under a takeover mutex. */
async function lockPortable(abs: string, file: string): Promise<ReleaseLock> {
  const self = me()
  const mutex = path.join(abs, TAKEOVER)
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(file, self)) return releaser(abs, file, self, () => undefined)
    const holder = await readHolder(file)
    if (holder && alive(holder)) throw inUse(abs, holder)
    // Only one process may remove a stale LOCK, or a slow one could remove a fresh, live one.
    if (await createExclusive(mutex, self)) {
      try {
        const again = await readHolder(file)
        if (!again || !alive(again)) await fsp.unlink(file).catch(() => undefined)
      } finally {
        await fsp.unlink(mutex).catch(() => undefined)
      }
    } else {
      const taker = await readHolder(mutex)
      // A mutex whose owner died mid-takeover (a window of a few system calls) is cleared.
      if (taker && !alive(taker)) await fsp.unlink(mutex).catch(() => undefined)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  throw inUse(abs, await readHolder(file))
}

function releaser(abs: string, file: string, self: Holder, closeLock: () => void): ReleaseLock {
  lockedHere.add(abs)
  let released = false
  // On any exit (process.exit, an uncaught error) LOCK goes with the process; a signal that
  // kills outright leaves it naming a dead process, which the next opener recognises.
  const onExit = (): void => {
    try {
      if (existsSync(file) && readFileSync(file, 'utf8') === format(self)) unlinkSync(file)
    } catch {
      // Best effort at exit: a LOCK left behind names a dead process and is taken over.
    }
  }
  process.once('exit', onExit)
  return async () => {
    if (released) return
    released = true
    process.removeListener('exit', onExit)
    onExit()
    closeLock()
    lockedHere.delete(abs)
  }
}

/**
 * Take the lock on a data directory before anything in it is read or written. Throws a
 * StoreError naming the holder when a live process has it; a dead holder's lock is taken over.
 */
export async function lockDir(dir: string, opts: { mechanism?: 'os' | 'file' } = {}): Promise<ReleaseLock> {
  const abs = path.resolve(dir)
  if (lockedHere.has(abs)) throw new StoreError('io', `data directory ${abs} is already open in this process; close the other store first`)
  const file = path.join(abs, LOCK_FILE)
  try {
    // `mechanism: 'file'` is what other systems use; tests choose it to prove that path on Linux.
    const os = (opts.mechanism ?? (process.platform === 'linux' ? 'os' : 'file')) === 'os'
    return os ? await lockLinux(abs, file) : await lockPortable(abs, file)
  } catch (err) {
    if (err instanceof StoreError) throw err
    const code = (err as NodeJS.ErrnoException).code
    const hint =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `make ${abs} writable by this user or choose another data directory`
        : 'check the disk and the directory, then restart'
    throw new StoreError('io', `locking data directory ${abs} failed (${err instanceof Error ? err.message : String(err)}); ${hint}`)
  }
}
