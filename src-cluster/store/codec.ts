// Binary encoding shared by the write-ahead log and snapshots. Every record on disk is framed as
// [u32 payload length][u32 CRC-32 of payload][payload], little endian, so a reader can tell a
// complete record from a torn or corrupted one without trusting anything inside it.
import { promises as fsp } from 'node:fs'
import { crc32 } from 'node:zlib'

export const FRAME_HEADER = 8
/** Larger lengths can only come from garbage: no single record is allowed to be this big. */
export const MAX_RECORD = 256 * 1024 * 1024

/**
 * Appends primitive values to a growing buffer, after room left for the frame header: frame()
 * fills that in and hands out the same memory (no copy of the payload). `initial` is the payload
 * bytes expected; a good guess (the WAL's records size theirs) means a single allocation.
 */
export class Writer {
  private buf: Buffer
  private pos = FRAME_HEADER

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(FRAME_HEADER + initial)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  u8(value: number): this {
    this.ensure(1)
    this.buf[this.pos++] = value
    return this
  }

  u32(value: number): this {
    this.ensure(4)
    this.buf.writeUInt32LE(value, this.pos)
    this.pos += 4
    return this
  }

  /** Integers up to 2^53 (revisions) as float64: exact and simple. */
  num(value: number): this {
    this.ensure(8)
    this.buf.writeDoubleLE(value, this.pos)
    this.pos += 8
    return this
  }

  str(text: string): this {
    const n = Buffer.byteLength(text)
    this.ensure(4 + n)
    this.buf.writeUInt32LE(n, this.pos)
    this.buf.write(text, this.pos + 4, n, 'utf8')
    this.pos += 4 + n
    return this
  }

  /** The payload wrapped in its frame header (length + CRC). */
  frame(): Buffer {
    const len = this.pos - FRAME_HEADER
    this.buf.writeUInt32LE(len, 0)
    this.buf.writeUInt32LE(crc32(this.buf.subarray(FRAME_HEADER, this.pos)), 4)
    return this.buf.subarray(0, this.pos)
  }
}

/** Reads values back in the order a Writer wrote them; throws on overrun. */
export class Reader {
  private pos = 0

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`record ends early (wanted ${n} bytes at ${this.pos} of ${this.buf.length})`)
  }

  u8(): number {
    this.need(1)
    return this.buf[this.pos++]
  }

  u32(): number {
    this.need(4)
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }

  num(): number {
    this.need(8)
    const v = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return v
  }

  str(): string {
    const n = this.u32()
    this.need(n)
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }

  done(): boolean {
    return this.pos === this.buf.length
  }
}

export type FrameResult = { readonly ok: true; readonly payload: Buffer; readonly next: number } | { readonly ok: false; readonly reason: string }

/** Parse the frame at `offset` of `data`; says why when it is incomplete or corrupt. */
export function readFrame(data: Buffer, offset: number): FrameResult {
  if (offset + FRAME_HEADER > data.length) return { ok: false, reason: `frame header cut short at byte ${offset}` }
  const len = data.readUInt32LE(offset)
  const crc = data.readUInt32LE(offset + 4)
  if (len === 0 || len > MAX_RECORD) return { ok: false, reason: `impossible record length ${len} at byte ${offset}` }
  const end = offset + FRAME_HEADER + len
  if (end > data.length) return { ok: false, reason: `record at byte ${offset} needs ${len} bytes, file ends after ${data.length - offset - FRAME_HEADER}` }
  const payload = data.subarray(offset + FRAME_HEADER, end)
  if (crc32(payload) !== crc) return { ok: false, reason: `checksum mismatch in record at byte ${offset}` }
  return { ok: true, payload, next: end }
}

export type FileFrame =
  { readonly ok: true; readonly payload: Buffer; readonly offset: number } | { readonly ok: false; readonly reason: string; readonly offset: number }

/**
 * The frames of a file, read a chunk at a time: snapshots and log segments may be larger than
 * one Buffer can hold (2 GiB), and reading them must never be what stops a store from starting.
 * Ends after the last whole frame, or with one `ok: false` saying why the rest is unreadable.
 */
export async function* fileFrames(file: string, chunkBytes = 8 * 1024 * 1024): AsyncGenerator<FileFrame> {
  const fh = await fsp.open(file, 'r')
  try {
    const size = (await fh.stat()).size
    let buf = Buffer.alloc(0)
    let bufStart = 0 // file offset of buf[0]
    let cursor = 0 // offset in buf of the next frame
    let readPos = 0
    for (;;) {
      const f = readFrame(buf, cursor)
      if (f.ok) {
        yield { ok: true, payload: f.payload, offset: bufStart + cursor }
        cursor = f.next
        continue
      }
      if (readPos >= size) {
        if (cursor < buf.length) yield { ok: false, reason: `${f.reason} (file offset ${bufStart + cursor})`, offset: bufStart + cursor }
        return
      }
      const have = buf.length - cursor
      const want = have >= FRAME_HEADER ? FRAME_HEADER + buf.readUInt32LE(cursor) : FRAME_HEADER
      const len = Math.min(size - readPos, Math.max(chunkBytes, want - have))
      const chunk = Buffer.allocUnsafe(len)
      let got = 0
      while (got < len) {
        const { bytesRead } = await fh.read(chunk, got, len - got, readPos + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      readPos += got
      buf = Buffer.concat([buf.subarray(cursor), chunk.subarray(0, got)])
      bufStart += cursor
      cursor = 0
      if (got === 0) readPos = size
    }
  } finally {
    await fh.close()
  }
}
