// cloud-init documents and the NoCloud seed ISO. The ISO is read back by a reader written here
// from the ISO9660/Joliet layout, and by blkid/isoinfo when the host has them.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildIso, primaryName } from '../../src-main/providers/cloud-init/iso9660'
import { colonMac, renderNetworkConfig } from '../../src-main/providers/cloud-init/network-config'
import { buildSeedIso } from '../../src-main/providers/cloud-init/seed'
import { ENSURE_PACKAGES_NAME, NODE_PACKAGES, renderMetaData, renderUserData } from '../../src-main/providers/cloud-init/user-data'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb0kubelabtestkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA kubelab-demo'

/** Reads the root directory of the primary (type 1) or Joliet (type 2) volume. */
function readIso(iso: Buffer, type: 1 | 2): { label: string; files: Record<string, string> } {
  let sector = 16
  while (iso[sector * 2048] !== type) {
    if (iso[sector * 2048] === 255) throw new Error(`no volume descriptor of type ${type}`)
    sector++
  }
  const d = iso.subarray(sector * 2048, sector * 2048 + 2048)
  expect(d.subarray(1, 6).toString('latin1')).toBe('CD001')
  const decode = (b: Buffer) => (type === 2 ? Buffer.from(b).swap16().toString('utf16le') : b.toString('latin1'))
  const label = decode(d.subarray(40, 72)).trim()
  const rootExtent = d.readUInt32LE(156 + 2)
  const rootSize = d.readUInt32LE(156 + 10)
  expect(d.readUInt32BE(156 + 6)).toBe(rootExtent) // both-endian fields agree
  expect(d.readUInt32LE(80) * 2048).toBe(iso.length)
  const files: Record<string, string> = {}
  let off = rootExtent * 2048
  const end = off + rootSize
  while (off < end && iso[off]! > 0) {
    const len = iso[off]!
    const idLen = iso[off + 32]!
    const id = iso.subarray(off + 33, off + 33 + idLen)
    if (!(idLen === 1 && id[0]! <= 1)) {
      const extent = iso.readUInt32LE(off + 2)
      const size = iso.readUInt32LE(off + 10)
      files[decode(id)] = iso.subarray(extent * 2048, extent * 2048 + size).toString('utf8')
    }
    off += len
  }
  return { label, files }
}

describe('user-data', () => {
  it('adds a kubelab user with the key next to the default user, and installs node packages', () => {
    const text = renderUserData({ clusterName: 'demo', hostname: 'w1', authorizedKeys: [KEY] })
    expect(text.startsWith('#cloud-config\n')).toBe(true)
    const doc = parse(text) as Record<string, unknown>
    const users = doc.users as (string | Record<string, unknown>)[]
    expect(users[0]).toBe('default')
    expect(users[1]).toMatchObject({ name: 'kubelab', sudo: 'ALL=(ALL) NOPASSWD:ALL', ssh_authorized_keys: [KEY], lock_passwd: true })
    // Provisioning logs in as root (it installs services without sudo): root gets the key too.
    expect(users[2]).toEqual({ name: 'root', ssh_authorized_keys: [KEY] })
    // Multipass's own key and user stay untouched: no top-level keys, no default-user rename.
    expect(doc.ssh_authorized_keys).toBeUndefined()
    expect(doc.system_info).toBeUndefined()
    // Packages the image lacks, through our own step (no apt-get update when all are there);
    // no Node.js download in the guest: provisioning uploads the host's runtime.
    expect(doc.packages).toBeUndefined()
    const runcmd = doc.runcmd as string[][]
    expect(runcmd[0]!.slice(0, 2)).toEqual(['sh', '-c'])
    expect(runcmd[0]!.slice(3)).toEqual([ENSURE_PACKAGES_NAME, ...NODE_PACKAGES])
    expect(runcmd[0]!.slice(4)).toEqual(expect.arrayContaining(['containerd', 'runc', 'containernetworking-plugins', 'xz-utils']))
    expect(runcmd[1]).toEqual(['systemctl', 'enable', '--now', 'containerd'])
    expect(text).not.toContain('nodejs.org')
    expect(text).toContain(KEY) // one line, never folded
  })
  it('can skip installs and pin a static NIC by MAC with a netplan file', () => {
    const doc = parse(
      renderUserData({
        clusterName: 'demo',
        hostname: 'cp',
        authorizedKeys: [KEY],
        installPackages: false,
        staticNic: { mac: '52:54:00:4B:AB:11', name: 'lab0', address: '10.13.31.11/24' },
      }),
    ) as Record<string, unknown>
    expect(doc.packages).toBeUndefined()
    expect(doc.package_update).toBeUndefined()
    const wf = (doc.write_files as { path: string; permissions: string; content: string }[])[0]!
    expect(wf).toMatchObject({ path: '/etc/netplan/60-kubelab.yaml', permissions: '0600' })
    expect(parse(wf.content)).toEqual({
      network: {
        version: 2,
        ethernets: { lab0: { match: { macaddress: '52:54:00:4b:ab:11' }, 'set-name': 'lab0', dhcp4: false, addresses: ['10.13.31.11/24'] } },
      },
    })
    expect(doc.runcmd).toEqual([['netplan', 'apply']])
  })
  it('rejects a malformed key and no key at all', () => {
    expect(() => renderUserData({ clusterName: 'd', hostname: 'h', authorizedKeys: [] })).toThrow(/at least one SSH key/)
    expect(() => renderUserData({ clusterName: 'd', hostname: 'h', authorizedKeys: ['ssh-ed25519 AAAA\nrunmc: evil'] })).toThrow(/not an OpenSSH public key/)
  })
})

describe('network-config', () => {
  it('NAT on DHCP and lab0 static, matched by MAC', () => {
    expect(colonMac('080027AA0001')).toBe('08:00:27:aa:00:01')
    expect(parse(renderNetworkConfig({ natMac: '080027AA0001', hostOnlyMac: '080027AA0011', address: '192.168.56.11/24' }))).toEqual({
      version: 2,
      ethernets: {
        nat0: { match: { macaddress: '08:00:27:aa:00:01' }, 'set-name': 'nat0', dhcp4: true },
        lab0: { match: { macaddress: '08:00:27:aa:00:11' }, 'set-name': 'lab0', dhcp4: false, addresses: ['192.168.56.11/24'] },
      },
    })
    expect(() => renderNetworkConfig({ natMac: '0800', hostOnlyMac: '080027AA0011', address: '192.168.56.11/24' })).toThrow(/12 hex digits/)
  })
})

describe('seed ISO', () => {
  const date = new Date('2025-01-15T10:00:00Z')
  it('holds the files under their Joliet names and level-2 primary names, labelled cidata', () => {
    const big = 'x'.repeat(5000)
    const iso = buildIso(
      [
        { name: 'user-data', data: big },
        { name: 'meta-data', data: 'instance-id: a\n' },
      ],
      { volumeId: 'cidata', date },
    )
    expect(iso.length % 2048).toBe(0)
    const joliet = readIso(iso, 2)
    expect(joliet.label).toBe('cidata')
    expect(joliet.files).toEqual({ 'meta-data': 'instance-id: a\n', 'user-data': big })
    const primary = readIso(iso, 1)
    expect(primary.label).toBe('cidata')
    expect(Object.keys(primary.files)).toEqual(['META-DATA.;1', 'USER-DATA.;1'])
    expect(primaryName('network-config')).toBe('NETWORK-CONFIG.;1')
    // Same input, same bytes: images are reproducible.
    expect(
      buildIso([{ name: 'meta-data', data: 'instance-id: a\n' }], { volumeId: 'cidata', date }).equals(
        buildIso([{ name: 'meta-data', data: 'instance-id: a\n' }], { volumeId: 'cidata', date }),
      ),
    ).toBe(true)
  })
  it('rejects bad names and labels', () => {
    expect(() => buildIso([{ name: 'a/b', data: '' }], { volumeId: 'cidata' })).toThrow(/ISO file name/)
    expect(() => buildIso([], { volumeId: 'a label that is far too long' })).toThrow(/volume label/)
    expect(() =>
      buildIso(
        [
          { name: 'x', data: '' },
          { name: 'X', data: '' },
        ],
        { volumeId: 'cidata' },
      ),
    ).toThrow(/given twice/)
  })
  it('a NoCloud seed carries user-data, meta-data with a fresh instance-id, and network-config', () => {
    const a = buildSeedIso({ userData: '#cloud-config\n{}\n', hostname: 'w1', instanceIdPrefix: 'kubelab-demo-w1', networkConfig: 'version: 2\n', date })
    const b = buildSeedIso({ userData: '#cloud-config\n{}\n', hostname: 'w1', instanceIdPrefix: 'kubelab-demo-w1', date })
    expect(a.instanceId).not.toBe(b.instanceId)
    const files = readIso(a.iso, 2).files
    expect(Object.keys(files).sort()).toEqual(['meta-data', 'network-config', 'user-data'])
    expect(parse(files['meta-data']!)).toEqual({ 'instance-id': a.instanceId, 'local-hostname': 'w1' })
    expect(renderMetaData('i-1', 'h')).toBe('instance-id: i-1\nlocal-hostname: h\n')
  })
  const blkid = existsSync('/usr/sbin/blkid') || existsSync('/sbin/blkid')
  it.skipIf(!blkid)('blkid sees an iso9660 volume labelled cidata (what cloud-init looks for)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kl-iso-'))
    try {
      const f = join(dir, 'seed.iso')
      writeFileSync(f, buildSeedIso({ userData: '#cloud-config\n{}\n', hostname: 'w1', instanceIdPrefix: 'x', date }).iso)
      const out = execFileSync(existsSync('/usr/sbin/blkid') ? '/usr/sbin/blkid' : '/sbin/blkid', ['-o', 'export', f], { encoding: 'utf8' })
      expect(out).toContain('LABEL=cidata')
      expect(out).toContain('TYPE=iso9660')
      if (existsSync('/usr/bin/isoinfo')) {
        expect(execFileSync('/usr/bin/isoinfo', ['-J', '-f', '-i', f], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(['/meta-data', '/user-data'])
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
