// Reads the files of a NoCloud seed ISO as a guest's cloud-init would: the Joliet directory when
// the image has one (the names Linux mounts), else the primary ISO9660 directory with its ";1"
// versions and upper case undone. Only a root directory is read: seed images have no folders.
import { readFileSync } from 'node:fs'

const SECTOR = 2048

function rootFiles(img: Buffer, descriptorSector: number, joliet: boolean): Map<string, Buffer> {
  const d = descriptorSector * SECTOR
  const root = d + 156
  const extent = img.readUInt32LE(root + 2)
  const size = img.readUInt32LE(root + 10)
  const files = new Map<string, Buffer>()
  let off = extent * SECTOR
  const end = off + size
  while (off < end) {
    const len = img[off]!
    if (len === 0) {
      off = (Math.floor(off / SECTOR) + 1) * SECTOR // records never cross a sector: skip the padding
      continue
    }
    const fileExtent = img.readUInt32LE(off + 2)
    const fileSize = img.readUInt32LE(off + 10)
    const flags = img[off + 25]!
    const idLen = img[off + 32]!
    const id = img.subarray(off + 33, off + 33 + idLen)
    off += len
    if (flags & 2) continue // "." and ".." (and any folder)
    let name: string
    if (joliet) {
      name = ''
      for (let i = 0; i + 1 < id.length; i += 2) name += String.fromCharCode(id.readUInt16BE(i))
    } else name = id.toString('latin1').replace(/;1$/, '').replace(/\.$/, '').toLowerCase()
    files.set(name, img.subarray(fileExtent * SECTOR, fileExtent * SECTOR + fileSize))
  }
  return files
}

export interface SeedFiles {
  readonly label: string
  readonly files: Map<string, Buffer>
}

export function readSeedIso(path: string): SeedFiles {
  const img = readFileSync(path)
  if (img.length < 19 * SECTOR || img.toString('latin1', 16 * SECTOR + 1, 16 * SECTOR + 6) !== 'CD001') throw new Error(`${path} is not an ISO9660 image`)
  let joliet: number | undefined
  for (let s = 16; s < 32 && img[s * SECTOR] !== 255; s++) {
    const esc = img.toString('latin1', s * SECTOR + 88, s * SECTOR + 91)
    if (img[s * SECTOR] === 2 && /^%\/[@CE]$/.test(esc)) joliet = s
  }
  const label = img.toString('latin1', 16 * SECTOR + 40, 16 * SECTOR + 72).trim()
  return { label, files: joliet !== undefined ? rootFiles(img, joliet, true) : rootFiles(img, 16, false) }
}
