// The machine behind one double "VM": a network namespace plugged into a host bridge (the
// hypervisor's VM network), a root folder (its disk), an sshd that reads authorized keys per
// user from that disk (what cloud-init wrote), and on later boots the services a VM's systemd
// would start again (containerd, KubeLab's components). sshd and the components run in a mount
// namespace of the machine's own, with its disk's etc/hosts bound over /etc/hosts (names resolve
// as on a VM: etcd peers by node name). Reuses the local provider's containerd
// and host helpers; its own sshd config because cloud-init decides which keys and users log in.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PAUSE_IMAGE } from '../../../provisioning/images/standard'
import { startContainerd, stopContainerd, containerdFiles } from '../../../src-main/providers/local/containerd'
import { alive, killAll, linkExists, netnsList, netnsPids, pidsMatching, sh, trySh, unmountUnder } from '../../../src-main/providers/local/host'
import { generateParseableKey } from '../../../src-main/ssh-provisioning/keys'

export const SSHD = '/usr/sbin/sshd'

export interface VmMeta {
  vm: string
  netns: string
  bridge: string
  subnet: string
  host: number
  /** Host side of the VM's cable; fixed at creation (the address may change later). */
  veth: string
  /** For VirtualBox: the NAT forward of SSH (127.0.0.1:port). */
  forward?: { host: string; port: number }
  /** Where the cloud-init data source is (multipass user-data file, or the seed ISO). */
  seed: { kind: 'user-data' | 'iso'; path: string }
}

export class VmPaths {
  constructor(
    readonly state: string,
    readonly vm: string,
  ) {}
  get root(): string {
    return join(this.state, 'vms', this.vm)
  }
  get meta(): string {
    return join(this.state, 'vms', `${this.vm}.json`)
  }
  get forwardPid(): string {
    return join(this.state, 'vms', `${this.vm}.fwd.pid`)
  }
  get cloudInitPid(): string {
    return join(this.state, 'vms', `${this.vm}.cloud-init.pid`)
  }
  rooted(path: string): string {
    return join(this.root, path)
  }
}

export function readMeta(vmPaths: VmPaths): VmMeta | undefined {
  return existsSync(vmPaths.meta) ? (JSON.parse(readFileSync(vmPaths.meta, 'utf8')) as VmMeta) : undefined
}

export function writeMeta(vmPaths: VmPaths, vmMeta: VmMeta): void {
  mkdirSync(join(vmPaths.state, 'vms'), { recursive: true })
  writeFileSync(vmPaths.meta, `${JSON.stringify(vmMeta, null, 2)}\n`)
}

export function allMetas(state: string): VmMeta[] {
  const d = join(state, 'vms')
  if (!existsSync(d)) return []
  return readdirSync(d)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(d, f), 'utf8')) as VmMeta)
}

export const ipOf = (vmMeta: VmMeta): string => `${vmMeta.subnet}.${vmMeta.host}`
const chainOf = (bridge: string): string => `KLD-${bridge}`.slice(0, 28)
const vethOf = (m: VmMeta): string => m.veth

/** A host-side interface name (≤ 15 characters) for a new VM on `bridge`. */
export const newVeth = (bridge: string, host: number): string => `${bridge}-${host}`.slice(0, 15)

export async function ensureBridge(bridge: string, subnet: string): Promise<void> {
  if (!linkExists(bridge)) await sh('ip', ['link', 'add', bridge, 'type', 'bridge'])
  const addrs = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' }).stdout ?? ''
  if (!addrs.includes(`${subnet}.1/24`)) await sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge])
  await sh('ip', ['link', 'set', bridge, 'up'])
  const chain = chainOf(bridge)
  if (!(await trySh('iptables', ['-w', '-S', chain]))) await sh('iptables', ['-w', '-N', chain])
  for (const dir of ['-i', '-o'])
    if (!(await trySh('iptables', ['-w', '-C', chain, dir, bridge, '-j', 'ACCEPT']))) await sh('iptables', ['-w', '-A', chain, dir, bridge, '-j', 'ACCEPT'])
  if (!(await trySh('iptables', ['-w', '-C', 'FORWARD', '-j', chain]))) await sh('iptables', ['-w', '-I', 'FORWARD', '1', '-j', chain])
}

export async function removeBridge(bridge: string): Promise<void> {
  const chain = chainOf(bridge)
  while (await trySh('iptables', ['-w', '-D', 'FORWARD', '-j', chain])) {
    /* every jump */
  }
  await trySh('iptables', ['-w', '-F', chain])
  await trySh('iptables', ['-w', '-X', chain])
  await trySh('ip', ['link', 'del', bridge])
}

/** Plugs the namespace in with the meta's address (replacing an older one: DHCP drift). */
export async function ensureNetns(vmMeta: VmMeta): Promise<void> {
  await ensureBridge(vmMeta.bridge, vmMeta.subnet)
  if (!netnsList().includes(vmMeta.netns)) await sh('ip', ['netns', 'add', vmMeta.netns])
  const nx = (args: string[]): Promise<string> => sh('ip', ['netns', 'exec', vmMeta.netns, ...args])
  if (spawnSync('ip', ['netns', 'exec', vmMeta.netns, 'ip', 'link', 'show', 'eth0'], { stdio: 'ignore' }).status !== 0) {
    await trySh('ip', ['link', 'del', vethOf(vmMeta)])
    await sh('ip', ['link', 'add', vethOf(vmMeta), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmMeta.netns])
  }
  await sh('ip', ['link', 'set', vethOf(vmMeta), 'master', vmMeta.bridge, 'up'])
  const want = `${ipOf(vmMeta)}/24`
  const addrs = await nx(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])
  if (!addrs.includes(want)) {
    await nx(['ip', 'addr', 'flush', 'dev', 'eth0'])
    await nx(['ip', 'addr', 'add', want, 'dev', 'eth0'])
  }
  await nx(['ip', 'link', 'set', 'eth0', 'up'])
  await nx(['ip', 'link', 'set', 'lo', 'up'])
  const routes = await nx(['ip', '-4', 'route', 'show', 'default'])
  if (!routes.includes(`via ${vmMeta.subnet}.1`)) await nx(['ip', 'route', 'replace', 'default', 'via', `${vmMeta.subnet}.1`])
  await nx(['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
}

export async function removeNetns(vmMeta: VmMeta): Promise<void> {
  await trySh('ip', ['link', 'del', vethOf(vmMeta)])
  if (netnsList().includes(vmMeta.netns)) await sh('ip', ['netns', 'del', vmMeta.netns])
}

function sshdFiles(p: VmPaths): { config: string; hostKey: string; pidFile: string; log: string; keysDir: string } {
  return {
    config: p.rooted('etc/ssh/sshd_config'),
    hostKey: p.rooted('etc/ssh/ssh_host_ed25519_key'),
    pidFile: p.rooted('run/sshd.pid'),
    log: p.rooted('var/log/sshd.log'),
    // cloud-init writes users' keys here (this node's stand-in for ~USER/.ssh/authorized_keys).
    keysDir: p.rooted('etc/ssh/authorized_keys'),
  }
}

export function authorizedKeysFile(vmPaths: VmPaths, user: string): string {
  return join(sshdFiles(vmPaths).keysDir, user)
}

/** The guest's own programs (`cloud-init`) come first on a session's PATH. */
export function guestBin(vmPaths: VmPaths): string {
  return vmPaths.rooted('usr/bin')
}

export function startSshd(vmPaths: VmPaths, vmMeta: VmMeta): void {
  const f = sshdFiles(vmPaths)
  for (const d of [vmPaths.rooted('etc/ssh'), f.keysDir, vmPaths.rooted('run'), vmPaths.rooted('var/log')]) mkdirSync(d, { recursive: true })
  if (!existsSync(f.hostKey)) {
    const k = generateParseableKey(`host-${vmMeta.vm}`)
    writeFileSync(f.hostKey, k.private, { mode: 0o600 })
  }
  writeFileSync(
    f.config,
    [
      `ListenAddress ${ipOf(vmMeta)}:22`,
      `HostKey ${f.hostKey}`,
      `PidFile ${f.pidFile}`,
      `AuthorizedKeysFile ${f.keysDir}/%u`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      `SetEnv KUBELAB_ROOT=${vmPaths.root} PATH=${guestBin(vmPaths)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  )
  const pid = sshdPid(vmPaths)
  if (pid) killSync(pid) // the address may have changed: listen again
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  // The machine's own /etc/hosts (its disk's etc/hosts, what provisioning writes into) is what
  // its programs resolve names with: sshd, and so every session and what it starts, runs in a
  // mount namespace of the machine's own where that file is bound over /etc/hosts.
  const hosts = vmPaths.rooted('etc/hosts')
  if (!existsSync(hosts)) writeFileSync(hosts, `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 ${vmMeta.vm}\n`)
  const r = spawnSync(
    'nsenter',
    [
      `--net=/run/netns/${vmMeta.netns}`,
      'unshare',
      '--mount',
      '--propagation',
      'slave',
      'sh',
      '-c',
      'mount --bind "$0" /etc/hosts && exec "$@"',
      hosts,
      SSHD,
      '-f',
      f.config,
      '-E',
      f.log,
    ],
    { encoding: 'utf8', timeout: 15_000 },
  )
  if (r.status !== 0) throw new Error(`sshd of ${vmMeta.vm} did not start: ${(r.stderr || r.stdout).trim()}`)
}

/** The machine's mount namespace (sshd's: its own /etc/hosts), for what its "systemd" starts at boot. */
function machineMountNs(p: VmPaths): string[] {
  const pid = sshdPid(p)
  return pid ? [`--mount=/proc/${pid}/ns/mnt`] : []
}

function sshdPid(p: VmPaths): number | undefined {
  const f = sshdFiles(p)
  if (!existsSync(f.pidFile)) return undefined
  const pid = Number(readFileSync(f.pidFile, 'utf8').trim())
  return pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(f.config) ? pid : undefined
}

function killSync(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* gone */
  }
  for (let i = 0; i < 100 && alive(pid); i++) spawnSync('sleep', ['0.05'])
}

export async function startContainerdOn(vmPaths: VmPaths, vmMeta: VmMeta): Promise<void> {
  // Written afresh each boot: the CRI streaming server listens on the node's current address.
  rmSync(containerdFiles(vmPaths.root).config, { force: true })
  await startContainerd(vmPaths.root, vmMeta.netns, ipOf(vmMeta), PAUSE_IMAGE)
}

/** What systemd would start again on a later boot: containerd (enabled by cloud-init) and KubeLab's services. */
export async function startServices(vmPaths: VmPaths, vmMeta: VmMeta): Promise<void> {
  if (existsSync(vmPaths.rooted('var/lib/cloud/containerd-enabled'))) await startContainerdOn(vmPaths, vmMeta)
  const conf = vmPaths.rooted('etc/kubelab/components.json')
  const sup = vmPaths.rooted('var/lib/kubelab/bin/supervisor.mjs')
  const pidFile = vmPaths.rooted('run/kubelab/supervisor.pid')
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0
  if (existsSync(conf) && existsSync(sup) && !(pid > 0 && alive(pid))) {
    mkdirSync(vmPaths.rooted('var/log/kubelab'), { recursive: true })
    const fd = openSync(vmPaths.rooted('var/log/kubelab/supervisor.log'), 'a')
    spawn('nsenter', [`--net=/run/netns/${vmMeta.netns}`, ...machineMountNs(vmPaths), 'setsid', process.execPath, sup, conf], {
      stdio: ['ignore', fd, fd],
      detached: true,
    }).unref()
    closeSync(fd)
  }
}

export function startForward(vmPaths: VmPaths, vmMeta: VmMeta): void {
  if (!vmMeta.forward) return
  stopForwardSync(vmPaths)
  const child = spawn(process.execPath, [join(import.meta.dirname, 'forward.mjs'), vmMeta.forward.host, String(vmMeta.forward.port), ipOf(vmMeta), '22'], {
    stdio: 'ignore',
    detached: true,
  })
  child.unref()
  writeFileSync(vmPaths.forwardPid, `${child.pid}\n`)
}

function stopForwardSync(p: VmPaths): void {
  if (!existsSync(p.forwardPid)) return
  const pid = Number(readFileSync(p.forwardPid, 'utf8').trim())
  if (pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('forward.mjs')) killSync(pid)
  rmSync(p.forwardPid, { force: true })
}

/** Power off: every process of the machine ends; its disk (root folder) stays. */
export async function powerOff(vmPaths: VmPaths, vmMeta: VmMeta): Promise<void> {
  stopForwardSync(vmPaths)
  if (existsSync(vmPaths.cloudInitPid)) {
    const pid = Number(readFileSync(vmPaths.cloudInitPid, 'utf8').trim())
    if (pid > 0 && alive(pid)) killSync(pid)
    rmSync(vmPaths.cloudInitPid, { force: true })
  }
  const supPidFile = vmPaths.rooted('run/kubelab/supervisor.pid')
  const sup = existsSync(supPidFile) ? Number(readFileSync(supPidFile, 'utf8').trim()) : 0
  if (sup > 0 && alive(sup)) await killAll([sup], 15_000)
  await killAll(pidsMatching(vmPaths.rooted('var/lib/kubelab')), 5000)
  await stopContainerd(vmPaths.root)
  const sshd = sshdPid(vmPaths)
  if (sshd) await killAll([sshd], 5000)
  if (netnsList().includes(vmMeta.netns)) await killAll(netnsPids(vmMeta.netns), 5000)
  unmountUnder(vmPaths.root)
  // A VM's /run is a tmpfs: nothing in it survives a power cycle.
  rmSync(vmPaths.rooted('run'), { recursive: true, force: true })
}
