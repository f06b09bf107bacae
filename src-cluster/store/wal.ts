// Write-ahead log segments. The writer appends whole batches of framed records and fsyncs them;
// the reader parses a segment and, for the last segment only, tolerates a torn or corrupt tail
// (the crash happened before that batch was acknowledged) by reporting where valid data ends.
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { FRAME_HEADER, fileFrames } from './codec'
import { decodeWalRecord, type WalRecord } from './records'
import { WAL_PREFIX, WAL_SUFFIX, fsyncDir, parseSeq, seqName } from './files'
import { StoreError } from './types'

export interface Segment {
  readonly seq: number
  readonly file: string
}

export async function listSegments(dir: string): Promise<Segment[]> {
  const names = await fsp.readdir(dir)
  const out: Segment[] = []
  for (const name of names) {
    const seq = parseSeq(name, WAL_PREFIX, WAL_SUFFIX)
    if (seq !== undefined) out.push({ seq, file: path.join(dir, name) })
  }
  return out.sort((a, b) => a.seq - b.seq)
}

export interface SegmentContents {
  readonly records: WalRecord[]
  /** Bytes of whole, valid records from the start. */
  readonly validBytes: number
  readonly totalBytes: number
  /** Why reading stopped before the end, when it did. */
  readonly problem?: string
}

export async function readSegment(file: string): Promise<SegmentContents> {
  const totalBytes = (await fsp.stat(file)).size
  const records: WalRecord[] = []
  let validBytes = 0
  for await (const f of fileFrames(file)) {
    if (!f.ok) return { records, validBytes, totalBytes, problem: f.reason }
    let rec: WalRecord
    try {
      rec = decodeWalRecord(f.payload)
    } catch (err) {
      return { records, validBytes, totalBytes, problem: `undecodable record at byte ${f.offset}: ${(err as Error).message}` }
    }
    records.push(rec)
    validBytes = f.offset + FRAME_HEADER + f.payload.length
  }
  return { records, validBytes, totalBytes }
}

/** Cut a torn tail off a segment and make the new length durable. */
export async function truncateSegment(file: string, length: number): Promise<void> {
  const fh = await fsp.open(file, 'r+')
  try {
    await fh.truncate(length)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Appends batches to one segment file. */
export class SegmentWriter {
  private constructor(
    readonly seq: number,
    readonly file: string,
    private readonly fh: fsp.FileHandle,
  ) {}

  /** Open (creating if needed) a segment for appending; its directory entry is made durable. */
  static async open(dir: string, seq: number): Promise<SegmentWriter> {
    const file = path.join(dir, seqName(WAL_PREFIX, seq, WAL_SUFFIX))
    const fh = await fsp.open(file, 'a', 0o600)
    await fsyncDir(dir)
    return new SegmentWriter(seq, file, fh)
  }

  /** Write the records and fsync: when this resolves they survive a crash. */
  async write(records: readonly Buffer[]): Promise<void> {
    let bufs = records
    for (;;) {
      const want = bufs.reduce((n, b) => n + b.length, 0)
      const { bytesWritten } = await this.fh.writev(bufs as Buffer[])
      if (bytesWritten >= want) break
      // Short write (rare, e.g. near a full disk): continue with what is left.
      const rest = Buffer.concat(bufs as Buffer[]).subarray(bytesWritten)
      if (bytesWritten === 0) throw new StoreError('io', `no progress writing ${this.file}`)
      bufs = [rest]
    }
    await this.fh.datasync()
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}
