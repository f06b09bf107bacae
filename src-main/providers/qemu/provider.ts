// The `qemu` provider: real VMs without root (QEMU.md). Per cluster: one cloud image (cached,
// verified), one accelerator choice (KVM only where a guest really runs, HVF on macOS, else TCG),
// one private L2 bus. Per node: a qcow2 overlay, the NoCloud seed ISO (the VirtualBox writer),
// the same user-data and network-config shape as VirtualBox (nat0 DHCP for the forwards, lab0
// static for cluster traffic), and a daemonized QEMU whose pidfile, QMP socket and serial log
// live in nodes/<node>/ so stop, start and delete find it again after an app restart.
// VMs boot in parallel: createNode only launches; start() waits for SSH and cloud-init.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { clusterKey, vmSshTarget, type ClusterKey } from '../cloud-init/cluster-key'
import { renderNetworkConfig } from '../cloud-init/network-config'
import { writeSeedIso } from '../cloud-init/seed'
import { waitForCloudInit, type CloudInitWaitOptions } from '../cloud-init/status'
import { renderUserData } from '../cloud-init/user-data'
import { formatElapsed } from '../multipass/run'
import { isOurProcess, readPid, terminate } from '../process'
import type { PreflightCheck } from '../../contract'
import { controlPlaneNodes, ensureHostApiLb, hasSeveralControlPlanes, stopVmHostApiLbWithLast, vmHostApiEndpoint } from '../api-lb-host'
import type { DetectResult, NodeRecord, NodeStatusReport, Provider, ProviderContext, SshTarget } from '../types'
import { freeLocalPort, toMegabytes } from '../virtualbox/provider'
import { chooseAccelerator, parseAccelHelp, probeKernel, probeKvmBoot, readAccelFacts, type AccelChoice, type Accelerator } from './accel'
import { buildQemuArgs, type HostForward } from './args'
import { findQemu, runTool, type QemuTools } from './binary'
import { createOverlay, ensureBaseImage, type BaseImage } from './image'
import { accelCheck, imageCheck } from './preflight'
import { newClusterNet, planNodeNet, qemuVmName, type ClusterNet } from './plan'
import { humanMonitor, qmpCommand } from './qmp'

/** <clusterDir>/qemu.json: decided once per cluster. */
export interface QemuClusterFile {
  readonly accel: Accelerator
  readonly accelReason: string
  readonly net: ClusterNet
  readonly image: BaseImage
  readonly arch: 'x86_64' | 'aarch64'
}

/** <clusterDir>/nodes/<node>/qemu.json. */
export interface QemuNodeFile {
  readonly vm: string
  readonly address: string
  readonly prefix: number
  readonly natMac: string
  readonly labMac: string
  sshPort: number
  /** Control plane: the host port forwarded to the API server (cluster.json's apiServer port). */
  readonly apiPort?: number
  /** NodePorts and other forwards added later (kubelab node-port), re-applied at every boot. */
  forwards: HostForward[]
  readonly qmpSocket: string
  readonly instanceId: string
  readonly cpus: number
  readonly memoryMiB: number
}

export interface QemuProviderOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly cloudInitWait?: (target: SshTarget, o: CloudInitWaitOptions) => Promise<void>
  /** How long a powered-down guest may take to exit before it is killed (default 90 s, TCG 180 s). */
  readonly acpiWaitMs?: number
}

const API_GUEST_PORT = 6443

/** unix socket paths are limited to 104-108 bytes; a long cluster folder gets one in the temp folder. */
export function qmpSocketPath(nodeDir: string): string {
  const p = join(nodeDir, 'qmp.sock')
  if (Buffer.byteLength(p) <= 100) return p
  return join(tmpdir(), `kubelab-qmp-${createHash('sha256').update(nodeDir).digest('hex').slice(0, 16)}.sock`)
}

/** The last lines of a serial console log, for error messages. */
export function consoleTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no console output yet)'
  // Strip terminal escapes and carriage returns the guest's console writes.
  const text = readFileSync(file, 'latin1')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\r/g, '')
  const tail = text.trimEnd().split('\n').slice(-lines)
  return tail.length && tail.join('').trim() ? tail.join('\n') : '(no console output yet)'
}

/** Did the guest's console ever mention cloud-init? (Cloud images log it at boot.) */
export function consoleMentionsCloudInit(file: string): boolean {
  return existsSync(file) && /cloud-init/i.test(readFileSync(file, 'latin1'))
}

export class QemuProvider implements Provider {
  readonly name = 'qemu'
  readonly shipsNodeRuntime = true
  readonly startsNodesTogether = true
  private readonly env: NodeJS.ProcessEnv
  private readonly cloudInitWait: NonNullable<QemuProviderOptions['cloudInitWait']>
  private tools?: QemuTools
  private accelChoice?: AccelChoice

  constructor(private readonly opts: QemuProviderOptions = {}) {
    this.env = opts.env ?? process.env
    this.cloudInitWait = opts.cloudInitWait ?? waitForCloudInit
  }

  private async qemu(): Promise<QemuTools> {
    this.tools ??= await findQemu(this.env)
    return this.tools
  }

  async detect(): Promise<DetectResult> {
    try {
      const t = await this.qemu()
      return { available: true, version: `QEMU ${t.version} (${t.system})` }
    } catch (e) {
      this.tools = undefined
      return { available: false, problem: (e as Error).message }
    }
  }

  async preflight(home: string): Promise<PreflightCheck[]> {
    const t = await this.qemu()
    return [accelCheck(await this.accelerator()), await imageCheck(home, t.arch, this.env.KUBELAB_UBUNTU_IMAGE_BASE)]
  }

  /** The accelerator for this host, with a test boot where KVM looks usable (decided once per process). */
  async accelerator(log: (l: string) => void = () => {}, kernel?: string): Promise<AccelChoice> {
    if (this.accelChoice) return this.accelChoice
    const t = await this.qemu()
    const help = await runTool(t.system, ['-accel', 'help'], 20_000)
    let facts = readAccelFacts(parseAccelHelp(help.stdout))
    const pre = chooseAccelerator(facts)
    if (pre.accel === 'kvm' && t.arch === 'x86_64') {
      const k = probeKernel(kernel ?? this.env.KUBELAB_QEMU_PROBE_KERNEL)
      if (k) {
        log(`testing KVM with a short boot of ${k}`)
        facts = { ...facts, kvmProbe: await probeKvmBoot(t.system, k) }
      }
    }
    this.accelChoice = chooseAccelerator(facts)
    return this.accelChoice
  }

  private home(ctx: ProviderContext): string {
    return dirname(dirname(ctx.clusterDir))
  }

  private nodeDir(ctx: ProviderContext, node: NodeRecord): string {
    return join(ctx.clusterDir, 'nodes', node.name)
  }

  private clusterFile(ctx: ProviderContext): QemuClusterFile | undefined {
    const f = join(ctx.clusterDir, 'qemu.json')
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as QemuClusterFile) : undefined
  }

  readNodeFile(ctx: ProviderContext, node: NodeRecord): QemuNodeFile | undefined {
    const f = join(this.nodeDir(ctx, node), 'qemu.json')
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as QemuNodeFile) : undefined
  }

  private writeNodeFile(ctx: ProviderContext, node: NodeRecord, f: QemuNodeFile): void {
    writeFileSync(join(this.nodeDir(ctx, node), 'qemu.json'), `${JSON.stringify(f, null, 2)}\n`)
  }

  /** Image, accelerator and L2 bus: decided by the first node, then read back. */
  private async ensureCluster(ctx: ProviderContext): Promise<QemuClusterFile> {
    const have = this.clusterFile(ctx)
    if (have) return have
    const t = await this.qemu()
    const image = await ensureBaseImage({
      image: ctx.settings.image,
      arch: t.arch,
      cacheDir: join(this.home(ctx), 'images', 'qemu'),
      qemuImg: t.img,
      log: (l) => ctx.log(l),
      ubuntuBaseUrl: this.env.KUBELAB_UBUNTU_IMAGE_BASE,
    })
    const accel = await this.accelerator((l) => ctx.log(l))
    ctx.log(`accelerator: ${accel.reason}`)
    const file: QemuClusterFile = { accel: accel.accel, accelReason: accel.reason, net: newClusterNet(ctx.settings.qemuSubnet), image, arch: t.arch }
    writeFileSync(join(ctx.clusterDir, 'qemu.json'), `${JSON.stringify(file, null, 2)}\n`)
    return file
  }

  async createNode(ctx: ProviderContext, node: NodeRecord): Promise<NodeRecord> {
    const cluster = await this.ensureCluster(ctx)
    const dir = this.nodeDir(ctx, node)
    const disk = join(dir, 'disk.qcow2')
    const vm = qemuVmName(ctx.clusterName, node.name)
    if (this.readNodeFile(ctx, node) && existsSync(disk)) {
      ctx.log(`${vm}: exists, reusing it`)
      await this.launch(ctx, node)
      return { ...node, machine: vm, state: 'running' }
    }
    const t = await this.qemu()
    mkdirSync(dir, { recursive: true })
    const index = Math.max(
      0,
      ctx.nodes.findIndex((n) => n.name === node.name),
    )
    const plan = planNodeNet(ctx.clusterName, cluster.net, index)
    const key: ClusterKey = clusterKey(ctx.clusterDir, ctx.clusterName)
    const instanceId = writeSeedIso(join(dir, 'seed.iso'), {
      userData: renderUserData({
        clusterName: ctx.clusterName,
        hostname: node.name,
        authorizedKeys: [key.publicKey],
        ...(ctx.settings.installPackages === 'false' ? { installPackages: false } : {}),
      }),
      hostname: node.name,
      instanceIdPrefix: `kubelab-${ctx.clusterName}-${node.name}`,
      networkConfig: renderNetworkConfig({ natMac: plan.natMac, hostOnlyMac: plan.labMac, address: `${plan.address}/${plan.prefix}` }),
    })
    const diskMiB = toMegabytes(ctx.settings.disk ?? '20Gi')
    ctx.log(`${vm}: copy-on-write disk on ${cluster.image.path} (${Math.round(diskMiB / 1024)} GiB)`)
    rmSync(disk, { force: true })
    await createOverlay(t.img, cluster.image, disk, diskMiB)
    const file: QemuNodeFile = {
      vm,
      address: plan.address,
      prefix: plan.prefix,
      natMac: plan.natMac,
      labMac: plan.labMac,
      sshPort: await freeLocalPort(),
      ...(node.role === 'control-plane' ? { apiPort: await this.apiForwardPort(ctx, node) } : {}),
      forwards: [],
      qmpSocket: qmpSocketPath(dir),
      instanceId,
      cpus: Math.max(1, Math.ceil(Number(ctx.settings.cpu ?? '2')) || 1),
      memoryMiB: toMegabytes(ctx.settings.memory ?? '2Gi'),
    }
    this.writeNodeFile(ctx, node, file)
    await this.launch(ctx, node)
    return { ...node, machine: vm, state: 'running' }
  }

  private files(ctx: ProviderContext, node: NodeRecord): { pid: string; console: string; disk: string; seed: string } {
    const d = this.nodeDir(ctx, node)
    return { pid: join(d, 'qemu.pid'), console: join(d, 'console.log'), disk: join(d, 'disk.qcow2'), seed: join(d, 'seed.iso') }
  }

  /** The running QEMU's pid, when there is one (a stale pidfile or a recycled pid does not count). */
  private runningPid(ctx: ProviderContext, node: NodeRecord): number | undefined {
    const f = this.files(ctx, node)
    const pid = readPid(f.pid)
    return pid !== undefined && isOurProcess(pid, [f.pid]) ? pid : undefined
  }

  /** Boots the node's QEMU unless it runs (does not wait for the guest). */
  private async launch(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    if (this.runningPid(ctx, node) !== undefined) return
    const cluster = this.clusterFile(ctx)
    const nf = this.readNodeFile(ctx, node)
    if (!cluster || !nf)
      throw new Error(`node ${node.name} of cluster ${ctx.clusterName} has no qemu.json: its VM was never created; run kubelab create ${ctx.clusterName} again`)
    const t = await this.qemu()
    const f = this.files(ctx, node)
    if (!existsSync(f.disk)) throw new Error(`the disk of node ${node.name} (${f.disk}) is gone: delete the cluster and create it again`)
    rmSync(f.pid, { force: true })
    rmSync(nf.qmpSocket, { force: true })
    for (let attempt = 1; ; attempt++) {
      const forwards: HostForward[] = [
        { hostPort: nf.sshPort, guestPort: 22 },
        ...(nf.apiPort ? [{ hostPort: nf.apiPort, guestPort: API_GUEST_PORT }] : []),
        ...nf.forwards,
      ]
      const args = buildQemuArgs({
        arch: cluster.arch,
        accel: cluster.accel,
        name: nf.vm,
        cpus: nf.cpus,
        memoryMiB: nf.memoryMiB,
        disk: f.disk,
        seed: f.seed,
        consoleLog: f.console,
        qmpSocket: nf.qmpSocket,
        pidFile: f.pid,
        natMac: nf.natMac,
        labMac: nf.labMac,
        mcastGroup: cluster.net.mcastGroup,
        mcastPort: cluster.net.mcastPort,
        forwards,
        firmware: this.env.KUBELAB_QEMU_FIRMWARE,
      })
      const r = await runTool(t.system, args, 120_000)
      if (r.code === 0) break
      const msg = (r.stderr || r.stdout).trim()
      // The SSH port was taken meanwhile (QEMU gives no reason, QEMU.md §8): pick another once or twice.
      if (/Could not set up host forwarding rule/.test(msg) && msg.includes(`:${nf.sshPort}-`) && attempt < 3) {
        nf.sshPort = await freeLocalPort()
        this.writeNodeFile(ctx, node, nf)
        continue
      }
      const busy = /Could not set up host forwarding rule/.test(msg)
        ? ': a host port it forwards is in use by another program; free it or delete and recreate the cluster'
        : ''
      throw new Error(`QEMU did not start node ${node.name} (${t.system} exit ${r.code}): ${msg}${busy}`)
    }
    ctx.log(
      `${nf.vm}: booting with ${cluster.accel.toUpperCase()}${cluster.accel === 'tcg' ? ' (slow software emulation)' : ''}; SSH 127.0.0.1:${nf.sshPort}${nf.apiPort ? `, API server 127.0.0.1:${nf.apiPort}` : ''}, lab0 ${nf.address}; console ${f.console}`,
    )
  }

  async start(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await this.launch(ctx, node)
    if (node.role === 'control-plane') await this.ensureApiLb(ctx)
    await this.waitGuest(ctx, node)
  }

  /**
   * The host port forwarded to a control plane's API server: the cluster's API server port when
   * there is one control plane; with several, a port of each one's own (the cluster's port is
   * then the host balancer's, over these forwards).
   */
  private async apiForwardPort(ctx: ProviderContext, node: NodeRecord): Promise<number> {
    if (!hasSeveralControlPlanes(ctx)) return ctx.ports.apiServer ?? (await freeLocalPort())
    const taken = new Set([
      ctx.ports.apiServer,
      ...controlPlaneNodes(ctx)
        .filter((n) => n.name !== node.name)
        .map((n) => this.readNodeFile(ctx, n)?.apiPort),
    ])
    for (;;) {
      const p = await freeLocalPort()
      if (!taken.has(p)) return p
    }
  }

  /**
   * Several control planes: the nodes reach the API servers through their own kubelab-api-lb
   * (each VM's lab0 address), and the host through a balancer on 127.0.0.1:apiServer port over
   * each control plane's API server forward (QEMU's user networking needs no root on the host).
   */
  readonly nodeApiLb = true

  async haApiEndpoint(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined> {
    return vmHostApiEndpoint(ctx)
  }

  /** The host balancer's listen address and backends (every control plane's API forward), when it has one. */
  async hostApiLbPlan(ctx: ProviderContext): Promise<{ listen: string; backends: string[] } | undefined> {
    const ep = await this.haApiEndpoint(ctx)
    if (!ep) return undefined
    const backends = controlPlaneNodes(ctx).flatMap((n) => {
      const port = this.readNodeFile(ctx, n)?.apiPort
      return port ? [`127.0.0.1:${port}`] : []
    })
    return { listen: `${ep.host}:${ep.port}`, backends }
  }

  private async ensureApiLb(ctx: ProviderContext): Promise<void> {
    const plan = await this.hostApiLbPlan(ctx)
    if (plan) await ensureHostApiLb(ctx, plan.listen, plan.backends)
  }

  /** The balancer stops with the last running control-plane VM. */
  private async stopApiLbWithLast(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await stopVmHostApiLbWithLast(ctx, node, (n) => this.runningPid(ctx, n) !== undefined)
  }

  /** SSH through the forward, then cloud-init; a VM that never answers is explained from its console. */
  private async waitGuest(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const target = await this.sshTarget(ctx, node)
    const nf = this.readNodeFile(ctx, node)
    if (!target || !nf) throw new Error(`node ${node.name} has no qemu.json: create it again`)
    const slow = this.clusterFile(ctx)?.accel === 'tcg'
    const sshWaitMs = Number(ctx.settings.sshWaitMs ?? 0) || (slow ? 25 : 5) * 60_000
    const f = this.files(ctx, node)
    try {
      await this.cloudInitWait(target, { node: node.name, log: (l) => ctx.log(l), sshWaitMs, limitMs: (slow ? 40 : 15) * 60_000 })
    } catch (e) {
      const msg = (e as Error).message
      if (!/cloud-init/.test(msg) || this.runningPid(ctx, node) === undefined) {
        const alive = this.runningPid(ctx, node) !== undefined
        const why = !alive
          ? `its QEMU process is gone`
          : !consoleMentionsCloudInit(f.console)
            ? `the console shows no cloud-init at all: the image may have no cloud-init (use a cloud image, e.g. Ubuntu's *-server-cloudimg-*.img), or it did not boot`
            : /authentication|permission denied/i.test(msg)
              ? `the guest booted but sshd did not accept the cluster key (cloud-init may not have applied the seed's user-data)`
              : `the guest is still booting or sshd never started${slow ? ' (TCG emulation is slow: on a busy host a boot can take many minutes)' : ''}`
        throw new Error(
          `node ${node.name} (${nf.vm}) never answered SSH on 127.0.0.1:${nf.sshPort} (${msg}): ${why}.\nSerial console log: ${f.console}; its last lines:\n${consoleTail(f.console)}`,
        )
      }
      throw e
    }
  }

  /** TCG emulates every instruction: commands in the guest take several times longer. */
  timeoutScale(ctx: ProviderContext): number {
    return this.clusterFile(ctx)?.accel === 'tcg' ? 4 : 1
  }

  async stop(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await this.stopMachine(ctx, node)
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  private async stopMachine(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const pid = this.runningPid(ctx, node)
    const nf = this.readNodeFile(ctx, node)
    const f = this.files(ctx, node)
    if (pid === undefined || !nf) return this.cleanRuntime(ctx, node)
    const t0 = Date.now()
    const limit = this.opts.acpiWaitMs ?? (this.clusterFile(ctx)?.accel === 'tcg' ? 180_000 : 90_000)
    try {
      await qmpCommand(nf.qmpSocket, 'system_powerdown')
      ctx.log(`${nf.vm}: ACPI power-off sent; waiting for the guest to shut down`)
      while (Date.now() - t0 < limit && isOurProcess(pid, [f.pid])) await new Promise((r) => setTimeout(r, 500))
    } catch (e) {
      ctx.log(`${nf.vm}: ACPI power-off could not be sent (${(e as Error).message})`)
    }
    if (isOurProcess(pid, [f.pid])) {
      ctx.log(`${nf.vm}: no clean shutdown after ${formatElapsed(Date.now() - t0)}; stopping QEMU`)
      await qmpCommand(nf.qmpSocket, 'quit').catch(() => undefined)
      await terminate(pid, [f.pid], 5000)
    } else {
      ctx.log(`${nf.vm}: shut down after ${formatElapsed(Date.now() - t0)}`)
    }
    this.cleanRuntime(ctx, node)
  }

  /** Pidfile and QMP socket stay behind after a kill (QEMU.md §5). */
  private cleanRuntime(ctx: ProviderContext, node: NodeRecord): void {
    const nf = this.readNodeFile(ctx, node)
    rmSync(this.files(ctx, node).pid, { force: true })
    if (nf) rmSync(nf.qmpSocket, { force: true })
  }

  async delete(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const pid = this.runningPid(ctx, node)
    const nf = this.readNodeFile(ctx, node)
    const f = this.files(ctx, node)
    if (pid !== undefined) {
      if (nf) await qmpCommand(nf.qmpSocket, 'quit').catch(() => undefined)
      await terminate(pid, [f.pid], 5000)
    }
    this.cleanRuntime(ctx, node)
    for (const p of [f.disk, f.seed, f.console, join(this.nodeDir(ctx, node), 'qemu.json')]) rmSync(p, { force: true })
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  async list(ctx: ProviderContext): Promise<NodeStatusReport[]> {
    return ctx.nodes.map((n) => ({
      name: n.name,
      state: this.runningPid(ctx, n) !== undefined ? 'running' : this.readNodeFile(ctx, n) ? 'stopped' : 'unknown',
    }))
  }

  async address(ctx: ProviderContext, node: NodeRecord): Promise<string | undefined> {
    return this.readNodeFile(ctx, node)?.address
  }

  async sshTarget(ctx: ProviderContext, node: NodeRecord): Promise<SshTarget | undefined> {
    const f = this.readNodeFile(ctx, node)
    if (!f) return undefined
    return vmSshTarget(ctx, node.name, clusterKey(ctx.clusterDir, ctx.clusterName), '127.0.0.1', f.sshPort)
  }

  async apiServerEndpoint(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined> {
    if (hasSeveralControlPlanes(ctx)) return this.haApiEndpoint(ctx)
    const cp = ctx.nodes.find((n) => n.role === 'control-plane')
    const port = cp ? this.readNodeFile(ctx, cp)?.apiPort : undefined
    return port ? { host: '127.0.0.1', port } : undefined
  }

  /**
   * Makes 127.0.0.1:hostPort on the host reach `guestPort` on `node` (a NodePort: the service
   * proxy answers it on every node). Added live through QMP and kept in qemu.json for later boots.
   */
  async forwardPort(ctx: ProviderContext, node: NodeRecord, guestPort: number, hostPort?: number): Promise<number> {
    const nf = this.readNodeFile(ctx, node)
    if (!nf) throw new Error(`node ${node.name} has no qemu.json: create it again`)
    const have = nf.forwards.find((f) => f.guestPort === guestPort)
    if (have && (hostPort === undefined || have.hostPort === hostPort)) return have.hostPort
    const port = hostPort ?? (await freeLocalPort())
    if (this.runningPid(ctx, node) !== undefined) {
      if (have) await humanMonitor(nf.qmpSocket, `hostfwd_remove net0 tcp:127.0.0.1:${have.hostPort}`).catch(() => undefined)
      await humanMonitor(nf.qmpSocket, `hostfwd_add net0 tcp:127.0.0.1:${port}-:${guestPort}`)
    }
    nf.forwards = [...nf.forwards.filter((f) => f.guestPort !== guestPort), { hostPort: port, guestPort }]
    this.writeNodeFile(ctx, node, nf)
    return port
  }
}
