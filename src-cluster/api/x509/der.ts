// Just enough DER to read a CSR and write a certificate: tag-length-value reading that keeps
// byte offsets (so parts are copied exactly, and signatures are checked over the bytes that were
// signed), and builders for the few types a certificate needs.

export interface Tlv {
  readonly tag: number
  /** Where the TLV starts (its tag byte). */
  readonly offset: number
  /** Where its contents start and end. */
  readonly start: number
  readonly end: number
}

export function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('der: truncated')
  const tag = buf[offset]!
  if ((tag & 0x1f) === 0x1f) throw new Error('der: high tag numbers are not supported')
  let len = buf[offset + 1]!
  let start = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('der: bad length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!
    start += n
  }
  const end = start + len
  if (end > buf.length) throw new Error('der: truncated')
  return { tag, offset, start, end }
}

/** The TLVs inside a constructed TLV. */
export function children(buf: Buffer, tlv: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let o = tlv.start; o < tlv.end;) {
    const c = readTlv(buf, o)
    if (c.end > tlv.end) throw new Error('der: child overruns its parent')
    out.push(c)
    o = c.end
  }
  return out
}

export function oidString(buf: Buffer, tlv: Tlv): string {
  if (tlv.tag !== 0x06) throw new Error('der: not an OBJECT IDENTIFIER')
  const b = buf.subarray(tlv.start, tlv.end)
  const parts: number[] = []
  let v = 0
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f)
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

// ---- Writing ----

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body])
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items)
export const octets = (buf: Buffer): Buffer => tlv(0x04, buf)
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00])
export const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]))

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
export function unsignedInt(buf: Buffer): Buffer {
  let i = 0
  while (i < buf.length - 1 && buf[i] === 0) i++
  const v = buf.subarray(i)
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v)
}

export function oid(dotted: string): Buffer {
  const p = dotted.split('.').map(Number)
  const out: number[] = [p[0]! * 40 + p[1]!]
  for (const n of p.slice(2)) {
    const bytes = [n & 0x7f]
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f))
    out.push(...bytes)
  }
  return tlv(0x06, Buffer.from(out))
}

/** BIT STRING of whole bytes (signatures, keys). */
export function bitString(buf: Buffer): Buffer {
  return tlv(0x03, Buffer.from([0]), buf)
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString() // 2026-12-07T02:27:59.123Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '')
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z', 'ascii')) : tlv(0x18, Buffer.from(digits + 'Z', 'ascii'))
}

/** Named bits (bit 0 first) as a minimal DER BIT STRING, as Go writes KeyUsage. */
export function namedBits(bits: readonly number[]): Buffer {
  if (!bits.length) return tlv(0x03, Buffer.from([0]))
  const max = Math.max(...bits)
  const bytes = Buffer.alloc(Math.floor(max / 8) + 1)
  for (const b of bits) bytes[Math.floor(b / 8)]! |= 0x80 >> (b % 8)
  const unused = 7 - (max % 8)
  return tlv(0x03, Buffer.from([unused]), bytes)
}
