// The host side of "no internet in the VMs": the Linux Node.js runtime comes from
// KUBELAB_NODE_RUNTIME, the cache, or a download from a folder in nodejs.org's dist layout,
// checked against its SHASUMS256.txt. nodejs.org is unreachable here, so a local HTTP server
// serves such a folder (KUBELAB_NODE_DIST points at it).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureNodeRuntime, nodeArchOf, parseRuntimeName, runtimeCacheDir, runtimeInstallScript } from '../../src-main/ssh-provisioning/node-runtime'

let dir: string
let server: Server
let base: string
const site = () => join(dir, 'site')
const hits: string[] = []

/** Release tarballs in nodejs.org's layout (.tar.xz and .tar.gz) whose bin/node prints its version. */
function tarball(version: string, arch: string): { xz: string; gz: string } {
  const name = `node-${version}-linux-${arch}`
  const pkg = join(dir, 'pkg', name, 'bin')
  mkdirSync(pkg, { recursive: true })
  writeFileSync(join(pkg, 'node'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 })
  execFileSync('tar', ['-cJf', join(site(), `${name}.tar.xz`), '-C', join(dir, 'pkg'), name])
  execFileSync('tar', ['-czf', join(site(), `${name}.tar.gz`), '-C', join(dir, 'pkg'), name])
  return { xz: `${name}.tar.xz`, gz: `${name}.tar.gz` }
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex')

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kl-node-runtime-'))
  mkdirSync(site())
  const x64 = tarball('v22.99.1', 'x64')
  const arm = tarball('v22.99.1', 'arm64')
  // arm64 offers only the .tar.xz; x64 both (the .tar.gz listed after the .tar.xz, and preferred).
  writeFileSync(
    join(site(), 'SHASUMS256.txt'),
    [
      `${'0'.repeat(64)}  node-v22.99.1-darwin-arm64.tar.gz`,
      `${sha(join(site(), arm.xz))}  ${arm.xz}`,
      `${sha(join(site(), x64.xz))}  ${x64.xz}`,
      `${sha(join(site(), x64.gz))}  ${x64.gz}`,
      '',
    ].join('\n'),
  )
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    const f = join(site(), (req.url ?? '').replace(/^\/dist\//, ''))
    if (!req.url?.startsWith('/dist/') || !existsSync(f)) {
      res.writeHead(404).end()
      return
    }
    const data = readFileSync(f)
    res.writeHead(200, { 'content-length': data.length }).end(data)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dist`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

describe('Node.js runtime for VMs', () => {
  it('downloads the tarball for the architecture once, checked, then serves it from the cache', async () => {
    const home = join(dir, 'home1')
    const lines: string[] = []
    const env = { KUBELAB_NODE_DIST: base }
    const rt = await ensureNodeRuntime({ home, arch: 'x64', env, progress: (l) => lines.push(l) })
    // The .tar.gz: it unpacks much faster inside an emulated VM.
    expect(rt).toMatchObject({
      version: 'v22.99.1',
      arch: 'x64',
      source: 'download',
      compression: 'gz',
      file: join(runtimeCacheDir(home), 'node-v22.99.1-linux-x64.tar.gz'),
    })
    expect(sha(rt.file)).toBe(sha(join(site(), 'node-v22.99.1-linux-x64.tar.gz')))
    expect(lines.join('\n')).toMatch(/downloading .*node-v22\.99\.1-linux-x64\.tar\.gz/)
    expect(lines.join('\n')).toContain('checksum OK')
    const before = hits.length
    const again = await ensureNodeRuntime({ home, arch: 'x64', env })
    expect(again).toMatchObject({ file: rt.file, source: 'cache' })
    expect(hits.length).toBe(before) // no request at all
    const arm = await ensureNodeRuntime({ home, arch: 'arm64', env })
    expect(arm).toMatchObject({ version: 'v22.99.1', arch: 'arm64', source: 'download', compression: 'xz' })
  })

  it('refuses a tampered tarball and caches nothing', async () => {
    const home = join(dir, 'home2')
    const f = join(site(), 'node-v22.99.1-linux-x64.tar.gz')
    const good = readFileSync(f)
    writeFileSync(f, Buffer.concat([good, Buffer.from('tampered')]))
    try {
      await expect(ensureNodeRuntime({ home, arch: 'x64', env: { KUBELAB_NODE_DIST: base } })).rejects.toThrow(/does not match its SHA-256 .*refusing it/)
      expect(existsSync(runtimeCacheDir(home)) ? readdirSync(runtimeCacheDir(home)) : []).toEqual([])
    } finally {
      writeFileSync(f, good)
    }
  })

  it('says what to do when the download site is unreachable or lists no tarball', async () => {
    await expect(ensureNodeRuntime({ home: join(dir, 'home3'), arch: 'x64', env: { KUBELAB_NODE_DIST: 'http://127.0.0.1:1/dist' } })).rejects.toThrow(
      /could not download .*KUBELAB_NODE_RUNTIME/,
    )
    await expect(ensureNodeRuntime({ home: join(dir, 'home3'), arch: 'x64', env: { KUBELAB_NODE_DIST: `${base}/nothing-here` } })).rejects.toThrow(/HTTP 404/)
  })

  it('takes KUBELAB_NODE_RUNTIME as given, and refuses a wrong name, architecture or old version', async () => {
    const f = join(site(), 'node-v22.99.1-linux-x64.tar.xz')
    expect(await ensureNodeRuntime({ home: join(dir, 'home4'), arch: 'x64', env: { KUBELAB_NODE_RUNTIME: f } })).toEqual({
      file: f,
      version: 'v22.99.1',
      arch: 'x64',
      source: 'env',
      compression: 'xz',
    })
    await expect(ensureNodeRuntime({ home: dir, arch: 'arm64', env: { KUBELAB_NODE_RUNTIME: f } })).rejects.toThrow(
      /is for linux-x64, but the VM is linux-arm64/,
    )
    await expect(ensureNodeRuntime({ home: dir, arch: 'x64', env: { KUBELAB_NODE_RUNTIME: join(dir, 'node.tar.xz') } })).rejects.toThrow(
      /must be nodejs.org's node-vX.Y.Z-linux-x64.tar.gz \(or .tar.xz\)/,
    )
    await expect(ensureNodeRuntime({ home: dir, arch: 'x64', env: { KUBELAB_NODE_RUNTIME: join(dir, 'node-v18.20.0-linux-x64.tar.xz') } })).rejects.toThrow(
      /need 20 or newer/,
    )
    await expect(ensureNodeRuntime({ home: dir, arch: 'x64', env: { KUBELAB_NODE_RUNTIME: join(dir, 'node-v22.1.0-linux-x64.tar.xz') } })).rejects.toThrow(
      /does not exist/,
    )
  })

  it('maps guest machines to nodejs.org architectures and parses tarball names', () => {
    expect(nodeArchOf('x86_64\n')).toBe('x64')
    expect(nodeArchOf('aarch64')).toBe('arm64')
    expect(() => nodeArchOf('riscv64')).toThrow(/no Node.js runtime for a riscv64 guest/)
    expect(parseRuntimeName('node-v22.12.0-linux-arm64.tar.xz')).toEqual({ version: 'v22.12.0', major: 22, arch: 'arm64', compression: 'xz' })
    expect(parseRuntimeName('node-v22.12.0-linux-x64.tar.gz')).toEqual({ version: 'v22.12.0', major: 22, arch: 'x64', compression: 'gz' })
    expect(parseRuntimeName('node-v22.12.0-darwin-x64.tar.gz')).toBeUndefined()
  })

  it('installs an uploaded tarball on a node once (the node-side script, run with sh)', () => {
    const root = join(dir, 'noderoot')
    const dest = join(root, 'var/lib/kubelab/node-runtime/v22.99.1')
    const up = join(dir, 'up.tar.xz')
    const run = () => {
      writeFileSync(up, readFileSync(join(site(), 'node-v22.99.1-linux-x64.tar.xz')))
      return execFileSync('sh', ['-c', runtimeInstallScript(up, dest, 'v22.99.1')], { encoding: 'utf8' })
    }
    expect(run()).toContain(`Node.js v22.99.1 installed in ${dest}`)
    expect(execFileSync(join(dest, 'bin/node'), { encoding: 'utf8' }).trim()).toBe('v22.99.1')
    expect(existsSync(up)).toBe(false)
    expect(run()).toContain('already installed')
    // The .tar.gz the downloads take unpacks the same way.
    const gzDest = join(root, 'var/lib/kubelab/node-runtime/gz')
    writeFileSync(up, readFileSync(join(site(), 'node-v22.99.1-linux-x64.tar.gz')))
    execFileSync('sh', ['-c', runtimeInstallScript(up, gzDest, 'v22.99.1', 'gz')], { encoding: 'utf8' })
    expect(execFileSync(join(gzDest, 'bin/node'), { encoding: 'utf8' }).trim()).toBe('v22.99.1')
  })
})
