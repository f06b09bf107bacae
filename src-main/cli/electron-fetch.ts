// Fetches the Electron build that the installed `electron` package pins, the first time the
// desktop app starts. `npm install` stays offline-safe (the package's own postinstall download
// is denied in allowScripts); this does what that postinstall would have done, with progress,
// and leaves the same layout (dist/ + path.txt) that the package's index.js reads.
//
// The download itself is @electron/get, the electron package's own downloader: it honours
// ELECTRON_MIRROR / ELECTRON_CUSTOM_DIR / ELECTRON_CUSTOM_FILENAME, the electron_config_cache
// cache folder and ELECTRON_GET_USE_PROXY proxies, downloads into a temporary folder and only
// moves an archive into the cache after its SHA-256 matched, so a half-downloaded or tampered
// archive is never used.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, promises as fsp, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export interface FetchProgress {
  /** 0..1 */
  readonly fraction: number
  readonly transferred: number
  /** Bytes in all, when the server said. */
  readonly total?: number
}

export interface ElectronFetchOptions {
  /** The installed `electron` package's folder. */
  readonly electronDir: string
  readonly env: NodeJS.ProcessEnv
  readonly platform?: NodeJS.Platform
  readonly arch?: string
  /** Expected SHA-256 per archive name; defaults to the package's own checksums.json. */
  readonly checksums?: Record<string, string>
  readonly onProgress?: (p: FetchProgress) => void
  /** Use this archive (copied in by hand on an offline machine) instead of downloading. */
  readonly archive?: string
}

export type ElectronFetchResult = { ok: true; path: string; fetched: boolean } | { ok: false; reason: string }

interface ElectronGet {
  downloadArtifact(details: {
    version: string
    artifactName: string
    platform: string
    arch: string
    checksums?: Record<string, string>
    cacheRoot?: string
    mirrorOptions?: { mirror?: string; customDir?: string; customFilename?: string }
    downloadOptions?: { quiet?: boolean; getProgressCallback?: (p: { percent: number; transferred: number; total?: number }) => Promise<void> }
  }): Promise<string>
}

type ExtractZip = (zip: string, opts: { dir: string }) => Promise<void>

/** Where the executable sits inside dist/, as the electron package's install.js writes it. */
export function electronPlatformPath(platform: NodeJS.Platform): string | undefined {
  switch (platform) {
    case 'darwin':
      return 'Electron.app/Contents/MacOS/Electron'
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return 'electron'
    case 'win32':
      return 'electron.exe'
    default:
      return undefined
  }
}

/** The package's pinned version, when its dist/ holds that version and path.txt points into it. */
function installedBinary(electronDir: string, version: string, platformPath: string): string | undefined {
  try {
    if (
      readFileSync(join(electronDir, 'dist', 'version'), 'utf8')
        .trim()
        .replace(/^v/, '') !== version
    )
      return undefined
    if (readFileSync(join(electronDir, 'path.txt'), 'utf8') !== platformPath) return undefined
  } catch {
    return undefined
  }
  const binary = join(electronDir, 'dist', platformPath)
  return existsSync(binary) ? binary : undefined
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string }
  const msg = (e?.message ?? String(err)).split('\n')[0]
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg
}

/** Truthy as npm and the electron package read it: any non-empty value. */
export function skipRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ELECTRON_SKIP_BINARY_DOWNLOAD)
}

export async function fetchElectron(opts: ElectronFetchOptions): Promise<ElectronFetchResult> {
  const platform = opts.platform ?? process.platform
  const platformPath = electronPlatformPath(platform)
  if (!platformPath) return { ok: false, reason: `Electron has no builds for this platform (${platform})` }
  let version: string
  try {
    version = (JSON.parse(readFileSync(join(opts.electronDir, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return { ok: false, reason: `the electron package is not installed (no ${join(opts.electronDir, 'package.json')}); run npm install` }
  }
  const already = installedBinary(opts.electronDir, version, platformPath)
  if (already) return { ok: true, path: already, fetched: false }
  if (skipRequested(opts.env) && !opts.archive) return { ok: false, reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary is not fetched' }

  const req = createRequire(join(opts.electronDir, 'package.json'))
  let get: ElectronGet
  let extract: ExtractZip
  try {
    get = req('@electron/get') as ElectronGet
    extract = req('extract-zip') as ExtractZip
  } catch (err) {
    return { ok: false, reason: `the electron package's downloader is missing (${describe(err)}); run npm install` }
  }
  let checksums = opts.checksums
  if (!checksums) {
    try {
      checksums = JSON.parse(readFileSync(join(opts.electronDir, 'checksums.json'), 'utf8')) as Record<string, string>
    } catch {
      return { ok: false, reason: 'the electron package ships no checksums.json, so a download could not be verified; reinstall it with npm install' }
    }
  }

  const arch = opts.arch ?? process.arch
  const archiveName = `electron-v${version}-${platform}-${arch}.zip`
  let zip: string
  if (opts.archive) {
    const expected = checksums[archiveName]
    if (!expected) return { ok: false, reason: `the electron package lists no checksum for ${archiveName}, so ${opts.archive} cannot be verified` }
    let actual: string
    try {
      actual = createHash('sha256')
        .update(await fsp.readFile(opts.archive))
        .digest('hex')
    } catch (err) {
      return { ok: false, reason: `cannot read ${opts.archive} (${describe(err)})` }
    }
    if (actual !== expected)
      return {
        ok: false,
        reason: `${opts.archive} is not ${archiveName} as the electron package pins it (SHA-256 ${actual}, expected ${expected}); nothing was changed`,
      }
    zip = opts.archive
  } else
    try {
      zip = await get.downloadArtifact({
        version,
        artifactName: 'electron',
        platform,
        arch,
        checksums,
        cacheRoot: opts.env.electron_config_cache || undefined,
        mirrorOptions: { mirror: opts.env.ELECTRON_MIRROR, customDir: opts.env.ELECTRON_CUSTOM_DIR, customFilename: opts.env.ELECTRON_CUSTOM_FILENAME },
        downloadOptions: {
          quiet: true,
          getProgressCallback: async (p) => opts.onProgress?.({ fraction: p.percent, transferred: p.transferred, total: p.total }),
        },
      })
    } catch (err) {
      const text = describe(err)
      if (/checksum/i.test(text)) {
        return {
          ok: false,
          reason: `the downloaded Electron ${version} archive does not match the checksum the electron package ships (${text}); it was discarded`,
        }
      }
      return {
        ok: false,
        reason: `could not download Electron ${version} (${text}); offline, copy ${archiveName} here and run \`npx kubelab app --fetch-electron --archive FILE\``,
      }
    }

  // Extract beside dist/ and swap it in, then write path.txt last: the package's index.js
  // only finds a binary once everything it points at is there.
  const partial = join(opts.electronDir, `dist.partial-${randomBytes(4).toString('hex')}`)
  try {
    await extract(zip, { dir: partial })
    await fsp.rm(join(opts.electronDir, 'dist'), { recursive: true, force: true })
    await fsp.rename(partial, join(opts.electronDir, 'dist'))
    const typeDefs = join(opts.electronDir, 'dist', 'electron.d.ts')
    if (existsSync(typeDefs)) await fsp.rename(typeDefs, join(opts.electronDir, 'electron.d.ts'))
    const tmp = join(opts.electronDir, `path.txt.${process.pid}.tmp`)
    await fsp.writeFile(tmp, platformPath)
    await fsp.rename(tmp, join(opts.electronDir, 'path.txt'))
  } catch (err) {
    await fsp.rm(partial, { recursive: true, force: true }).catch(() => undefined)
    return { ok: false, reason: `could not unpack the Electron archive ${zip} into ${opts.electronDir} (${describe(err)})` }
  }
  const binary = installedBinary(opts.electronDir, version, platformPath)
  if (!binary) return { ok: false, reason: `the Electron ${version} archive did not contain ${platformPath} and a matching dist/version` }
  return { ok: true, path: binary, fetched: true }
}

/** A progress bar as lines (works in a terminal and in a log): one line per 10 %. */
export function progressLines(label: string, emit: (line: string) => void): (p: FetchProgress) => void {
  let shown = -1
  return (p) => {
    const step = Math.floor(p.fraction * 10)
    if (step <= shown) return
    shown = step
    const width = 20
    const filled = Math.round(p.fraction * width)
    const mb = (n: number): string => (n / 1024 / 1024).toFixed(1)
    const size = p.total ? `${mb(p.transferred)}/${mb(p.total)} MB` : `${mb(p.transferred)} MB`
    emit(`${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${size}`)
  }
}
