// What cloud-init does inside a double's VM, from the data source KubeLab handed the hypervisor
// (the user-data file of `multipass launch --cloud-init`, or the NoCloud seed ISO): per
// instance, hostname, users and their SSH keys, write_files, runcmd (KubeLab's package step:
// the Ubuntu image lacks them all, so containerd etc. get "installed"; `systemctl enable --now
// containerd` starts it; anything else, e.g. a download, cannot run in here and fails); status and logs where the real one keeps them, answered by
// the guest's own `cloud-init status [--wait] [--long]`. Later boots only report done.
//
// Behaviour switches (config.json → backend): cloudInitMs (how long "packages" take, default
// 1500), cloudInitOutcome "done" | "error" (apt fails: status error, exit 1).
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parse } from 'yaml'
import { ENSURE_PACKAGES_NAME, ENSURE_PACKAGES_SCRIPT } from '../../../src-main/providers/cloud-init/user-data'
import { readSeedIso } from './iso'
import { authorizedKeysFile, guestBin, ipOf, startContainerdOn, type VmMeta, type VmPaths } from './node'

export interface CloudInitConfig {
  readonly cloudInitMs: number
  readonly cloudInitOutcome: 'done' | 'error'
}

interface Seed {
  userData: string
  instanceId: string
  hostname?: string
}

function readSeed(m: VmMeta): Seed {
  if (m.seed.kind === 'user-data') return { userData: readFileSync(m.seed.path, 'utf8'), instanceId: `i-${m.vm}` }
  const iso = readSeedIso(m.seed.path)
  if (iso.label.toLowerCase() !== 'cidata')
    throw new Error(`seed ISO ${m.seed.path} is labelled ${JSON.stringify(iso.label)}, not cidata: cloud-init would not find it`)
  const meta = (parse(iso.files.get('meta-data')?.toString('utf8') ?? '') ?? {}) as Record<string, string>
  const ud = iso.files.get('user-data')
  if (!ud) throw new Error(`seed ISO ${m.seed.path} has no user-data`)
  if (!meta['instance-id']) throw new Error(`seed ISO ${m.seed.path} has no instance-id in meta-data`)
  return { userData: ud.toString('utf8'), instanceId: meta['instance-id'], ...(meta['local-hostname'] ? { hostname: meta['local-hostname'] } : {}) }
}

/** The static address network-config gives the NIC on the host-only network (VirtualBox's NIC 2). */
export function networkConfigAddress(isoPath: string, mac: string): string | undefined {
  const nc = readSeedIso(isoPath).files.get('network-config')
  if (!nc) return undefined
  const doc = parse(nc.toString('utf8')) as { ethernets?: Record<string, { match?: { macaddress?: string }; addresses?: string[] }> }
  const want = mac.replace(/[^0-9a-f]/gi, '').toLowerCase()
  for (const eth of Object.values(doc.ethernets ?? {})) {
    if ((eth.match?.macaddress ?? '').replace(/:/g, '').toLowerCase() === want) return eth.addresses?.[0]
  }
  return undefined
}

function statusFile(p: VmPaths): string {
  return p.rooted('run/cloud-init/status.json')
}

function setStatus(p: VmPaths, status: 'running' | 'done' | 'error', errors: string[] = []): void {
  mkdirSync(dirname(statusFile(p)), { recursive: true })
  writeFileSync(statusFile(p), JSON.stringify({ status, errors, last_update: new Date().toUTCString() }))
}

function out(p: VmPaths, line: string): void {
  mkdirSync(p.rooted('var/log'), { recursive: true })
  appendFileSync(p.rooted('var/log/cloud-init-output.log'), `${line}\n`)
}

/** The guest's `cloud-init` program: `status [--wait] [--long]` as cloud-init 24.x prints it. */
export function installGuestCommand(vmPaths: VmPaths): void {
  mkdirSync(guestBin(vmPaths), { recursive: true })
  const file = join(guestBin(vmPaths), 'cloud-init')
  writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('node:fs')
const args = process.argv.slice(2)
if (args[0] !== 'status') { console.error('usage: cloud-init status [--wait] [--long]'); process.exit(2) }
const read = () => { try { return JSON.parse(fs.readFileSync(${JSON.stringify(statusFile(vmPaths))}, 'utf8')) } catch { return { status: 'not started', errors: [] } } }
const show = (s) => {
  process.stdout.write('status: ' + s.status + '\\n')
  if (args.includes('--long')) {
    process.stdout.write('extended_status: ' + s.status + '\\nboot_status_code: enabled-by-generator\\nlast_update: ' + (s.last_update || '') + '\\ndetail: DataSourceNoCloud [seed=/dev/sr0]\\n')
    process.stdout.write('errors:' + (s.errors.length ? '\\n' + s.errors.map((e) => '\\t- ' + e).join('\\n') : ' []') + '\\n')
    process.stdout.write('recoverable_errors: {}\\n')
  }
  process.exit(s.status === 'error' ? 1 : 0)
}
if (!args.includes('--wait')) show(read())
const tick = () => { const s = read(); if (s.status === 'running' || s.status === 'not started') { process.stdout.write('.'); setTimeout(tick, 250) } else { process.stdout.write('\\n'); show(s) } }
tick()
`,
  )
  chmodSync(file, 0o755)
  // Node.js runs this as CommonJS whatever the nearest package.json says.
  writeFileSync(join(guestBin(vmPaths), 'package.json'), '{"type":"commonjs"}\n')
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * One boot's cloud-init run. `init` is what runs before sshd starts on a real boot (hostname,
 * users and keys, write_files); `final` the rest (packages, runcmd), which may outlast launch.
 */
export async function runCloudInit(vmPaths: VmPaths, vmMeta: VmMeta, cfg: CloudInitConfig, stage: 'init' | 'final' | 'all' = 'all'): Promise<void> {
  installGuestCommand(vmPaths)
  const seed = readSeed(vmMeta)
  const finished = vmPaths.rooted('var/lib/cloud/instance/boot-finished')
  if (existsSync(finished) && readFileSync(finished, 'utf8').trim() === seed.instanceId) {
    setStatus(vmPaths, 'done') // same instance: only per-boot modules, nothing KubeLab needs
    return
  }
  if (!seed.userData.startsWith('#cloud-config')) throw new Error('user-data does not start with #cloud-config: cloud-init would ignore it')
  const ud = (parse(seed.userData) ?? {}) as UserData
  if (stage !== 'final') initStage(vmPaths, vmMeta, seed, ud)
  if (stage !== 'init') await finalStage(vmPaths, vmMeta, cfg, seed, ud)
}

type UserData = {
  hostname?: string
  users?: (string | { name: string; ssh_authorized_keys?: string[] })[]
  write_files?: { path: string; content?: string; permissions?: string }[]
  packages?: string[]
  runcmd?: (string | string[])[]
}

function initStage(p: VmPaths, m: VmMeta, seed: Seed, ud: UserData): void {
  setStatus(p, 'running')
  out(p, `Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'init' at ${new Date().toUTCString()}. Up 3.10 seconds.`)
  const hostname = ud.hostname ?? seed.hostname ?? m.vm
  mkdirSync(p.rooted('etc'), { recursive: true })
  writeFileSync(p.rooted('etc/hostname'), `${hostname}\n`)
  for (const u of ud.users ?? []) {
    if (typeof u === 'string' || !u.ssh_authorized_keys?.length) continue
    // Appended, never replaced: keys the image already had (Multipass's own) stay.
    const f = authorizedKeysFile(p, u.name)
    mkdirSync(dirname(f), { recursive: true })
    const have = existsSync(f) ? readFileSync(f, 'utf8') : ''
    const add = u.ssh_authorized_keys.filter((k) => !have.includes(k.trim()))
    if (add.length) appendFileSync(f, add.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 })
  }
  for (const w of ud.write_files ?? []) {
    const f = p.rooted(w.path)
    mkdirSync(dirname(f), { recursive: true })
    writeFileSync(f, w.content ?? '', { mode: Number.parseInt(w.permissions ?? '0644', 8) })
  }
  out(p, `ci-info: ${m.netns}: eth0 ${ipOf(m)}`)
}

const RUNCMD_FAILED = "('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))"

async function finalStage(p: VmPaths, m: VmMeta, cfg: CloudInitConfig, seed: Seed, ud: UserData): Promise<void> {
  const finished = p.rooted('var/lib/cloud/instance/boot-finished')
  if (ud.packages?.length) {
    // cloud-init's own package module always runs apt-get update first: no network in here.
    out(p, "Err:1 http://archive.ubuntu.com/ubuntu noble InRelease\n  Temporary failure resolving 'archive.ubuntu.com'")
    setStatus(p, 'error', [`('package_update_upgrade_install', RuntimeError("Failed to install packages: ['${ud.packages.join("', '")}']"))`])
    return
  }
  const packages: string[] = []
  for (const c of ud.runcmd ?? []) {
    const cmd = Array.isArray(c) ? c.join(' ') : c
    out(p, `+ ${Array.isArray(c) && c[3] === ENSURE_PACKAGES_NAME ? `sh -c … ${c.slice(3).join(' ')}` : cmd}`)
    if (Array.isArray(c) && c[0] === 'sh' && c[1] === '-c' && c[2] === ENSURE_PACKAGES_SCRIPT && c[3] === ENSURE_PACKAGES_NAME) {
      // The stock Ubuntu image has none of them: they are "installed" from the archive.
      const want = c.slice(4)
      out(p, `kubelab: installing ${want.join(' ')}\nReading package lists...\nThe following NEW packages will be installed:\n  ${want.join(' ')}`)
      await sleep(cfg.cloudInitMs)
      if (cfg.cloudInitOutcome === 'error') {
        out(p, `E: Unable to locate package ${want[want.length - 1]}`)
        setStatus(p, 'error', [RUNCMD_FAILED])
        return
      }
      for (const pkg of want) out(p, `Setting up ${pkg} ...`)
      packages.push(...want)
      continue
    }
    if (/^systemctl enable --now containerd$/.test(cmd)) {
      if (!packages.includes('containerd')) {
        out(p, 'Failed to enable unit: Unit file containerd.service does not exist.')
        setStatus(p, 'error', [RUNCMD_FAILED])
        return
      }
      mkdirSync(p.rooted('var/lib/cloud'), { recursive: true })
      writeFileSync(p.rooted('var/lib/cloud/containerd-enabled'), '')
      await startContainerdOn(p, m)
      continue
    }
    if (/^netplan apply$/.test(cmd)) continue
    // Anything else (a download from the internet, say) cannot run in the double's VM.
    out(p, `${cmd.split(' ')[0]}: cannot run in this test double's VM (no internet, no such program)`)
    setStatus(p, 'error', [RUNCMD_FAILED])
    return
  }
  mkdirSync(dirname(finished), { recursive: true })
  writeFileSync(finished, `${seed.instanceId}\n`)
  out(p, `Cloud-init v. 24.4-0ubuntu1~24.04.2 finished at ${new Date().toUTCString()}. Datasource DataSourceNoCloud.  Up 42.00 seconds`)
  setStatus(p, 'done')
}
