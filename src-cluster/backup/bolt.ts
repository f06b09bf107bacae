// Reading the revision an etcd snapshot was taken at, as `etcdctl snapshot status` does: the
// snapshot is a bbolt file, and the last key of its "key" bucket is the latest revision
// (8 bytes big-endian main revision, '_', 8 bytes sub revision[, 't' for a tombstone]). etcd
// 3.4's Snapshot RPC does not put the revision in its response header, so we read the file.
// bbolt layout: pages of pageSize; page header {id u64, flags u16, count u16, overflow u32};
// two meta pages (the valid one with the higher txid wins) pointing at the root bucket's page;
// branch elements {pos u32, ksize u32, pgid u64}, leaf elements {flags u32, pos u32, ksize u32,
// vsize u32}; a bucket value is {root pgid u64, sequence u64} (+ an inline page when root is 0).
import { promises as fsp } from 'node:fs'

const PAGE_HEADER = 16
const BRANCH = 0x01
const LEAF = 0x02
const META = 0x04
const BUCKET_FLAG = 0x01
const MAGIC = 0xed0cdaed

type Reader = (offset: number, length: number) => Promise<Buffer>

/** A page (header + body) held in memory. */
interface Page {
  readonly buf: Buffer
  readonly flags: number
  readonly count: number
}

function pageOf(buf: Buffer): Page {
  return { buf, flags: buf.readUInt16LE(8), count: buf.readUInt16LE(10) }
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at))
}

export async function boltSnapshotRevision(file: string): Promise<number> {
  const fh = await fsp.open(file, 'r')
  try {
    const size = (await fh.stat()).size
    const read: Reader = async (offset, length) => {
      if (offset + length > size) throw new Error(`page at byte ${offset} runs past the end of the file`)
      const b = Buffer.alloc(length)
      await fh.read(b, 0, length, offset)
      return b
    }
    const first = await read(0, 4096)
    if (first.readUInt32LE(PAGE_HEADER) !== MAGIC) throw new Error('not a bbolt file')
    const pageSize = first.readUInt32LE(PAGE_HEADER + 8)
    const metas = [first, await read(pageSize, Math.min(pageSize, 4096))]
      .filter((m) => (m.readUInt16LE(8) & META) !== 0 && m.readUInt32LE(PAGE_HEADER) === MAGIC)
      .map((m) => ({ root: u64(m, PAGE_HEADER + 16), txid: u64(m, PAGE_HEADER + 48) }))
      .sort((a, b) => b.txid - a.txid)
    if (metas.length === 0) throw new Error('no valid meta page')
    const load = async (pgid: number): Promise<Page> => {
      const head = await read(pgid * pageSize, PAGE_HEADER)
      const overflow = head.readUInt32LE(12)
      return pageOf(await read(pgid * pageSize, pageSize * (overflow + 1)))
    }
    // The "key" bucket in the root bucket.
    const bucket = await find(await load(metas[0]!.root), Buffer.from('key'), load)
    if (!bucket) throw new Error('no "key" bucket')
    const root = u64(bucket, 0)
    const top = root === 0 ? pageOf(bucket.subarray(16)) : await load(root)
    const last = await lastKey(top, load)
    if (!last) return 0
    return Number(last.readBigUInt64BE(0))
  } finally {
    await fh.close()
  }
}

function leafElement(p: Page, i: number): { flags: number; key: Buffer; value: Buffer } {
  const at = PAGE_HEADER + i * 16
  const flags = p.buf.readUInt32LE(at)
  const pos = p.buf.readUInt32LE(at + 4)
  const ksize = p.buf.readUInt32LE(at + 8)
  const vsize = p.buf.readUInt32LE(at + 12)
  const k = at + pos
  return { flags, key: p.buf.subarray(k, k + ksize), value: p.buf.subarray(k + ksize, k + ksize + vsize) }
}

function branchElement(p: Page, i: number): { key: Buffer; pgid: number } {
  const at = PAGE_HEADER + i * 16
  const pos = p.buf.readUInt32LE(at)
  const ksize = p.buf.readUInt32LE(at + 4)
  return { key: p.buf.subarray(at + pos, at + pos + ksize), pgid: u64(p.buf, at + 8) }
}

/** The value of bucket `name` in the tree rooted at `p`. */
async function find(p: Page, name: Buffer, load: (pgid: number) => Promise<Page>): Promise<Buffer | undefined> {
  if (p.flags & LEAF) {
    for (let i = 0; i < p.count; i++) {
      const e = leafElement(p, i)
      if ((e.flags & BUCKET_FLAG) !== 0 && e.key.equals(name)) return e.value
    }
    return undefined
  }
  if (!(p.flags & BRANCH)) throw new Error(`unexpected page type ${p.flags}`)
  // The last child whose first key is ≤ name holds it.
  let child = branchElement(p, 0).pgid
  for (let i = 0; i < p.count; i++) {
    const e = branchElement(p, i)
    if (Buffer.compare(e.key, name) <= 0) child = e.pgid
    else break
  }
  return find(await load(child), name, load)
}

async function lastKey(p: Page, load: (pgid: number) => Promise<Page>): Promise<Buffer | undefined> {
  if (p.count === 0) return undefined
  if (p.flags & LEAF) return leafElement(p, p.count - 1).key
  if (!(p.flags & BRANCH)) throw new Error(`unexpected page type ${p.flags}`)
  return lastKey(await load(branchElement(p, p.count - 1).pgid), load)
}
