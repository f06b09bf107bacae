// A small ISO9660 writer for NoCloud seed images: one root directory of small files, a primary
// volume (ISO9660 level 2 names) and a Joliet supplementary volume (the names readers use:
// Linux, macOS and Windows all prefer Joliet when present). Written in-process because
// cloud-localds / genisoimage / hdiutil differ per OS or are missing (PROVIDERS.md §3.3).
//
// Layout: sectors 0-15 system area, 16 primary descriptor, 17 Joliet descriptor, 18 terminator,
// 19-22 path tables (L and M, for each volume), 23 primary root, 24 Joliet root, then file data.

const SECTOR = 2048

export interface IsoFile {
  readonly name: string
  readonly data: Uint8Array | string
}

export interface IsoOptions {
  /** Volume label; "cidata" for NoCloud. Up to 16 characters (Joliet's limit). */
  readonly volumeId: string
  /** Recorded timestamps; fixed for reproducible images. */
  readonly date?: Date
}

function both16(b: Buffer, off: number, v: number): void {
  b.writeUInt16LE(v, off)
  b.writeUInt16BE(v, off + 2)
}

function both32(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v, off)
  b.writeUInt32BE(v, off + 4)
}

function pad(b: Buffer, off: number, len: number, text: string): void {
  b.fill(0x20, off, off + len)
  b.write(text.slice(0, len), off, 'latin1')
}

function ucs2be(text: string): Buffer {
  const b = Buffer.alloc(text.length * 2)
  for (let i = 0; i < text.length; i++) b.writeUInt16BE(text.charCodeAt(i), i * 2)
  return b
}

/** Joliet text fields are UCS-2 big-endian, padded with UCS-2 spaces. */
function padUcs2(b: Buffer, off: number, len: number, text: string): void {
  for (let i = 0; i < len; i += 2) b.writeUInt16BE(0x0020, off + i)
  ucs2be(text.slice(0, len / 2)).copy(b, off)
}

function recordingDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0])
}

function volumeDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}00`
}

function dirRecord(id: Buffer, extent: number, size: number, isDir: boolean, date: Date): Buffer {
  const len = 33 + id.length + (id.length % 2 === 0 ? 1 : 0)
  const r = Buffer.alloc(len)
  r[0] = len
  both32(r, 2, extent)
  both32(r, 10, size)
  recordingDate(date).copy(r, 18)
  r[25] = isDir ? 2 : 0
  both16(r, 28, 1)
  r[32] = id.length
  id.copy(r, 33)
  return r
}

/** Level-2 primary name: uppercase d-characters plus "-", with the ";1" version. */
export function primaryName(name: string): string {
  const upper = name.toUpperCase().replace(/[^A-Z0-9_.-]/g, '_')
  const dot = upper.lastIndexOf('.')
  const base = dot >= 0 ? upper.slice(0, dot) : upper
  const ext = dot >= 0 ? upper.slice(dot + 1) : ''
  return `${base.replace(/\./g, '_').slice(0, 30 - ext.length)}.${ext};1`
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`ISO file name ${JSON.stringify(name)} must be 1-64 letters, digits, ".", "_" or "-"`)
}

/** Builds the whole image in memory (seed images are a few kilobytes). */
export function buildIso(files: readonly IsoFile[], opts: IsoOptions): Buffer {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(opts.volumeId)) throw new Error(`volume label ${JSON.stringify(opts.volumeId)} must be 1-16 letters, digits, "_" or "-"`)
  const seen = new Set<string>()
  for (const f of files) {
    checkName(f.name)
    if (seen.has(f.name.toLowerCase())) throw new Error(`ISO file ${f.name} given twice`)
    seen.add(f.name.toLowerCase())
  }
  const date = opts.date ?? new Date()
  const contents = files.map((f) => ({ name: f.name, data: typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : Buffer.from(f.data) }))
  const PRIMARY_ROOT = 23
  const JOLIET_ROOT = 24
  let next = 25
  const placed = contents.map((f) => {
    const extent = next
    next += Math.max(1, Math.ceil(f.data.length / SECTOR))
    return { ...f, extent }
  })
  const total = next

  const rootDir = (joliet: boolean, self: number): Buffer => {
    const entries = placed
      .map((f) => ({ id: joliet ? ucs2be(f.name) : Buffer.from(primaryName(f.name), 'latin1'), f }))
      .sort((a, b) => Buffer.compare(a.id, b.id))
    const parts = [
      dirRecord(Buffer.from([0]), self, SECTOR, true, date),
      dirRecord(Buffer.from([1]), self, SECTOR, true, date),
      ...entries.map((e) => dirRecord(e.id, e.f.extent, e.f.data.length, false, date)),
    ]
    const dir = Buffer.concat(parts)
    if (dir.length > SECTOR) throw new Error(`too many files for a one-sector ISO directory (${dir.length} bytes of records)`)
    return dir
  }

  const pathTable = (root: number, bigEndian: boolean): Buffer => {
    const t = Buffer.alloc(10)
    t[0] = 1
    if (bigEndian) t.writeUInt32BE(root, 2)
    else t.writeUInt32LE(root, 2)
    if (bigEndian) t.writeUInt16BE(1, 6)
    else t.writeUInt16LE(1, 6)
    return t
  }

  const descriptor = (joliet: boolean): Buffer => {
    const d = Buffer.alloc(SECTOR)
    d[0] = joliet ? 2 : 1
    d.write('CD001', 1, 'latin1')
    d[6] = 1
    const text = joliet ? padUcs2 : pad
    text(d, 8, 32, '')
    text(d, 40, 32, opts.volumeId)
    both32(d, 80, total)
    if (joliet) d.write('%/E', 88, 'latin1') // UCS-2 level 3
    both16(d, 120, 1)
    both16(d, 124, 1)
    both16(d, 128, SECTOR)
    both32(d, 132, 10)
    d.writeUInt32LE(joliet ? 21 : 19, 140)
    d.writeUInt32BE(joliet ? 22 : 20, 148)
    dirRecord(Buffer.from([0]), joliet ? JOLIET_ROOT : PRIMARY_ROOT, SECTOR, true, date).copy(d, 156)
    text(d, 190, 128, '')
    text(d, 318, 128, '')
    text(d, 446, 128, '')
    text(d, 574, 128, 'KUBELAB')
    text(d, 702, 36, '')
    text(d, 739, 36, '')
    text(d, 776, 36, '')
    const stamp = volumeDate(date)
    d.write(stamp, 813, 'latin1')
    d.write(stamp, 830, 'latin1')
    d.write('0000000000000000', 847, 'latin1')
    d.write(stamp, 864, 'latin1')
    d[881] = 1
    return d
  }

  const image = Buffer.alloc(total * SECTOR)
  descriptor(false).copy(image, 16 * SECTOR)
  descriptor(true).copy(image, 17 * SECTOR)
  image[18 * SECTOR] = 255
  image.write('CD001', 18 * SECTOR + 1, 'latin1')
  image[18 * SECTOR + 6] = 1
  pathTable(PRIMARY_ROOT, false).copy(image, 19 * SECTOR)
  pathTable(PRIMARY_ROOT, true).copy(image, 20 * SECTOR)
  pathTable(JOLIET_ROOT, false).copy(image, 21 * SECTOR)
  pathTable(JOLIET_ROOT, true).copy(image, 22 * SECTOR)
  rootDir(false, PRIMARY_ROOT).copy(image, PRIMARY_ROOT * SECTOR)
  rootDir(true, JOLIET_ROOT).copy(image, JOLIET_ROOT * SECTOR)
  for (const f of placed) f.data.copy(image, f.extent * SECTOR)
  return image
}
