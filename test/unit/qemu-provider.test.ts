// The qemu provider's pieces that need no guest: network plan, the QEMU command line, the
// accelerator decision, and the image cache (download with checksum from a local HTTP server,
// read back with the real qemu-img).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { renderNetworkConfig } from '../../src-main/providers/cloud-init/network-config'
import { chooseAccelerator, parseAccelHelp, type AccelFacts } from '../../src-main/providers/qemu/accel'
import { buildQemuArgs, optValue, type QemuSpec } from '../../src-main/providers/qemu/args'
import { parseQemuVersion } from '../../src-main/providers/qemu/binary'
import { createOverlay, ensureBaseImage, imageInfo, progressBar, sumFor } from '../../src-main/providers/qemu/image'
import { accelCheck, imageCheck } from '../../src-main/providers/qemu/preflight'
import { newClusterNet, planNodeNet, qemuVmName } from '../../src-main/providers/qemu/plan'
import { consoleMentionsCloudInit, consoleTail, qmpSocketPath } from '../../src-main/providers/qemu/provider'

describe('qemu network plan', () => {
  it('gives each cluster its own multicast bus and each node stable, distinct MACs and addresses', () => {
    const a = newClusterNet()
    const b = newClusterNet()
    for (const n of [a, b]) {
      expect(n.mcastGroup).toMatch(/^239\.255\.\d{1,3}\.\d{1,3}$/)
      expect(n.mcastPort).toBeGreaterThanOrEqual(20_000)
      expect(n.mcastPort).toBeLessThan(60_000)
    }
    expect(`${a.mcastGroup}:${a.mcastPort}`).not.toBe(`${b.mcastGroup}:${b.mcastPort}`)
    const nodes = [0, 1, 2].map((i) => planNodeNet('demo', a, i))
    expect(nodes.map((n) => n.address)).toEqual(['10.113.0.10', '10.113.0.11', '10.113.0.12'])
    const macs = nodes.flatMap((n) => [n.natMac, n.labMac])
    expect(new Set(macs).size).toBe(6)
    for (const m of macs) expect(m).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/)
    expect(planNodeNet('demo', a, 1)).toEqual(nodes[1])
    expect(planNodeNet('other', a, 1).natMac).not.toBe(nodes[1]!.natMac)
    expect(() => planNodeNet('demo', a, 241)).toThrow(/at most 241/)
    expect(() => newClusterNet('10.113')).toThrow(/three octets/)
    expect(qemuVmName('My Lab', 'node-1')).toBe('kl-my-lab-node-1')
  })

  it('network-config pins lab0 by MAC and leaves nat0 on DHCP', () => {
    const n = planNodeNet('demo', newClusterNet(), 0)
    const doc = parse(renderNetworkConfig({ natMac: n.natMac, hostOnlyMac: n.labMac, address: `${n.address}/24` }))
    expect(doc.ethernets.nat0).toMatchObject({ match: { macaddress: n.natMac }, dhcp4: true })
    expect(doc.ethernets.lab0).toMatchObject({ match: { macaddress: n.labMac }, addresses: ['10.113.0.10/24'], dhcp4: false })
    expect(doc.ethernets.lab0.gateway4).toBeUndefined()
  })
})

const spec = (o: Partial<QemuSpec> = {}): QemuSpec => ({
  arch: 'x86_64',
  accel: 'tcg',
  name: 'kl-demo-control-plane',
  cpus: 2,
  memoryMiB: 2048,
  disk: '/h/c/nodes/cp/disk.qcow2',
  seed: '/h/c/nodes/cp/seed.iso',
  consoleLog: '/h/c/nodes/cp/console.log',
  qmpSocket: '/h/c/nodes/cp/qmp.sock',
  pidFile: '/h/c/nodes/cp/qemu.pid',
  natMac: '52:54:00:aa:10:00',
  labMac: '52:54:00:aa:20:00',
  mcastGroup: '239.255.3.4',
  mcastPort: 31000,
  forwards: [
    { hostPort: 40022, guestPort: 22 },
    { hostPort: 46443, guestPort: 6443 },
  ],
  ...o,
})

const after = (args: string[], flag: string): string[] => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []))

describe('qemu command line', () => {
  it('forwards only on 127.0.0.1 and keeps the private bus on the loopback', () => {
    const args = buildQemuArgs(spec())
    const netdevs = after(args, '-netdev')
    expect(netdevs[0]).toBe('user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:46443-:6443')
    expect(netdevs[1]).toBe('socket,id=lab0,mcast=239.255.3.4:31000,localaddr=127.0.0.1')
    expect(after(args, '-device')).toEqual([
      'virtio-net-pci,netdev=net0,mac=52:54:00:aa:10:00',
      'virtio-net-pci,netdev=lab0,mac=52:54:00:aa:20:00',
      'virtio-rng-pci',
    ])
    for (const fwd of netdevs[0]!.split(',').filter((p) => p.startsWith('hostfwd'))) expect(fwd).toMatch(/^hostfwd=tcp:127\.0\.0\.1:\d+-:\d+$/)
    expect(args).toContain('-daemonize')
    expect(after(args, '-pidfile')).toEqual(['/h/c/nodes/cp/qemu.pid'])
    expect(after(args, '-qmp')).toEqual(['unix:/h/c/nodes/cp/qmp.sock,server=on,wait=off'])
    expect(after(args, '-serial')).toEqual(['file:/h/c/nodes/cp/console.log'])
    expect(after(args, '-drive')).toEqual([
      'if=virtio,file=/h/c/nodes/cp/disk.qcow2,format=qcow2,discard=unmap',
      'file=/h/c/nodes/cp/seed.iso,media=cdrom,readonly=on',
    ])
    expect(after(args, '-smp')).toEqual(['2'])
    expect(after(args, '-m')).toEqual(['2048'])
  })

  it('uses the accelerator chosen: host CPU under KVM, max with multi-threaded TCG', () => {
    const tcg = buildQemuArgs(spec())
    expect(after(tcg, '-accel')).toEqual(['tcg,thread=multi,tb-size=256'])
    expect(after(tcg, '-cpu')).toEqual(['max'])
    const kvm = buildQemuArgs(spec({ accel: 'kvm' }))
    expect(after(kvm, '-accel')).toEqual(['kvm'])
    expect(after(kvm, '-cpu')).toEqual(['host'])
    expect(() => buildQemuArgs(spec({ arch: 'aarch64' }))).toThrow(/UEFI firmware/)
    expect(after(buildQemuArgs(spec({ arch: 'aarch64', accel: 'hvf', firmware: '/fw.fd' })), '-machine')).toEqual(['virt'])
  })

  it('escapes commas in paths and refuses ports that are not ports', () => {
    expect(optValue('/a,b/disk')).toBe('/a,,b/disk')
    expect(after(buildQemuArgs(spec({ disk: '/x,y/d.qcow2' })), '-drive')[0]).toBe('if=virtio,file=/x,,y/d.qcow2,format=qcow2,discard=unmap')
    expect(() => buildQemuArgs(spec({ forwards: [{ hostPort: 70000, guestPort: 22 }] }))).toThrow(/not a pair of TCP ports/)
  })
})

describe('accelerator choice', () => {
  const linux: AccelFacts = { platform: 'linux', kvmDevice: true, virtFlags: true, hvSupport: false, builtWith: ['tcg', 'kvm'] }
  it('takes KVM only where a guest really runs, else TCG with the reason and a slow note', () => {
    expect(chooseAccelerator(linux)).toMatchObject({ accel: 'kvm', slow: false })
    expect(chooseAccelerator({ ...linux, kvmProbe: { ok: true, detail: 'kernel started in 0.4 s' } })).toMatchObject({
      accel: 'kvm',
      reason: 'KVM (test boot: kernel started in 0.4 s)',
    })
    const hang = chooseAccelerator({ ...linux, kvmProbe: { ok: false, detail: 'no kernel output under KVM within 20 s' } })
    expect(hang).toMatchObject({ accel: 'tcg', slow: true })
    expect(hang.reason).toMatch(/slow.*test boot under KVM failed \(no kernel output/)
    // This machine: /dev/kvm opens, but the CPU has no vmx/svm (nested) and KVM guests hang.
    expect(chooseAccelerator({ ...linux, virtFlags: false }).reason).toMatch(/no vmx\/svm/)
    expect(chooseAccelerator({ ...linux, kvmDevice: false }).reason).toMatch(/kvm group/)
    expect(chooseAccelerator({ ...linux, builtWith: ['tcg'] }).reason).toMatch(/built without KVM/)
  })
  it('takes HVF on macOS when the Mac supports it', () => {
    const mac: AccelFacts = { platform: 'darwin', kvmDevice: false, virtFlags: false, hvSupport: true, builtWith: ['tcg', 'hvf'] }
    expect(chooseAccelerator(mac)).toMatchObject({ accel: 'hvf', slow: false })
    expect(chooseAccelerator({ ...mac, hvSupport: false })).toMatchObject({ accel: 'tcg', slow: true })
    expect(chooseAccelerator({ ...mac, platform: 'win32' })).toMatchObject({ accel: 'tcg' })
  })
  it('reads QEMU’s own listings', () => {
    expect(parseAccelHelp('Accelerators supported in QEMU binary:\ntcg\nkvm\n')).toEqual(['tcg', 'kvm'])
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright')).toBe('7.2.22')
    expect(parseQemuVersion('qemu-img version 7.2')).toBeUndefined()
  })
})

describe('qemu console diagnostics', () => {
  it('shows the last console lines without terminal escapes, and whether cloud-init ever ran', () => {
    const d = mkdtempSync(join(tmpdir(), 'kubelab-qemu-con-'))
    try {
      const f = join(d, 'console.log')
      expect(consoleTail(f)).toBe('(no console output yet)')
      writeFileSync(f, `${Array.from({ length: 30 }, (_, i) => `line ${i}\r`).join('\n')}\n\x1b[0;32m  OK  \x1b[0m] Reached target\n`)
      const tail = consoleTail(f, 3)
      expect(tail).toBe('line 28\nline 29\n  OK  ] Reached target')
      expect(consoleMentionsCloudInit(f)).toBe(false)
      writeFileSync(f, '[   12.0] cloud-init[512]: Cloud-init v. 24.1 running', { flag: 'a' })
      expect(consoleMentionsCloudInit(f)).toBe(true)
      expect(qmpSocketPath(d)).toBe(join(d, 'qmp.sock'))
      expect(qmpSocketPath(join(d, 'x'.repeat(120)))).toMatch(/kubelab-qmp-[0-9a-f]{16}\.sock$/)
    } finally {
      rmSync(d, { recursive: true, force: true })
    }
  })
})

describe('qemu image cache', () => {
  let dir: string
  let server: Server
  let base: string
  const hits: string[] = []
  let image: Buffer
  let sums = ''
  const qemuImg = '/usr/bin/qemu-img'

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelab-qemu-img-'))
    const src = join(dir, 'src.qcow2')
    execFileSync(qemuImg, ['create', '-q', '-f', 'qcow2', src, '64M'])
    image = readFileSync(src)
    const name = 'ubuntu-24.04-server-cloudimg-amd64.img'
    sums = `${createHash('sha256').update(image).digest('hex')} *${name}\n${'0'.repeat(64)} *other.img\n`
    server = createServer((req, res) => {
      hits.push(req.url ?? '')
      if (req.url === '/rel/SHA256SUMS') return res.end(sums)
      if (req.url === `/rel/${name}` || req.url === '/other/disk.img') {
        res.setHeader('content-length', image.length)
        return res.end(image)
      }
      if (req.url === '/moved/SHA256SUMS') {
        res.statusCode = 302
        res.setHeader('location', '/rel/SHA256SUMS')
        return res.end()
      }
      res.statusCode = 404
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const a = server.address()
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
  })
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('parses SHA256SUMS lines in both forms', () => {
    expect(sumFor(`${'a'.repeat(64)} *x.img\n${'b'.repeat(64)}  y.img\n`, 'y.img')).toBe('b'.repeat(64))
    expect(sumFor('garbage\n', 'x.img')).toBeUndefined()
    expect(progressBar(0.5, 10)).toBe('[#####.....]')
  })

  it('downloads the default image once with progress, verified, then serves it from the cache', async () => {
    const cache = join(dir, 'cache1')
    const lines: string[] = []
    const got = await ensureBaseImage({ arch: 'x86_64', cacheDir: cache, qemuImg, log: (l) => lines.push(l), ubuntuBaseUrl: `${base}/rel` })
    expect(got.format).toBe('qcow2')
    expect(readFileSync(got.path).equals(image)).toBe(true)
    expect(lines.some((l) => /downloading ubuntu-24\.04-server-cloudimg-amd64\.img \[#+\]? ?.*100%/.test(l) || /100% \(/.test(l))).toBe(true)
    expect(lines.some((l) => /sha256 matches/.test(l))).toBe(true)
    const before = hits.length
    const again = await ensureBaseImage({ arch: 'x86_64', cacheDir: cache, qemuImg, log: () => {}, ubuntuBaseUrl: `${base}/rel` })
    expect(again.path).toBe(got.path)
    expect(hits.length).toBe(before)
    // A node's disk is a copy-on-write overlay of it, never smaller than asked.
    const disk = join(dir, 'disk.qcow2')
    await createOverlay(qemuImg, got, disk, 128)
    const info = JSON.parse(execFileSync(qemuImg, ['info', '--output=json', disk]).toString())
    expect(info['backing-filename']).toBe(got.path)
    expect(info['backing-filename-format']).toBe('qcow2')
    expect(info['virtual-size']).toBe(128 * 2 ** 20)
  })

  it('refuses an image that does not match the published checksum and caches nothing', async () => {
    const cache = join(dir, 'cache2')
    const good = sums
    sums = sums.replace(/^[0-9a-f]{64}/, 'f'.repeat(64))
    try {
      await expect(ensureBaseImage({ arch: 'x86_64', cacheDir: cache, qemuImg, log: () => {}, ubuntuBaseUrl: `${base}/rel` })).rejects.toThrow(
        /does not match .*SHA256SUMS/,
      )
      expect(readdirSync(cache)).toEqual([])
    } finally {
      sums = good
    }
    await expect(ensureBaseImage({ arch: 'x86_64', cacheDir: cache, qemuImg, log: () => {}, ubuntuBaseUrl: `${base}/nowhere` })).rejects.toThrow(
      /cannot verify the Ubuntu image: GET .*SHA256SUMS answered HTTP 404/,
    )
  })

  it('wizard rows: the image cached, downloadable or not reachable; the accelerator with its slow note', async () => {
    const home = join(dir, 'home')
    expect(await imageCheck(home, 'x86_64', `${base}/rel`)).toMatchObject({
      id: 'qemu-image',
      status: 'pass',
      detail: expect.stringMatching(/downloaded once .*checked against SHA256SUMS/),
    })
    expect(await imageCheck(home, 'x86_64', `${base}/nowhere`)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/cannot be downloaded now \(GET .* HTTP 404\).*--image FILE/),
    })
    await ensureBaseImage({ arch: 'x86_64', cacheDir: join(home, 'images', 'qemu'), qemuImg, log: () => {}, ubuntuBaseUrl: `${base}/rel` })
    expect(await imageCheck(home, 'x86_64', `${base}/nowhere`)).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^Ubuntu 24\.04 cached/) })
    expect(accelCheck({ accel: 'tcg', reason: 'TCG …slow', slow: true })).toMatchObject({ id: 'qemu-accel', status: 'warn' })
    expect(accelCheck({ accel: 'kvm', reason: 'KVM', slow: false }).status).toBe('pass')
  })

  it('takes --image as a local file or another URL, and refuses what is no disk image', async () => {
    const cache = join(dir, 'cache3')
    const local = join(dir, 'mine.qcow2')
    writeFileSync(local, image)
    expect(await ensureBaseImage({ image: local, arch: 'x86_64', cacheDir: cache, qemuImg, log: () => {} })).toEqual({
      path: local,
      format: 'qcow2',
      source: local,
    })
    const lines: string[] = []
    const other = await ensureBaseImage({ image: `${base}/other/disk.img`, arch: 'x86_64', cacheDir: cache, qemuImg, log: (l) => lines.push(l) })
    expect(other.path).toMatch(/-disk\.img$/)
    expect(lines.join('\n')).toMatch(/no published checksum/)
    await expect(ensureBaseImage({ image: join(dir, 'absent.img'), arch: 'x86_64', cacheDir: cache, qemuImg, log: () => {} })).rejects.toThrow(/no such file/)
    const iso = join(dir, 'not-an-image.vmdk')
    execFileSync(qemuImg, ['create', '-q', '-f', 'vmdk', iso, '16M'])
    await expect(imageInfo(qemuImg, iso)).rejects.toThrow(/is a vmdk image: .*qcow2 or raw/)
    expect(existsSync(join(cache, 'absent.img'))).toBe(false)
  })
})
