// The user-data's package step, run for real with sh against a fake dpkg-query (what the image
// has) and a fake apt-get that records its calls: nothing is fetched when the image already has
// every package, and only the missing ones are installed otherwise.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ENSURE_PACKAGES_NAME, ENSURE_PACKAGES_SCRIPT, NODE_PACKAGES, renderUserData } from '../../src-main/providers/cloud-init/user-data'

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function run(installed: readonly string[], aptFails = false): { status: number | null; out: string; apt: string[] } {
  dir = mkdtempSync(join(tmpdir(), 'kl-pkgs-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  // dpkg-query -W -f='${Status}' PKG → "install ok installed" for the image's packages.
  writeFileSync(
    join(bin, 'dpkg-query'),
    `#!/bin/sh\nfor a; do p="$a"; done\ncase " ${installed.join(' ')} " in *" $p "*) printf 'install ok installed';; *) echo "dpkg-query: no packages found matching $p" >&2; exit 1;; esac\n`,
  )
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$*" >> ${dir}/apt.log\n${aptFails ? 'exit 100' : 'exit 0'}\n`)
  for (const f of ['dpkg-query', 'apt-get']) chmodSync(join(bin, f), 0o755)
  const doc = parse(
    renderUserData({
      hostname: 'n1',
      clusterName: 'c',
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx5oQn6ZbZ0oYkq0H3K0zq7kq4N0gYf3m4b2f3m4b2f kubelab'],
    }),
  ) as { runcmd: string[][] }
  const [sh, c, script, ...args] = doc.runcmd[0]!
  expect([sh, c, script, args[0]]).toEqual(['sh', '-c', ENSURE_PACKAGES_SCRIPT, ENSURE_PACKAGES_NAME])
  const r = spawnSync(sh!, [c!, script!, ...args], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' })
  const log = join(dir, 'apt.log')
  return { status: r.status, out: r.stdout + r.stderr, apt: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] }
}

describe('user-data package step', () => {
  it('touches no network when the image has every package', () => {
    const r = run(NODE_PACKAGES)
    expect(r.status).toBe(0)
    expect(r.apt).toEqual([])
    expect(r.out).toContain('packages already installed')
  })

  it('installs only what the image lacks', () => {
    const r = run(NODE_PACKAGES.filter((p) => p !== 'containerd' && p !== 'socat'))
    expect(r.status).toBe(0)
    expect(r.apt).toEqual(['update -q', 'install -y -q containerd socat'])
  })

  it('fails (cloud-init reports the error) when apt cannot install', () => {
    const r = run([], true)
    expect(r.status).not.toBe(0)
    expect(r.apt).toEqual(['update -q'])
  })
})
