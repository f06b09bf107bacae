// kubectl for VM nodes, got on the host: from KUBELAB_KUBECTL (checked to be a Linux binary
// for the guest's architecture), the cache, or a download in dl.k8s.io's layout checked against
// its published .sha256. dl.k8s.io is unreachable here: a local HTTP server plays it.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureNodeKubectl, kubectlInstallScript, NODE_KUBECTL_VERSION } from '../../src-main/ssh-provisioning/node-kubectl'

let dir: string
let server: Server
let base: string
const hits: string[] = []
const files = new Map<string, Buffer>()

/** An x86-64 ELF binary (the host's own `true`) stands in for kubectl; an arm64 one is faked by header. */
const x64Binary = (): Buffer => readFileSync('/usr/bin/true')
const arm64Binary = (): Buffer => {
  const b = Buffer.from(x64Binary())
  b.writeUInt16LE(0xb7, 18)
  return b
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kl-node-kubectl-'))
  const amd = x64Binary()
  const arm = arm64Binary()
  files.set(`/release/${NODE_KUBECTL_VERSION}/bin/linux/amd64/kubectl`, amd)
  files.set(`/release/${NODE_KUBECTL_VERSION}/bin/linux/amd64/kubectl.sha256`, Buffer.from(createHash('sha256').update(amd).digest('hex')))
  files.set(`/release/${NODE_KUBECTL_VERSION}/bin/linux/arm64/kubectl`, arm)
  // A wrong checksum: the download must be refused.
  files.set(`/release/${NODE_KUBECTL_VERSION}/bin/linux/arm64/kubectl.sha256`, Buffer.from('0'.repeat(64)))
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    const f = files.get(req.url ?? '')
    if (!f) res.writeHead(404).end()
    else res.writeHead(200, { 'content-length': f.length }).end(f)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/release`
})
afterAll(async () => {
  if (server) await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

describe('kubectl for VM nodes', () => {
  it('downloads the binary once, checked against its .sha256, then serves it compressed from the cache', async () => {
    const home = join(dir, 'home1')
    const lines: string[] = []
    const k = await ensureNodeKubectl({ home, arch: 'x64', env: { KUBELAB_KUBECTL_BASE: base }, progress: (l) => lines.push(l) })
    expect(k.source).toBe('download')
    expect(gunzipSync(readFileSync(k.gz)).equals(x64Binary())).toBe(true)
    expect(lines.join('\n')).toMatch(/checksum OK/)
    const before = hits.length
    const again = await ensureNodeKubectl({ home, arch: 'x64', env: { KUBELAB_KUBECTL_BASE: base } })
    expect(again.source).toBe('cache')
    expect(again.gz).toBe(k.gz)
    expect(hits.length).toBe(before)
  })

  it('refuses a download whose checksum does not match, and caches nothing', async () => {
    const home = join(dir, 'home2')
    await expect(ensureNodeKubectl({ home, arch: 'arm64', env: { KUBELAB_KUBECTL_BASE: base } })).rejects.toThrow(
      /does not match its published SHA-256.*KUBELAB_KUBECTL/,
    )
    expect(existsSync(join(home, 'runtimes', 'kubectl', 'linux-arm64', `kubectl-${NODE_KUBECTL_VERSION}`))).toBe(false)
  })

  it('says what to do when the host is offline', async () => {
    await expect(ensureNodeKubectl({ home: join(dir, 'home3'), arch: 'x64', env: { KUBELAB_KUBECTL_BASE: 'http://127.0.0.1:1/release' } })).rejects.toThrow(
      /could not download .*set KUBELAB_KUBECTL/,
    )
  })

  it('takes KUBELAB_KUBECTL only when it is a Linux binary for the guest architecture', async () => {
    const home = join(dir, 'home4')
    const bin = join(dir, 'kubectl')
    writeFileSync(bin, x64Binary(), { mode: 0o755 })
    const k = await ensureNodeKubectl({ home, arch: 'x64', env: { KUBELAB_KUBECTL: bin } })
    expect(k.source).toBe('env')
    expect(gunzipSync(readFileSync(k.gz)).equals(x64Binary())).toBe(true)
    await expect(ensureNodeKubectl({ home, arch: 'arm64', env: { KUBELAB_KUBECTL: bin } })).rejects.toThrow(/not a Linux arm64 kubectl/)
    const script = join(dir, 'wrapper')
    writeFileSync(script, '#!/bin/sh\nexec kubectl "$@"\n', { mode: 0o755 })
    await expect(ensureNodeKubectl({ home, arch: 'x64', env: { KUBELAB_KUBECTL: script } })).rejects.toThrow(/not a Linux amd64 kubectl/)
    await expect(ensureNodeKubectl({ home, arch: 'x64', env: { KUBELAB_KUBECTL: join(dir, 'missing') } })).rejects.toThrow(/does not exist/)
  })

  it('installs the uploaded binary whole (temp + rename) and removes the upload', () => {
    const root = join(dir, 'node')
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true })
    const gz = join(dir, 'kubectl.gz')
    copyFileSync(join(dir, 'home1', 'runtimes', 'kubectl', 'linux-x64', `kubectl-${NODE_KUBECTL_VERSION}`), join(dir, 'plain'))
    execFileSync('sh', ['-c', `gzip -c '${join(dir, 'plain')}' > '${gz}'`])
    execFileSync('sh', ['-c', kubectlInstallScript(gz, join(root, 'usr/local/bin'))])
    expect(readFileSync(join(root, 'usr/local/bin/kubectl')).equals(x64Binary())).toBe(true)
    expect(existsSync(gz)).toBe(false)
  })
})
