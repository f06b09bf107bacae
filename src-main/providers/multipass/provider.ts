// The `multipass` provider: one Ubuntu LTS VM per node, made one at a time, reached over SSH
// as the `kubelab` user with the cluster's key. Each node's last known address is kept in
// nodes/<node>/multipass.json so a change after a restart (DHCP drift, canonical/multipass#3792,
// #1501) is noticed and reported instead of surfacing later as TLS errors.
// Several control planes: the host runs the API balancer on 127.0.0.1 (api-lb-host.ts) over the
// control-plane VMs' addresses, started with any control-plane VM and stopped with the last;
// each VM runs its own (kubelab-api-lb) for its agents, and etcd peers go by node name.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { hasSeveralControlPlanes, pointVmHostApiLb, stopVmHostApiLbWithLast, vmHostApiEndpoint } from '../api-lb-host'
import { clusterKey, vmSshTarget, type ClusterKey } from '../cloud-init/cluster-key'
import { waitForCloudInit, type CloudInitWaitOptions } from '../cloud-init/status'
import { renderUserData } from '../cloud-init/user-data'
import type { AddressChange, DetectResult, NodeRecord, NodeStatusReport, Provider, ProviderContext, SshTarget } from '../types'
import { MultipassCli } from './cli'
import { MultipassError, classifyMultipass } from './errors'
import { compareVersions, isValidInstanceName, type MpListEntry, type MpState } from './parse'
import { formatElapsed, sleep as realSleep, type CommandRunner } from './run'

export interface MultipassProviderOptions {
  /** The multipass program (default $KUBELAB_MULTIPASS_BIN or "multipass"). */
  readonly bin?: string
  readonly runner?: CommandRunner
  readonly sleep?: (ms: number) => Promise<void>
  readonly now?: () => number
  /** Between polls while a VM boots (default 5 s). */
  readonly pollIntervalMs?: number
  /** Give up waiting for a VM after this long (default 15 min: heavy cloud-init took ~11 min, multipass#1525). */
  readonly waitLimitMs?: number
  readonly platform?: NodeJS.Platform
  /** Darwin kernel release major (24 = macOS 15); default from os.release(). */
  readonly darwinMajor?: number
  readonly key?: (ctx: ProviderContext) => ClusterKey
  /** Waits for cloud-init in a new VM over SSH (default `cloud-init status --wait`). */
  readonly cloudInitWait?: (target: SshTarget, o: CloudInitWaitOptions) => Promise<void>
}

interface NodeFile {
  vm: string
  address?: string
  previousAddress?: string
}

export const LAUNCH_TIMEOUT_S = 900
export const START_TIMEOUT_S = 600

/** Multipass names: letters, digits, hyphens; KubeLab prefixes kl-<cluster>-. */
export function vmName(clusterName: string, nodeName: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
  const name = `kl-${clean(clusterName)}-${clean(nodeName)}`.replace(/-{2,}/g, '-').slice(0, 60).replace(/-+$/, '')
  if (!isValidInstanceName(name))
    throw new Error(`cannot make a Multipass instance name from cluster ${clusterName} and node ${nodeName}: use letters, digits and hyphens`)
  return name
}

/** Kubernetes memory quantity ("2Gi", "512Mi", "2G") → Multipass size ("2048M"). */
export function toMultipassSize(quantity: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|k|M|G|T)?i?B?$/.exec(quantity.trim())
  if (!m) throw new Error(`size ${JSON.stringify(quantity)} is not understood: use e.g. 2Gi or 512Mi`)
  const mult: Record<string, number> = { '': 1 / 2 ** 20, K: 1 / 1024, k: 1 / 1024, Ki: 1 / 1024, M: 1, Mi: 1, G: 1024, Gi: 1024, T: 1024 ** 2, Ti: 1024 ** 2 }
  const mib = Math.ceil(Number(m[1]) * mult[m[2] ?? '']!)
  return `${mib}M`
}

function nodeState(s: MpState | undefined): NodeRecord['state'] {
  if (s === 'Running') return 'running'
  if (s === 'Stopped' || s === 'Suspended') return 'stopped'
  return 'unknown'
}

export class MultipassProvider implements Provider {
  readonly name = 'multipass'
  readonly shipsNodeRuntime = true
  readonly cli: MultipassCli
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number
  private readonly pollMs: number
  private readonly waitLimitMs: number
  private readonly platform: NodeJS.Platform
  private readonly darwinMajor: number
  private readonly key: (ctx: ProviderContext) => ClusterKey
  private readonly cloudInitWait: NonNullable<MultipassProviderOptions['cloudInitWait']>

  constructor(opts: MultipassProviderOptions = {}) {
    this.cli = new MultipassCli(opts.bin, opts.runner)
    this.sleep = opts.sleep ?? realSleep
    this.now = opts.now ?? Date.now
    this.pollMs = opts.pollIntervalMs ?? 5000
    this.waitLimitMs = opts.waitLimitMs ?? 15 * 60_000
    this.platform = opts.platform ?? process.platform
    this.darwinMajor = opts.darwinMajor ?? (this.platform === 'darwin' ? Number.parseInt(release(), 10) : 0)
    this.key = opts.key ?? ((ctx) => clusterKey(ctx.clusterDir, ctx.clusterName))
    this.cloudInitWait = opts.cloudInitWait ?? waitForCloudInit
  }

  async detect(): Promise<DetectResult> {
    let v
    try {
      v = await this.cli.version()
    } catch (e) {
      if (e instanceof MultipassError && e.failure.exitCode === 127) {
        return {
          available: false,
          problem: 'Multipass is not installed: get it from https://canonical.com/multipass/install (Linux: `sudo snap install multipass`), then re-check',
        }
      }
      return { available: false, problem: (e as Error).message }
    }
    const version = `multipass ${v.client}${v.platform ? `+${v.platform}` : ''}`
    if (!v.daemon) {
      return {
        available: false,
        version,
        problem:
          'the Multipass daemon (multipassd) is not reachable: start it (Linux `sudo snap restart multipass`; macOS `sudo launchctl kickstart -k system/com.canonical.multipassd`; Windows restart the Multipass service), then re-check',
      }
    }
    if (compareVersions(v.daemon, '1.13.0') < 0)
      return { available: false, version, problem: `Multipass ${v.daemon} is too old: KubeLab needs 1.13 or later (snapshots); update Multipass` }
    if (this.platform === 'darwin' && this.darwinMajor >= 24 && compareVersions(v.daemon, '1.14.1') < 0) {
      return {
        available: false,
        version,
        problem: `Multipass ${v.daemon} gives VMs no address on macOS 15 (canonical/multipass#3661): update to 1.14.1 or later`,
      }
    }
    try {
      const driver = await this.cli.getSetting('local.driver')
      if (driver === 'virtualbox') {
        return {
          available: false,
          version,
          problem:
            "Multipass uses its VirtualBox driver here, whose VMs get no reachable address: choose KubeLab's `virtualbox` provider instead (or `multipass set local.driver=hyperv` on Windows Pro)",
        }
      }
    } catch (e) {
      return { available: false, version, problem: (e as Error).message }
    }
    return { available: true, version }
  }

  private vm(ctx: ProviderContext, node: NodeRecord): string {
    return node.machine ?? vmName(ctx.clusterName, node.name)
  }

  private nodeFile(ctx: ProviderContext, node: NodeRecord): string {
    return join(ctx.clusterDir, 'nodes', node.name, 'multipass.json')
  }

  private readNodeFile(ctx: ProviderContext, node: NodeRecord): NodeFile | undefined {
    const f = this.nodeFile(ctx, node)
    if (!existsSync(f)) return undefined
    return JSON.parse(readFileSync(f, 'utf8')) as NodeFile
  }

  private writeNodeFile(ctx: ProviderContext, node: NodeRecord, data: NodeFile): void {
    const f = this.nodeFile(ctx, node)
    mkdirSync(join(ctx.clusterDir, 'nodes', node.name), { recursive: true })
    writeFileSync(f, `${JSON.stringify(data, null, 2)}\n`)
  }

  private async find(vm: string): Promise<MpListEntry | undefined> {
    return (await this.cli.list()).find((e) => e.name === vm)
  }

  /** Polls `list` until the VM is Running with an address, logging elapsed time. */
  private async waitRunning(ctx: ProviderContext, vm: string, why: string): Promise<string> {
    const started = this.now()
    ctx.log(`${vm}: ${why}; waiting until it is Running with an address`)
    for (;;) {
      const e = await this.find(vm)
      const elapsed = this.now() - started
      if (!e || e.state === 'Deleted')
        throw new Error(`${vm} disappeared while KubeLab waited for it to boot (after ${formatElapsed(elapsed)}): create the node again`)
      if (e.state === 'Running' && e.ipv4[0]) {
        ctx.log(`${vm}: Running at ${e.ipv4[0]} after ${formatElapsed(elapsed)}`)
        return e.ipv4[0]
      }
      if (elapsed >= this.waitLimitMs) {
        throw new Error(
          `${vm} is still ${e.state}${e.ipv4[0] ? '' : ' without an address'} after ${formatElapsed(elapsed)}: ` +
            (e.state === 'Unknown' || !e.ipv4[0]
              ? 'it got no address or SSH is blocked; on macOS allow /usr/libexec/bootpd in the firewall, check that no VPN routes the VM subnet, then restart the node'
              : 'the host may be overloaded; close programs and restart the node'),
        )
      }
      ctx.log(`${vm}: ${e.state}, ${formatElapsed(elapsed)} elapsed`)
      await this.sleep(this.pollMs)
    }
  }

  async createNode(ctx: ProviderContext, node: NodeRecord): Promise<NodeRecord> {
    const vm = this.vm(ctx, node)
    const existing = await this.find(vm)
    if (existing && existing.state !== 'Deleted') {
      ctx.log(`${vm}: exists (${existing.state}), reusing it`)
      if (existing.state !== 'Running') await this.start(ctx, { ...node, machine: vm })
      const address = await this.refreshAddress(ctx, { ...node, machine: vm })
      if (address)
        await this.cloudInitWait(vmSshTarget(ctx, node.name, this.key(ctx), address, 22), {
          node: node.name,
          log: (l) => ctx.log(l),
          limitMs: this.waitLimitMs,
        })
      return { ...node, machine: vm, state: address ? 'running' : 'unknown' }
    }
    if (existing) {
      // A deleted but unpurged instance still holds the name.
      ctx.log(`${vm}: a deleted instance holds the name; purging it`)
      await this.cli.run(['delete', '--purge', vm])
    }
    const key = this.key(ctx)
    const cloudInit = renderUserData({ clusterName: ctx.clusterName, hostname: node.name, authorizedKeys: [key.publicKey] })
    const started = this.now()
    ctx.log(`${vm}: launching Ubuntu ${ctx.settings.image ?? '24.04'} (one VM at a time; the first launch downloads ~0.6 GB)`)
    const r = await this.cli.launch({
      name: vm,
      image: ctx.settings.image ?? '24.04',
      cpus: Math.max(1, Math.ceil(Number(ctx.settings.cpu ?? '2')) || 1),
      memory: toMultipassSize(ctx.settings.memory ?? '2Gi'),
      disk: toMultipassSize(ctx.settings.disk ?? '20Gi'),
      timeoutSeconds: LAUNCH_TIMEOUT_S,
      cloudInit,
    })
    let address: string
    if (r.launched) {
      ctx.log(`${vm}: launched in ${formatElapsed(this.now() - started)}`)
      address = (await this.address(ctx, { ...node, machine: vm })) ?? (await this.waitRunning(ctx, vm, 'launched without an address yet'))
    } else {
      address = await this.waitRunning(ctx, vm, r.error.failure.message)
    }
    this.writeNodeFile(ctx, node, { vm, address })
    // Launch may return (or time out) before cloud-init has installed the packages: wait for it
    // here, bounded and with elapsed time, so provisioning never races apt.
    await this.cloudInitWait(vmSshTarget(ctx, node.name, key, address, 22), { node: node.name, log: (l) => ctx.log(l), limitMs: this.waitLimitMs })
    return { ...node, machine: vm, state: 'running' }
  }

  /**
   * Boots the VM (idempotent) and records its address, noting a change since the recorded one
   * (nodes/<node>/multipass.json) for `addressChanges`: the cluster manager repairs it.
   */
  async start(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await this.startMachine(ctx, node)
    // Several control planes: the host's balancer follows the VMs' current addresses.
    if (node.role === 'control-plane') await this.ensureApiLb(ctx)
  }

  /** Boots the VM (idempotent) and records its address, noting a change. */
  private async startMachine(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    const e = await this.find(vm)
    if (!e || e.state === 'Deleted') throw new Error(`Multipass has no instance ${vm} for node ${node.name}: it was deleted outside KubeLab; recreate the node`)
    if (e.state !== 'Running') {
      const r = await this.cli.raw(['start', vm, '--timeout', String(START_TIMEOUT_S)])
      if (r.code !== 0) {
        const err = new MultipassError('start', classifyMultipass(r.code, r.stderr))
        if (!err.failure.stillProvisioning) throw err
        await this.waitRunning(ctx, vm, err.failure.message)
      }
    }
    await this.refreshAddress(ctx, node)
  }

  /** Reads ipv4[0] and records it; logs and remembers a change since the last recorded address. */
  private async refreshAddress(ctx: ProviderContext, node: NodeRecord): Promise<string | undefined> {
    const vm = this.vm(ctx, node)
    const address = await this.address(ctx, node)
    const before = this.readNodeFile(ctx, node)
    if (address && before?.address && before.address !== address) {
      ctx.log(
        `${vm}: address changed from ${before.address} to ${address} (Multipass gives no fixed address; this happens after a reboot or sleep). ` +
          'KubeLab updates the node address and certificates (Repair); until then kubectl and other nodes may not reach it',
      )
      this.writeNodeFile(ctx, node, { vm, address, previousAddress: before.address })
    } else if (address && address !== before?.address) {
      this.writeNodeFile(ctx, node, { vm, address, ...(before?.previousAddress ? { previousAddress: before.previousAddress } : {}) })
    }
    return address
  }

  addressChanges(ctx: ProviderContext): AddressChange[] {
    return ctx.nodes.map((n) => this.addressChange(ctx, n)).filter((c): c is AddressChange => c !== undefined)
  }

  acknowledgeAddressChanges(ctx: ProviderContext): void {
    for (const n of ctx.nodes) this.acknowledgeAddressChange(ctx, n)
  }

  /** The address change noticed at the last start, if any (cleared by `acknowledgeAddressChange`). */
  addressChange(ctx: ProviderContext, node: NodeRecord): AddressChange | undefined {
    const f = this.readNodeFile(ctx, node)
    return f?.previousAddress && f.address ? { node: node.name, from: f.previousAddress, to: f.address } : undefined
  }

  /** Called once certificates and node addresses were repaired for the new address. */
  acknowledgeAddressChange(ctx: ProviderContext, node: NodeRecord): void {
    const f = this.readNodeFile(ctx, node)
    if (f?.previousAddress) this.writeNodeFile(ctx, node, { vm: f.vm, ...(f.address ? { address: f.address } : {}) })
  }

  async stop(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    await this.stopMachine(ctx, node)
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  private async stopMachine(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    const e = await this.find(vm)
    if (!e || e.state === 'Deleted' || e.state === 'Stopped') return
    const r = await this.cli.raw(['stop', vm])
    if (r.code === 0) return
    ctx.log(`${vm}: stop failed (${r.stderr.trim()}); forcing it off`)
    await this.cli.run(['stop', '--force', vm])
  }

  /**
   * Several control planes: the host's endpoint (a balancer on 127.0.0.1:apiServer port) over
   * every control-plane VM's API server; each node reaches them through its own kubelab-api-lb.
   */
  readonly nodeApiLb = true

  async haApiEndpoint(ctx: ProviderContext): Promise<{ host: string; port: number } | undefined> {
    return vmHostApiEndpoint(ctx)
  }

  /** Starts (or re-points) the host's balancer at the control planes' recorded addresses. */
  private async ensureApiLb(ctx: ProviderContext): Promise<void> {
    await pointVmHostApiLb(ctx, (n) => {
      const address = this.readNodeFile(ctx, n)?.address
      return address ? `${address}:6443` : undefined
    })
  }

  /** The balancer stops with the last running control-plane VM. */
  private async stopApiLbWithLast(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    if (!hasSeveralControlPlanes(ctx)) return
    const running = new Set((await this.cli.list()).filter((e) => e.state !== 'Stopped' && e.state !== 'Deleted').map((e) => e.name))
    await stopVmHostApiLbWithLast(ctx, node, (n) => running.has(this.vm(ctx, n)))
  }

  async delete(ctx: ProviderContext, node: NodeRecord): Promise<void> {
    const vm = this.vm(ctx, node)
    try {
      await this.cli.run(['delete', '--purge', vm])
    } catch (e) {
      if (!(e instanceof MultipassError && e.failure.kind === 'does-not-exist')) throw e
    }
    rmSync(this.nodeFile(ctx, node), { force: true })
    if (node.role === 'control-plane') await this.stopApiLbWithLast(ctx, node)
  }

  async list(ctx: ProviderContext): Promise<NodeStatusReport[]> {
    const all = await this.cli.list()
    return ctx.nodes.map((n) => ({ name: n.name, state: nodeState(all.find((e) => e.name === this.vm(ctx, n))?.state) }))
  }

  async address(ctx: ProviderContext, node: NodeRecord): Promise<string | undefined> {
    try {
      const info = await this.cli.info(this.vm(ctx, node))
      // ipv4[0] is the management address; later ones are cni0, docker0... (multipass#3933).
      return info.ipv4[0]
    } catch (e) {
      if (e instanceof MultipassError && e.failure.kind === 'does-not-exist') return undefined
      throw e
    }
  }

  async sshTarget(ctx: ProviderContext, node: NodeRecord): Promise<SshTarget | undefined> {
    const host = await this.address(ctx, node)
    if (!host) return undefined
    return vmSshTarget(ctx, node.name, this.key(ctx), host, 22)
  }
}
