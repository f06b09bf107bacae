// The cloud-init script that gives a VM Node.js ≥ 20, run for real with sh against a local
// stand-in for nodejs.org (a fake curl serving files from a folder, as the offline test bed
// cannot reach the site), a fake dpkg, and Ubuntu's too-old node 18 first on PATH.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NODE_RUNTIME_SCRIPT, renderUserData } from '../../src-main/providers/cloud-init/user-data'
import { parse } from 'yaml'

let dir: string

function setup(o: { corrupt?: boolean; arch?: string } = {}): { env: NodeJS.ProcessEnv; prefix: string } {
  dir = mkdtempSync(join(tmpdir(), 'kl-noderuntime-'))
  const site = join(dir, 'site')
  const bin = join(dir, 'bin')
  const prefix = join(dir, 'usr-local')
  for (const d of [site, bin, prefix, join(dir, 'pkg', 'node-v22.99.1-linux-x64', 'bin')]) mkdirSync(d, { recursive: true })
  // The release tarball: node-vX-linux-x64/bin/node, as nodejs.org lays it out.
  writeFileSync(join(dir, 'pkg', 'node-v22.99.1-linux-x64', 'bin', 'node'), '#!/bin/sh\necho v22.99.1\n', { mode: 0o755 })
  const tar = 'node-v22.99.1-linux-x64.tar.xz'
  execFileSync('tar', ['-cJf', join(site, tar), '-C', join(dir, 'pkg'), 'node-v22.99.1-linux-x64'])
  const sum = createHash('sha256').update(readFileSync(join(site, tar))).digest('hex')
  writeFileSync(join(site, 'SHASUMS256.txt'), `${'0'.repeat(64)}  node-v22.99.1-darwin-arm64.tar.gz\n${o.corrupt ? 'f'.repeat(64) : sum}  ${tar}\n${'1'.repeat(64)}  node-v22.99.1-linux-x64.tar.gz\n`)
  // curl -fsSL --retry N URL -o FILE → copy from the site folder by the URL's last segment.
  writeFileSync(join(bin, 'curl'), `#!/bin/sh\nurl=""; out=""\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;; --retry) shift;; -*) ;; *) url="$1";; esac; shift; done\ncase "$url" in https://nodejs.org/dist/latest-v22.x/*) ;; *) echo "unexpected URL $url" >&2; exit 22;; esac\ncp "${site}/\${url##*/}" "$out"\n`)
  writeFileSync(join(bin, 'dpkg'), `#!/bin/sh\necho ${o.arch ?? 'amd64'}\n`)
  writeFileSync(join(bin, 'node'), '#!/bin/sh\necho 18\n') // Ubuntu 24.04's nodejs
  for (const f of ['curl', 'dpkg', 'node']) chmodSync(join(bin, f), 0o755)
  return { env: { PATH: `${bin}:/usr/bin:/bin`, KUBELAB_NODE_PREFIX: prefix }, prefix }
}

afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('Node.js runtime for VM nodes', () => {
  it('replaces a too-old node with the checked 22.x release for the VM architecture', () => {
    const { env, prefix } = setup()
    const r = spawnSync('sh', ['-c', NODE_RUNTIME_SCRIPT], { env, encoding: 'utf8' })
    expect(r.stderr + r.stdout).toContain('node-v22.99.1-linux-x64.tar.xz: OK')
    expect(r.status).toBe(0)
    expect(execFileSync(join(prefix, 'bin', 'node'), { encoding: 'utf8' }).trim()).toBe('v22.99.1')
  })

  it('refuses a tarball whose checksum does not match, installing nothing', () => {
    const { env, prefix } = setup({ corrupt: true })
    const r = spawnSync('sh', ['-c', NODE_RUNTIME_SCRIPT], { env, encoding: 'utf8' })
    expect(r.status).not.toBe(0)
    expect(existsSync(join(prefix, 'bin', 'node'))).toBe(false)
  })

  it('says so on an architecture without a build', () => {
    const { env } = setup({ arch: 'riscv64' })
    const r = spawnSync('sh', ['-c', NODE_RUNTIME_SCRIPT], { env, encoding: 'utf8' })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('no Node.js build for riscv64')
  })

  it('runs from user-data before containerd is enabled', () => {
    const doc = parse(renderUserData({ hostname: 'n1', clusterName: 'c', authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx5oQn6ZbZ0oYkq0H3K0zq7kq4N0gYf3m4b2f3m4b2f kubelab'] })) as { runcmd: string[][] }
    expect(doc.runcmd.map((c) => c[0])).toEqual(['sh', 'systemctl'])
    expect(doc.runcmd[0]![2]).toBe(NODE_RUNTIME_SCRIPT)
  })
})
