// Cloud images for QEMU VMs: the default Ubuntu 24.04 image is downloaded once into
// <KubeLab home>/images/qemu, with progress, checked against the release's published
// SHA256SUMS before it is used; `--image` takes a local file or another URL (checked against a
// SHA256SUMS beside it when the server has one). Nodes never write to the base: each gets a
// qcow2 overlay (qemu-img create -b, QEMU.md §3), so the cache is shared by every cluster.
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { basename, isAbsolute, join, resolve } from 'node:path'
import { runTool } from './binary'

export const UBUNTU_RELEASE_URL = 'https://cloud-images.ubuntu.com/releases/noble/release'

export function defaultImageUrl(arch: 'x86_64' | 'aarch64', base = UBUNTU_RELEASE_URL): string {
  return `${base}/ubuntu-24.04-server-cloudimg-${arch === 'x86_64' ? 'amd64' : 'arm64'}.img`
}

/** "<64 hex> *name" or "<64 hex>  name" lines → the sum for `file`, if listed. */
export function sumFor(sums: string, file: string): string | undefined {
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim())
    if (m && m[2]!.trim() === file) return m[1]!.toLowerCase()
  }
  return undefined
}

function fetchResponse(url: string, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolveRes, reject) => {
    const get = url.startsWith('https:') ? httpsGet : url.startsWith('http:') ? httpGet : undefined
    if (!get) return reject(new Error(`${url} is not an http(s) URL`))
    const req = get(url, { headers: { 'user-agent': 'kubelab' } }, (res) => {
      const code = res.statusCode ?? 0
      if (code >= 300 && code < 400 && res.headers.location && redirects > 0) {
        res.resume()
        fetchResponse(new URL(res.headers.location, url).toString(), redirects - 1).then(resolveRes, reject)
        return
      }
      if (code !== 200) {
        res.resume()
        return reject(Object.assign(new Error(`GET ${url} answered HTTP ${code}`), { status: code }))
      }
      resolveRes(res)
    })
    req.setTimeout(60_000, () => req.destroy(new Error(`GET ${url}: no data for 60 s`)))
    req.on('error', (e) =>
      reject(new Error(`GET ${url} failed: ${e.message}: check the internet connection or proxy, or pass --image FILE with a cloud image you already have`)),
    )
  })
}

export async function fetchText(url: string): Promise<string> {
  const res = await fetchResponse(url)
  let s = ''
  for await (const c of res) s += (c as Buffer).toString()
  return s
}

export interface DownloadProgress {
  (line: string): void
}

/** Streams `url` to `file` (via file.part), hashing as it goes; returns the sha256. */
export async function download(url: string, file: string, log: DownloadProgress): Promise<string> {
  const res = await fetchResponse(url)
  const total = Number(res.headers['content-length'] ?? 0)
  const part = `${file}.part`
  const hash = createHash('sha256')
  const out = createWriteStream(part)
  let got = 0
  let shown = -1
  const mib = (n: number) => (n / 2 ** 20).toFixed(0)
  try {
    for await (const chunk of res) {
      const c = chunk as Buffer
      hash.update(c)
      got += c.length
      if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()))
      const pct = total ? Math.floor((got / total) * 20) * 5 : -1
      if (pct !== shown && total) {
        shown = pct
        log(`downloading ${basename(file)} ${progressBar(got / total)} ${pct}% (${mib(got)}/${mib(total)} MiB)`)
      }
    }
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())))
  } catch (e) {
    out.destroy()
    rmSync(part, { force: true })
    throw new Error(`downloading ${url} broke off after ${mib(got)} MiB (${(e as Error).message}): run the command again to retry`)
  }
  if (total && got !== total) {
    rmSync(part, { force: true })
    throw new Error(`downloading ${url} ended after ${got} of ${total} bytes: run the command again to retry`)
  }
  renameSync(part, file)
  return hash.digest('hex')
}

export function progressBar(fraction: number, width = 20): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)))
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`
}

export interface BaseImage {
  readonly path: string
  readonly format: 'qcow2' | 'raw'
  /** Where it came from, for the progress and qemu.json. */
  readonly source: string
}

/** qemu-img info → format and virtual size; refuses what is not a disk image. */
export async function imageInfo(qemuImg: string, file: string): Promise<{ format: 'qcow2' | 'raw'; virtualSize: number }> {
  const r = await runTool(qemuImg, ['info', '--output=json', file])
  if (r.code !== 0) throw new Error(`qemu-img could not read ${file}: ${r.stderr.trim()}: pass a cloud image (qcow2 or raw) with cloud-init`)
  const info = JSON.parse(r.stdout) as { format?: string; 'virtual-size'?: number }
  if (info.format !== 'qcow2' && info.format !== 'raw')
    throw new Error(`${file} is a ${info.format} image: KubeLab's QEMU provider takes qcow2 or raw cloud images (convert with qemu-img convert -O qcow2)`)
  return { format: info.format, virtualSize: info['virtual-size'] ?? 0 }
}

export interface EnsureImageOptions {
  /** --image as given (file or URL); undefined = the default Ubuntu image. */
  readonly image?: string
  readonly arch: 'x86_64' | 'aarch64'
  readonly cacheDir: string
  readonly qemuImg: string
  readonly log: DownloadProgress
  /** Where the Ubuntu release lives (tests point it at a local server). */
  readonly ubuntuBaseUrl?: string
}

/** The base image to put overlays on: downloaded and verified once, then taken from the cache. */
export async function ensureBaseImage(opts: EnsureImageOptions): Promise<BaseImage> {
  const given = opts.image
  if (given && !/^https?:\/\//.test(given)) {
    const path = isAbsolute(given) ? given : resolve(given)
    if (!existsSync(path) || !statSync(path).isFile())
      throw new Error(`--image ${given}: no such file; give a cloud image file (qcow2 or raw) or an http(s) URL`)
    const { format } = await imageInfo(opts.qemuImg, path)
    return { path, format, source: path }
  }
  const url = given ?? defaultImageUrl(opts.arch, opts.ubuntuBaseUrl ?? UBUNTU_RELEASE_URL)
  mkdirSync(opts.cacheDir, { recursive: true })
  const name = basename(new URL(url).pathname) || 'image'
  // Another URL with the same file name must not hit this one's cache.
  const file = join(opts.cacheDir, given ? `${createHash('sha256').update(url).digest('hex').slice(0, 12)}-${name}` : name)
  if (existsSync(file)) {
    const { format } = await imageInfo(opts.qemuImg, file)
    opts.log(`image ${name}: cached in ${opts.cacheDir}`)
    return { path: file, format, source: url }
  }
  const sumsUrl = new URL('SHA256SUMS', url).toString()
  let expected: string | undefined
  try {
    expected = sumFor(await fetchText(sumsUrl), name)
    if (!expected) throw new Error(`${sumsUrl} does not list ${name}`)
  } catch (e) {
    if (!given) throw new Error(`cannot verify the Ubuntu image: ${(e as Error).message}`)
    opts.log(`image ${name}: no published checksum (${(e as Error).message}); using it unverified`)
  }
  opts.log(`image ${name}: downloading once from ${url} into ${opts.cacheDir}`)
  const got = await download(url, `${file}.unverified`, opts.log)
  if (expected && got !== expected) {
    rmSync(`${file}.unverified`, { force: true })
    throw new Error(
      `the downloaded ${name} does not match ${sumsUrl} (sha256 ${got}, expected ${expected}): the download was corrupted or tampered with; run the command again to download it anew`,
    )
  }
  if (expected) opts.log(`image ${name}: sha256 matches ${sumsUrl}`)
  renameSync(`${file}.unverified`, file)
  const { format } = await imageInfo(opts.qemuImg, file)
  return { path: file, format, source: url }
}

/** A node's copy-on-write disk on the base, grown to `sizeMiB` (never below the base's size). */
export async function createOverlay(qemuImg: string, base: BaseImage, disk: string, sizeMiB: number): Promise<void> {
  const { virtualSize } = await imageInfo(qemuImg, base.path)
  const size = Math.max(sizeMiB * 2 ** 20, virtualSize)
  const r = await runTool(qemuImg, ['create', '-f', 'qcow2', '-F', base.format, '-b', base.path, disk, String(size)])
  if (r.code !== 0) throw new Error(`qemu-img create of ${disk} failed: ${r.stderr.trim()}: check free disk space and that ${base.path} is readable`)
}
