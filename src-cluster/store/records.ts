// What the write-ahead log and snapshot files contain, encoded with codec.ts. Put records carry
// only key and value: create revision and version follow from replaying in order, which keeps
// the log small.
import type { KeyValue } from './types'
import { Reader, Writer } from './codec'

export type LoggedOp = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'delete'; readonly key: string }

export type WalRecord =
  { readonly kind: 'txn'; readonly revision: number; readonly ops: readonly LoggedOp[] } | { readonly kind: 'compact'; readonly revision: number }

const WAL_TXN = 1
const WAL_COMPACT = 2

/** A txn record's payload size when its text is ASCII (as keys and JSON values nearly always are). */
function txnBytes(ops: readonly LoggedOp[]): number {
  let n = 13
  for (const op of ops) n += op.type === 'put' ? 9 + op.key.length + op.value.length : 5 + op.key.length
  return n
}

export function encodeWalRecord(rec: WalRecord): Buffer {
  if (rec.kind === 'compact') return new Writer(9).u8(WAL_COMPACT).num(rec.revision).frame()
  const w = new Writer(txnBytes(rec.ops))
  w.u8(WAL_TXN).num(rec.revision).u32(rec.ops.length)
  for (const op of rec.ops) {
    if (op.type === 'put') w.u8(1).str(op.key).str(op.value)
    else w.u8(2).str(op.key)
  }
  return w.frame()
}

export function decodeWalRecord(payload: Buffer): WalRecord {
  const r = new Reader(payload)
  const kind = r.u8()
  if (kind === WAL_COMPACT) return { kind: 'compact', revision: r.num() }
  if (kind !== WAL_TXN) throw new Error(`unknown log record type ${kind}`)
  const revision = r.num()
  const n = r.u32()
  const ops: LoggedOp[] = []
  for (let i = 0; i < n; i++) {
    const t = r.u8()
    const key = r.str()
    if (t === 1) ops.push({ type: 'put', key, value: r.str() })
    else if (t === 2) ops.push({ type: 'delete', key })
    else throw new Error(`unknown operation type ${t} in log record for revision ${revision}`)
  }
  if (!r.done()) throw new Error(`trailing bytes in log record for revision ${revision}`)
  return { kind: 'txn', revision, ops }
}

export const SNAPSHOT_FORMAT = 1
const SNAP_HEADER = 10
const SNAP_KEY = 11
const SNAP_FOOTER = 12

export interface SnapshotHeader {
  readonly format: number
  readonly revision: number
  readonly compactRevision: number
  readonly keyCount: number
}

export type SnapshotRecord =
  | ({ readonly kind: 'header' } & SnapshotHeader)
  | { readonly kind: 'key'; readonly key: string; readonly versions: readonly KeyValue[] }
  | { readonly kind: 'footer'; readonly keyCount: number }

export function encodeSnapshotHeader(snapshotHeader: SnapshotHeader): Buffer {
  return new Writer(64)
    .u8(SNAP_HEADER)
    .u32(snapshotHeader.format)
    .num(snapshotHeader.revision)
    .num(snapshotHeader.compactRevision)
    .u32(snapshotHeader.keyCount)
    .frame()
}

/** One key's retained versions (tombstones have version 0 and keep the last value). */
export function encodeSnapshotKey(key: string, versions: readonly KeyValue[]): Buffer {
  let size = 9 + key.length
  for (const v of versions) size += 28 + v.value.length
  const w = new Writer(size)
  w.u8(SNAP_KEY).str(key).u32(versions.length)
  for (const v of versions) w.num(v.createRevision).num(v.modRevision).num(v.version).str(v.value)
  return w.frame()
}

export function encodeSnapshotFooter(keyCount: number): Buffer {
  return new Writer(16).u8(SNAP_FOOTER).u32(keyCount).frame()
}

export function decodeSnapshotRecord(payload: Buffer): SnapshotRecord {
  const r = new Reader(payload)
  const kind = r.u8()
  if (kind === SNAP_HEADER) {
    return { kind: 'header', format: r.u32(), revision: r.num(), compactRevision: r.num(), keyCount: r.u32() }
  }
  if (kind === SNAP_FOOTER) return { kind: 'footer', keyCount: r.u32() }
  if (kind !== SNAP_KEY) throw new Error(`unknown snapshot record type ${kind}`)
  const key = r.str()
  const n = r.u32()
  const versions: KeyValue[] = []
  for (let i = 0; i < n; i++) {
    const createRevision = r.num()
    const modRevision = r.num()
    const version = r.num()
    versions.push({ key, value: r.str(), createRevision, modRevision, version })
  }
  return { kind: 'key', key, versions }
}
