// The `virtualbox` provider: the recipe that works unattended (PROVIDERS.md §3): a clone of the
// Ubuntu cloud-image disk, a NoCloud seed ISO, NIC 1 NAT with an SSH forward on 127.0.0.1,
// NIC 2 host-only with a static address from network-config, and a serial port (cloud images
// hang without one). Per-node facts (VM name, SSH port, address, MACs) live in
// nodes/<node>/virtualbox.json so restarts and deletes find them again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { clusterKey, vmSshTarget, type ClusterKey } from '../cloud-init/cluster-key'
import { waitForCloudInit, type CloudInitWaitOptions } from '../cloud-init/status'
import { renderNetworkConfig } from '../cloud-init/network-config'
import { writeSeedIso } from '../cloud-init/seed'
import { renderUserData } from '../cloud-init/user-data'
import { formatElapsed, sleep as realSleep, type CommandRunner } from '../multipass/run'
import { hasSeveralControlPlanes, pointVmHostApiLb, stopVmHostApiLbWithLast, vmHostApiEndpoint } from '../api-lb-host'
import type { DetectResult, NodeRecord, NodeStatusReport, Provider, ProviderContext, SshTarget } from '../types'
import { VBoxManageCli } from './cli'
import { VBoxError } from './errors'
import { parseHostOnlyIfs, parseVBoxVersion, vmStateOf } from './parse'
import { planNode, vboxVmName } from './plan'

export interface VirtualBoxProviderOptions {
  readonly bin?: string
  readonly runner?: CommandRunner
  readonly sleep?: (ms: number) => Promise<void>
  readonly now?: () => number
  /** A free TCP port on 127.0.0.1 for the SSH forward. */
  readonly freePort?: () => Promise<number>
  readonly key?: (ctx: ProviderContext) => ClusterKey
  /** Wait for an ACPI shutdown before forcing power off (default 60 s). */
  readonly acpiWaitMs?: number
  readonly pollIntervalMs?: number
  /** Waits for cloud-init in a new VM over SSH (default `cloud-init status --wait`). */
  readonly cloudInitWait?: (target: SshTarget, o: CloudInitWaitOptions) => Promise<void>
  /** Bound of the cloud-init wait (default 15 min). */
  readonly cloudInitLimitMs?: number
}

interface NodeFile {
  vm: string
  sshPort: number
  address: string
  prefix: number
  natMac: string
  hostOnlyMac: string
  instanceId: string
}

export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('could not find a free port on 127.0.0.1'))))
    })
  })
}

/** Kubernetes memory quantity → MB for --memory / --resize. */
export function toMegabytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|k|M|G|T)?$/.exec(quantity.trim())
  if (!m) throw new Error(`size ${JSON.stringify(quantity)} is not understood: use e.g. 2Gi or 512Mi`)
  const mult: Record<string, number> = {
    '': 1 / 2 ** 20,
    K: 1e3 / 2 ** 20,
    k: 1e3 / 2 ** 20,
    Ki: 1 / 1024,
    M: 1e6 / 2 ** 20,
    Mi: 1,
    G: 1e9 / 2 ** 20,
    Gi: 1024,
    T: 1e12 / 2 ** 20,
    Ti: 1024 ** 2,
  }
  return Math.ceil(Number(m[1]) * mult[m[2] ?? '']!)
}

export class VirtualBoxProvider implements Provider {
  readonly name = 'virtualbox'
  readonly shipsNodeRuntime = true
  readonly cli: VBoxManageCli
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number
  private readonly freePort: () => Promise<number>
  private readonly key: (ctx: ProviderContext) => ClusterKey
  private readonly acpiWaitMs: number
  private readonly pollMs: number
  private readonly cloudInitWait: NonNullable<VirtualBoxProviderOptions['cloudInitWait']>
  private readonly cloudInitLimitMs: number

  constructor(opts: VirtualBoxProviderOptions = {}) {
    this.sleep = opts.sleep ?? realSleep
    this.cli = new VBoxManageCli(opts.bin, opts.runner, this.sleep)
    this.now = opts.now ?? Date.now
    this.freePort = opts.freePort ?? freeLocalPort
    this.key = opts.key ?? ((ctx) => clusterKey(ctx.clusterDir, ctx.clusterName))
    this.cloudInitWait = opts.cloudInitWait ?? waitForCloudInit
    this.cloudInitLimitMs = opts.cloudInitLimitMs ?? 15 * 60_000
    this.acpiWaitMs = opts.acpiWaitMs ?? 60_000
    this.pollMs = opts.pollIntervalMs ?? 2000
  }

  async detect(): Promise<DetectResult> {
    const r = await this.cli.raw(['--version'])
    if (r.code === 127)
      return { available: false, problem: 'VirtualBox is not installed: get 7.1 or later from https://www.virtualbox.org/wiki/Downloads, then re-check' }
    if (r.code === 126) return { available: false, problem: 'VBoxManage cannot be run: the VirtualBox installation is broken; reinstall it' }
    let v
    try {
      v = parseVBoxVersion(r.stdout)
    } catch (e) {
      return { available: false, problem: (e as Error).message }
    }
    const version = `VirtualBox ${v.version}${v.revision ? `r${v.revision}` : ''}`
    if (/vboxdrv kernel module is not loaded/.test(r.stderr + r.stdout)) {
      return {
        available: false,
        version,
        problem: "VirtualBox's kernel module is not loaded: run `sudo /sbin/vboxconfig` (with Secure Boot, sign the module), then re-check",
      }
    }
    const [maj = 0, min = 0] = v.version.split('.').map(Number)
    if (maj < 6 || (maj === 6 && min < 1))
      return { available: false, version, problem: `VirtualBox ${v.version} is too old: KubeLab needs 6.1 or later (7.2.4+ recommended)` }
    return { available: true, version }
  }

  private vm(ctx: ProviderContext, node: NodeRecord): string {
    return node.machine ?? vboxVmName(ctx.clusterName, node.name)
  }

  private nodeDir(ctx: ProviderContext, node: NodeRecord): string {
    return join(ctx.clusterDir, 'nodes', node.name)
  }

  private readNodeFile(ctx: ProviderContext, node: NodeRecord): NodeFile | undefined {
    const f = join(this.nodeDir(ctx, node), 'virtualbox.json')
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as NodeFile) : undefined
  }

  /** The once-per-host Ubuntu disk: <KubeLab home>/images (clusterDir is <home>/clusters/NAME). */
  private baseImage(ctx: ProviderContext): string {
    return ctx.settings.vboxBaseImage ?? join(dirname(dirname(ctx.clusterDir)), 'images', 'noble-amd64.vdi')
  }

  /**
   * The host-only adapter whose host address is <subnet>.1, made and configured when missing
   * (`hostonlyif create` + `ipconfig`), so the host reaches the nodes' static addresses.
   */
  private async hostOnlyAdapter(ctx: ProviderContext, subnet: string): Promise<string> {
    if (ctx.settings.hostOnlyAdapter) return ctx.settings.hostOnlyAdapter
    const hostIp = `${subnet}.1`
    const have = parseHostOnlyIfs((await this.cli.run(['list', 'hostonlyifs'])).stdout).find((h) => h.ip === hostIp)
    if (have) return have.name
    ctx.log(`creating a VirtualBox host-only adapter for ${subnet}.0/24 (host side ${hostIp})`)
    const created = /Interface '([^']+)' was successfully created/.exec((await this.cli.run(['hostonlyif', 'create'])).stdout)?.[1]
    if (!created)
      throw new Error(
        'VBoxManage hostonlyif create did not name the adapter it made: check `VBoxManage list hostonlyifs` and pass the adapter as the hostOnlyAdapter setting',
      )
    await this.cli.run(['hostonlyif', 'ipconfig', created, '--ip', hostIp, '--netmask', '255.255.255.0'])
    return created
  }

  async createNode(ctx: ProviderContext, node: NodeRecord): Promise<NodeRecord> {
    const vm = this.vm(ctx, node)
    const dir = this.nodeDir(ctx, node)
    const existing = await this.cli.info(vm)
    if (existing && this.readNodeFile(ctx, node)) {
      ctx.log(`${vm}: exists (${vmStateOf(existing)}), reusing it`)
      await this.start(ctx, { ...node, machine: vm })
      await this.waitGuest(ctx, { ...node, machine: vm })
      return { ...node, machine: vm, state: 'running' }
    }
    if (existing)
      throw new Error(
        `VirtualBox already has a VM named ${vm} that KubeLab did not record: remove it in the VirtualBox Manager (or \`VBoxManage unregistervm ${vm} --delete\`) and create again`,
      )
    const base = this.baseImage(ctx)
    if (!existsSync(base)) {
      throw new Error(
        `the Ubuntu disk image ${base} is missing: KubeLab prepares it once per host (Settings → Images → Prepare VirtualBox image), or convert noble-server-cloudimg-amd64.img with \`qemu-img convert -O vdi\``,
      )
    }
    mkdirSync(dir, { recursive: true })
    const index = ctx.nodes.findIndex((n) => n.name === node.name)
    const subnet = ctx.settings.hostOnlySubnet ?? '192.168.56'
    const plan = planNode(ctx.clusterName, subnet, index < 0 ? ctx.nodes.length : index)
    const sshPort = await this.freePort()
    const disk = join(dir, 'disk.vdi')
    const seed = join(dir, 'seed.iso')
    const consoleLog = join(dir, 'console.log')
    const key = this.key(ctx)
    const instanceId = writeSeedIso(seed, {
      userData: renderUserData({ clusterName: ctx.clusterName, hostname: node.name, authorizedKeys: [key.publicKey] }),
      hostname: node.name,
      instanceIdPrefix: `kubelab-${ctx.clusterName}-${node.name}`,
      networkConfig: renderNetworkConfig({ natMac: plan.natMac, hostOnlyMac: plan.hostOnlyMac, address: `${plan.address}/${plan.prefix}` }),
    })
    const record: NodeFile = { vm, sshPort, address: plan.address, prefix: plan.prefix, natMac: plan.natMac, hostOnlyMac: plan.hostOnlyMac, instanceId }
    const started = this.now()
    const step = async (what: string, args: string[]) => {
      ctx.log(`${vm}: ${what}`)
      await this.cli.run(args, vm)
    }
    if (!existsSync(disk)) await step('cloning the Ubuntu disk', ['clonemedium', 'disk', base, disk, '--format', 'VDI'])
    await step(`growing the disk to ${ctx.settings.disk ?? '20Gi'}`, [
      'modifymedium',
      'disk',
      disk,
      '--resize',
      String(toMegabytes(ctx.settings.disk ?? '20Gi')),
    ])
    await step('registering the VM', ['createvm', '--name', vm, '--ostype', 'Ubuntu_64', '--basefolder', dir, '--register'])
    const hostOnly = ctx.settings.hostOnlyNetwork
      ? ['--nic2', 'hostonlynet', '--host-only-net2', ctx.settings.hostOnlyNetwork]
      : ['--nic2', 'hostonly', '--hostonlyadapter2', await this.hostOnlyAdapter(ctx, subnet)]
    await step('configuring CPU, memory, serial console and network', [
      'modifyvm',
      vm,
      '--cpus',
      String(Math.max(1, Math.ceil(Number(ctx.settings.cpu ?? '2')) || 1)),
      '--memory',
      String(toMegabytes(ctx.settings.memory ?? '2Gi')),
      '--ioapic',
      'on',
      '--rtcuseutc',
      'on',
      '--graphicscontroller',
      'vmsvga',
      '--vram',
      '16',
      '--audio-driver',
      'none',
      '--boot1',
      'disk',
      '--boot2',
      'none',
      '--boot3',
      'none',
      '--boot4',
      'none',
      '--uart1',
      '0x3F8',
      '4',
      '--uartmode1',
      'file',
      consoleLog,
      '--nic1',
      'nat',
      '--nictype1',
      'virtio',
      '--macaddress1',
      plan.natMac,
      '--natpf1',
      `ssh,tcp,127.0.0.1,${sshPort},,22`,
      ...hostOnly,
      '--nictype2',
      'virtio',
      '--cableconnected2',
      'on',
      '--macaddress2',
      plan.hostOnlyMac,
    ])
    await step('adding the disk controller', [
      'storagectl',
      vm,
      '--name',
      'SATA',
      '--add',
      'sata',
      '--controller',
      'IntelAhci',
      '--portcount',
      '2',
      '--hostiocache',
      'on',
    ])
    await step('attaching the disk', ['storageattach', vm, '--storagectl', 'SATA', '--port', '0', '--device', '0', '--type', 'hdd', '--medium', disk])
    await step('attaching the cloud-init seed', [
      'storageattach',
      vm,
      '--storagectl',
      'SATA',
      '--port',
      '1',
      '--device',
      '0',
      '--type',
      'dvddrive',
      '--medium',
      seed,
    ])
    writeFileSync(join(dir, 'virtualbox.json'), `${JSON.stringify(record, null, 2)}\n`)
    ctx.log(`${vm}: booting (SSH forward 127.0.0.1:${sshPort}, host-only ${plan.address})`)
    await this.cli.startvm(vm)
    ctx.log(`${vm}: started after ${formatElapsed(this.now() - started)}; cloud-init continues inside the VM`)
    await this.waitGuest(ctx, { ...node, machine: vm })
    return { ...node, machine: vm, state: 'running' }
  }

  /** SSH through the NAT forward, then `cloud-init status --wait` (bounded, elapsed time logged). */
  private async waitGuest(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const target = await this.sshTarget(ctx, node)
    if (!target) throw new Error(`node ${node.name} has no virtualbox.json: create it again`)
    await this.cloudInitWait(target, { node: node.name, log: (l) => ctx.log(l), limitMs: this.cloudInitLimitMs })
  }

  async start(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    const info = await this.cli.info(vm)
    if (!info) throw new Error(`VirtualBox has no VM ${vm} for node ${node.name}: it was deleted outside KubeLab; recreate the node`)
    const state = vmStateOf(info)
    if (state === 'running') {
      if (node.role === 'control-plane') await this.ensureApiLb(ctx)
      return
    }
    if (state === 'aborted')
      ctx.log(
        `${vm}: the VM process had died (aborted); starting it again. Boot console: ${join(this.nodeDir(ctx, node), 'console.log')}${this.consoleTail(ctx, node)}`,
      )
    await this.cli.startvm(vm)
    if (node.role === 'control-plane') await this.ensureApiLb(ctx)
  }

  /**
   * Several control planes: the host's endpoint, a balancer on 127.0.0.1 (the cluster's API
   * server port) over every control-plane VM's host-only address; each node reaches the API
   * servers through its own kubelab-api-lb, and etcd peers go by node name.
   */
  readonly nodeApiLb = true

  async haApiEndpoint(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined> {
    return vmHostApiEndpoint(ctx)
  }

  /** Starts (or re-points) the host's balancer at the control planes' host-only addresses. */
  private async ensureApiLb(ctx: ProviderContext): Promise<void> {
    await pointVmHostApiLb(ctx, (n) => {
      const address = this.readNodeFile(ctx, n)?.address
      return address ? `${address}:6443` : undefined
    })
  }

  /** The balancer stops with the last running control-plane VM. */
  private async stopApiLbWithLast(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    if (!hasSeveralControlPlanes(ctx)) return
    const running = new Set((await this.cli.vms(true)).map((v) => v.name))
    await stopVmHostApiLbWithLast(ctx, node, (n) => running.has(this.vm(ctx, n)))
  }

  private consoleTail(ctx: ProviderContext, node: NodeRecord): string {
    const f = join(this.nodeDir(ctx, node), 'console.log')
    if (!existsSync(f)) return ''
    const lines = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-10)
    return lines.length ? `\n${lines.join('\n')}` : ''
  }

  async stop(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await this.stopMachine(ctx, node)
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  private async stopMachine(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    const info = await this.cli.info(vm)
    if (!info || vmStateOf(info) !== 'running') return
    await this.cli.run(['controlvm', vm, 'acpipowerbutton'], vm)
    const started = this.now()
    while (this.now() - started < this.acpiWaitMs) {
      await this.sleep(this.pollMs)
      const now = await this.cli.info(vm)
      if (!now || vmStateOf(now) !== 'running') {
        ctx.log(`${vm}: shut down after ${formatElapsed(this.now() - started)}`)
        return
      }
    }
    ctx.log(`${vm}: no clean shutdown after ${formatElapsed(this.now() - started)}; powering off`)
    await this.powerOff(vm)
  }

  private async powerOff(vm: string): Promise<void> {
    try {
      await this.cli.run(['controlvm', vm, 'poweroff'], vm)
    } catch (e) {
      if (!(e instanceof VBoxError && (e.failure.kind === 'not-running' || e.failure.kind === 'not-found'))) throw e
    }
  }

  async delete(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    const info = await this.cli.info(vm)
    if (info) {
      if (vmStateOf(info) !== 'poweroff' && vmStateOf(info) !== 'aborted') await this.powerOff(vm)
      try {
        await this.cli.run(['unregistervm', vm, '--delete'], vm)
      } catch (e) {
        if (!(e instanceof VBoxError && e.failure.kind === 'not-found')) throw e
      }
    }
    const dir = this.nodeDir(ctx, node)
    for (const f of ['virtualbox.json', 'seed.iso', 'disk.vdi', 'console.log']) rmSync(join(dir, f), { force: true })
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  async list(ctx: ProviderContext): Promise<NodeStatusReport[]> {
    const all = new Set((await this.cli.vms()).map((v) => v.name))
    const running = new Set((await this.cli.vms(true)).map((v) => v.name))
    return ctx.nodes.map((n) => {
      const vm = this.vm(ctx, n)
      return { name: n.name, state: running.has(vm) ? 'running' : all.has(vm) ? 'stopped' : 'unknown' }
    })
  }

  async address(ctx: ProviderContext, node: NodeRecord): Promise<string | undefined> {
    // Static: cloud-init's network-config pins it; no Guest Additions to ask (PROVIDERS.md §3.1).
    return this.readNodeFile(ctx, node)?.address
  }

  async sshTarget(ctx: ProviderContext, node: NodeRecord): Promise<SshTarget | undefined> {
    const f = this.readNodeFile(ctx, node)
    if (!f) return undefined
    // The NAT forward always works, whatever the host-only network does.
    return vmSshTarget(ctx, node.name, this.key(ctx), '127.0.0.1', f.sshPort)
  }
}
