// The first `npm start` fetches the Electron build the electron package pins. No internet
// here: a local HTTP server stands in for the mirror (ELECTRON_MIRROR), serving a stand-in
// archive in the real release layout, and the electron package is a copy in a temp folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fetchElectron, type FetchProgress } from '../../src-main/cli/electron-fetch'
import { electronPackageDir } from '../../src-main/cli/electron'

const ROOT = join(import.meta.dirname, '..', '..')
const realPackage = electronPackageDir(ROOT)!
const version = (JSON.parse(readFileSync(join(realPackage, 'package.json'), 'utf8')) as { version: string }).version
const archiveName = `electron-v${version}-linux-x64.zip`

/** A zip with what the release archive has at its root: the executable and `version`. */
function makeArchive(dir: string, marker: string): Buffer {
  const src = join(dir, `src-${marker}`)
  mkdirSync(src, { recursive: true })
  writeFileSync(join(src, 'electron'), `#!/bin/sh\necho stand-in electron ${marker}\n`, { mode: 0o755 })
  writeFileSync(join(src, 'version'), version)
  writeFileSync(join(src, 'LICENSE'), 'stand-in')
  const zip = join(dir, `${marker}.zip`)
  execFileSync('python3', [
    '-c',
    'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nfor n in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], n), n)\nz.close()',
    zip,
    src,
  ])
  return readFileSync(zip)
}

/** A copy of the installed electron package (package.json + index.js), as npm leaves it without its postinstall. */
function packageCopy(dir: string): string {
  const pkg = join(dir, 'node_modules', 'electron')
  mkdirSync(pkg, { recursive: true })
  for (const f of ['package.json', 'index.js', 'checksums.json']) copyFileSync(join(realPackage, f), join(pkg, f))
  // The package's own dependencies (its downloader and unzipper), linked as npm would place them.
  const req = createRequire(join(realPackage, 'package.json'))
  for (const dep of ['@electron/get', 'extract-zip']) {
    const home = dirname(req.resolve(`${dep}/package.json`))
    mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true })
    symlinkSync(home, join(dir, 'node_modules', dep))
  }
  return pkg
}

describe('fetching Electron on first start', () => {
  let server: Server
  let mirror: string
  let dir: string
  let good: Buffer
  let tampered: Buffer
  let serve: Buffer
  const requests: string[] = []
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelab-electron-fetch-'))
    good = makeArchive(dir, 'good')
    tampered = makeArchive(dir, 'tampered')
    serve = good
    server = createServer((req, res) => {
      requests.push(req.url ?? '')
      if (req.url !== `/v${version}/${archiveName}`) {
        res.writeHead(404).end()
        return
      }
      // In pieces with a length, so progress has something to report.
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(serve.length) })
      const step = Math.ceil(serve.length / 8)
      for (let i = 0; i < serve.length; i += step) res.write(serve.subarray(i, i + step))
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })

  const env = (cache: string): NodeJS.ProcessEnv => ({ ELECTRON_MIRROR: mirror, electron_config_cache: cache })

  it('fetches once with progress into the layout the electron package reads; a second start does not fetch again', async () => {
    const pkg = packageCopy(join(dir, 'a'))
    const cache = join(dir, 'a-cache')
    const progress: FetchProgress[] = []
    requests.length = 0
    serve = good
    const first = await fetchElectron({
      electronDir: pkg,
      env: env(cache),
      platform: 'linux',
      arch: 'x64',
      checksums: { [archiveName]: sha(good) },
      onProgress: (p) => progress.push(p),
    })
    expect(first).toEqual({ ok: true, path: join(pkg, 'dist', 'electron'), fetched: true })
    expect(requests).toEqual([`/v${version}/${archiveName}`])
    expect(progress.at(-1)?.fraction).toBe(1)
    expect(progress.at(-1)?.total).toBe(good.length)
    // The electron package's own index.js now resolves to the binary, which runs.
    const resolved = createRequire(join(pkg, 'package.json'))(pkg) as string
    expect(resolved).toBe(join(pkg, 'dist', 'electron'))
    expect(execFileSync(resolved, { encoding: 'utf8' })).toBe('stand-in electron good\n')
    expect(readFileSync(join(pkg, 'path.txt'), 'utf8')).toBe('electron')
    expect(readdirSync(pkg).filter((n) => n.startsWith('dist.partial'))).toEqual([])

    const second = await fetchElectron({ electronDir: pkg, env: env(cache), platform: 'linux', arch: 'x64', checksums: { [archiveName]: sha(good) } })
    expect(second).toEqual({ ok: true, path: join(pkg, 'dist', 'electron'), fetched: false })
    expect(requests).toHaveLength(1)

    // Another project on the same machine unpacks from the verified cache, without the network.
    const other = packageCopy(join(dir, 'a2'))
    const third = await fetchElectron({ electronDir: other, env: env(cache), platform: 'linux', arch: 'x64', checksums: { [archiveName]: sha(good) } })
    expect(third.ok).toBe(true)
    expect(requests).toHaveLength(1)
  })

  it('refuses an archive that does not match the checksum and leaves nothing behind', async () => {
    const pkg = packageCopy(join(dir, 'b'))
    const cache = join(dir, 'b-cache')
    serve = tampered
    const r = await fetchElectron({ electronDir: pkg, env: env(cache), platform: 'linux', arch: 'x64', checksums: { [archiveName]: sha(good) } })
    serve = good
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/does not match the checksum the electron package ships.*discarded/)
    expect(existsSync(join(pkg, 'dist'))).toBe(false)
    expect(existsSync(join(pkg, 'path.txt'))).toBe(false)
    // Nothing unverified was cached either.
    const cached = existsSync(cache) ? readdirSync(cache, { recursive: true }).filter((n) => String(n).endsWith('.zip')) : []
    expect(cached).toEqual([])
  })

  it('installs a release zip copied in by hand (offline), verified the same way', async () => {
    const pkg = packageCopy(join(dir, 'e'))
    const goodZip = join(dir, 'good.zip')
    const badZip = join(dir, 'tampered.zip')
    const opts = {
      electronDir: pkg,
      env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      platform: 'linux' as const,
      arch: 'x64',
      checksums: { [archiveName]: sha(good) },
    }
    const refused = await fetchElectron({ ...opts, archive: badZip })
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.reason).toContain(`is not ${archiveName} as the electron package pins it`)
    expect(existsSync(join(pkg, 'dist'))).toBe(false)
    requests.length = 0
    expect(await fetchElectron({ ...opts, archive: goodZip })).toEqual({ ok: true, path: join(pkg, 'dist', 'electron'), fetched: true })
    expect(requests).toEqual([])
  })

  it("checks against the package's own checksums.json by default", async () => {
    const pkg = packageCopy(join(dir, 'c'))
    const r = await fetchElectron({ electronDir: pkg, env: env(join(dir, 'c-cache')), platform: 'linux', arch: 'x64' })
    // The stand-in is not the real release, so the real checksum refuses it.
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/does not match the checksum/)
  })

  it('says why in one line when the mirror refuses the connection, and honours ELECTRON_SKIP_BINARY_DOWNLOAD', async () => {
    const pkg = packageCopy(join(dir, 'd'))
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const r = await fetchElectron({
      electronDir: pkg,
      env: { ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: join(dir, 'd-cache') },
      platform: 'linux',
      arch: 'x64',
    })
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(new RegExp(`^could not download Electron ${version.replace(/\./g, '\\.')} \\(.*ECONNREFUSED`)),
    })
    const skipped = await fetchElectron({ electronDir: pkg, env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, platform: 'linux', arch: 'x64' })
    expect(skipped).toEqual({ ok: false, reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary is not fetched' })
  })

  it('`kubelab app` falls back to browser mode when the fetch fails, saying why in one line', { timeout: 180_000 }, async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const home = mkdtempSync(join(tmpdir(), 'kubelab-electron-home-'))
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      KUBELAB_HOME: home,
      DISPLAY: ':99',
      ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
      electron_config_cache: join(home, 'cache'),
    }
    delete childEnv.ELECTRON_SKIP_BINARY_DOWNLOAD
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'kubelab.mjs'), 'app', '--port', '0'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (c: Buffer) => {
          out += c.toString()
          if (/https?:\/\/127\.0\.0\.1:\d+/.test(out) && /using browser mode/.test(out)) resolve()
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`kubelab app exited (${code}):\n${out}`)))
      })
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(home, { recursive: true, force: true })
    }
    const line = out.split('\n').find((l) => l.startsWith('Not starting the desktop window'))
    expect(line).toMatch(
      new RegExp(`^Not starting the desktop window: could not download Electron ${version.replace(/\./g, '\\.')} \\(.*ECONNREFUSED.*; using browser mode\\.$`),
    )
  })
})
