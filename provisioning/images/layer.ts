// Builds one uncompressed OCI layer (a tar stream) from a directory or a list of entries.
// Entries are sorted and stamped with a fixed mtime so the same input gives the same digest.
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join, posix } from 'node:path'
import { pack, type Header } from 'tar-stream'

export type RootfsEntry =
  | { type: 'file'; path: string; content: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string }

/** Fixed timestamp for every entry (2020-01-01), so layers are reproducible. */
const MTIME = new Date('2020-01-01T00:00:00Z')

/** Normalises an absolute or relative path to the form tar layers use ("bin/sh"). */
function rel(path: string): string {
  const p = posix.normalize(path.replace(/\\/g, '/')).replace(/^\/+/, '').replace(/\/+$/, '')
  if (!p || p === '.' || p.startsWith('..')) throw new Error(`image rootfs: invalid path ${JSON.stringify(path)}`)
  return p
}

/** Walks a host directory into entries (files are read into memory; images here are small). */
export function entriesFromDir(dir: string): RootfsEntry[] {
  const out: RootfsEntry[] = []
  const walk = (abs: string, relPath: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name)
      const r = relPath ? `${relPath}/${name}` : name
      const st = lstatSync(a)
      if (st.isSymbolicLink()) out.push({ type: 'symlink', path: r, target: readlinkSync(a) })
      else if (st.isDirectory()) {
        out.push({ type: 'dir', path: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid })
        walk(a, r)
      } else if (st.isFile()) out.push({ type: 'file', path: r, content: readFileSync(a), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid })
      // sockets, fifos and devices are not image content; skipped on purpose
    }
  }
  walk(dir, '')
  return out
}

/** Adds the parent directories an entry list forgot, so extraction never guesses modes. */
function withParents(entries: RootfsEntry[]): RootfsEntry[] {
  const byPath = new Map<string, RootfsEntry>()
  for (const e of entries) byPath.set(rel(e.path), { ...e, path: rel(e.path) })
  for (const p of [...byPath.keys()]) {
    let d = posix.dirname(p)
    while (d !== '.' && !byPath.has(d)) {
      byPath.set(d, { type: 'dir', path: d, mode: 0o755 })
      d = posix.dirname(d)
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Returns the layer tar bytes. */
export async function buildLayer(entries: RootfsEntry[]): Promise<Buffer> {
  const p = pack()
  const chunks: Buffer[] = []
  p.on('data', (c: unknown) => void chunks.push(c as Buffer))
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve())
    p.on('error', reject)
  })
  for (const e of withParents(entries)) {
    const base: Partial<Header> & { name: string } = { name: e.path, mtime: MTIME, uid: 0, gid: 0 }
    if (e.type === 'dir') {
      await addEntry(p, { ...base, name: `${e.path}/`, type: 'directory', mode: e.mode ?? 0o755, uid: e.uid ?? 0, gid: e.gid ?? 0 })
    } else if (e.type === 'symlink') {
      await addEntry(p, { ...base, type: 'symlink', linkname: e.target, mode: 0o777 })
    } else {
      const body = typeof e.content === 'string' ? Buffer.from(e.content) : e.content
      await addEntry(p, { ...base, type: 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, size: body.length }, body)
    }
  }
  p.finalize()
  await done
  return Buffer.concat(chunks)
}

function addEntry(p: ReturnType<typeof pack>, h: Partial<Header> & { name: string }, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve())
    if (body) p.entry(h, body, cb)
    else p.entry(h, cb)
  })
}
