// A containerd per test node: own root/state/socket under a temp dir, running inside a network
// namespace the test creates (veth to a test bridge in the host namespace, addresses from
// 10.231.0.0/16). Everything is removed on stop(): processes, mounts, netns, veth, routes.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pickSnapshotter, renderContainerdConfig } from '../../src-main/providers/local/containerd-config'

const run = promisify(execFile)

export async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const r = await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 })
    return r.stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`)
  }
}

/** Runs and ignores failure (cleanup paths must go on). */
async function tryRun(cmd: string, args: string[]): Promise<void> {
  await run(cmd, args).catch(() => undefined)
}

export interface TestBridge {
  name: string
  /** Host-side address of the bridge, e.g. 10.231.0.1. */
  hostIp: string
  prefix: number
  remove(): Promise<void>
}

/** A Linux bridge in the host namespace that test nodes plug their veths into. */
export async function createTestBridge(name: string, hostCidr = '10.231.0.1/24'): Promise<TestBridge> {
  if (name.length > 15) throw new Error(`bridge name ${name} is longer than 15 characters`)
  const [hostIp, prefix] = hostCidr.split('/') as [string, string]
  await tryRun('ip', ['link', 'del', name])
  await sh('ip', ['link', 'add', name, 'type', 'bridge'])
  await sh('ip', ['addr', 'add', hostCidr, 'dev', name])
  await sh('ip', ['link', 'set', name, 'up'])
  return {
    name,
    hostIp,
    prefix: Number(prefix),
    async remove() {
      await tryRun('ip', ['link', 'del', name])
    },
  }
}

export interface ContainerdNodeOptions {
  bridge: TestBridge
  /** The node's address on the bridge, e.g. 10.231.0.2. */
  ip: string
  /** Image containerd runs as each pod's sandbox (must be loaded before pods start). */
  sandboxImage?: string
  /** When set, the host routes this pod CIDR to the node so in-process kubelets reach pod IPs. */
  podCidr?: string
  /** Keep the temp dir after stop (debugging). */
  keep?: boolean
}

export interface ContainerdNode {
  name: string
  socket: string
  netns: string
  ip: string
  root: string
  /** Where the CRI plugin reads CNI network configs. */
  cniConfDir: string
  snapshotter: string
  logFile: string
  /** Runs a command inside the node's network namespace. */
  exec(cmd: string, args: string[]): Promise<string>
  stop(): Promise<void>
}

import { spawnSync } from 'node:child_process'
function spawnSyncQuiet(cmd: string, args: string[]): number {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status ?? 1
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, child?: ChildProcess, log?: string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child && child.exitCode !== null) {
      throw new Error(`${what}: process exited with ${child.exitCode}\n${log && existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''}`)
    }
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: timed out after ${timeoutMs} ms\n${log && existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''}`)
}

/** Unmounts everything under dir, deepest first (containerd leaves shm, rootfs and netns mounts). */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length)
  for (const m of mounts) spawnSyncQuiet('umount', ['-l', m])
}

const CNI_RESULTS = '/var/lib/cni/results'

/**
 * Kills every process whose cgroup or command line mentions the marker (shims, runc, containers),
 * and removes the CNI result cache of the shims' sandboxes: a sandbox containerd never tore down
 * (containerd stopped first, as on a Ctrl-C) leaves `<network>-<sandbox id>-<interface>` there.
 */
async function killShims(root: string): Promise<void> {
  const out = await run('ps', ['-eo', 'pid=,args='])
    .then((r) => r.stdout)
    .catch(() => '')
  const sandboxes = new Set<string>()
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line)
    if (m && (m[2] as string).includes(root) && Number(m[1]) !== process.pid) {
      const id = /containerd-shim.* -id ([0-9a-f]{64})\b/.exec(m[2] as string)?.[1]
      if (id) sandboxes.add(id)
      try {
        process.kill(Number(m[1]), 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
  }
  if (!sandboxes.size || !existsSync(CNI_RESULTS)) return
  for (const f of readdirSync(CNI_RESULTS)) if ([...sandboxes].some((id) => f.includes(`-${id}-`))) rmSync(join(CNI_RESULTS, f), { force: true })
}

export async function startContainerdNode(name: string, opts: ContainerdNodeOptions): Promise<ContainerdNode> {
  if (!/^[a-z0-9-]{1,10}$/.test(name)) throw new Error(`test node name ${name}: use 1-10 of [a-z0-9-] (it names a netns and veth)`)
  const root = mkdtempSync(join(tmpdir(), `kubelab-ctrd-${name}-`))
  const netns = `klt-${name}-${process.pid % 100000}`
  const vethHost = `kv${name}${process.pid % 1000}`.slice(0, 15)
  const sock = join(root, 'containerd.sock')
  const cniConfDir = join(root, 'cni', 'net.d')
  const logFile = join(root, 'containerd.log')
  mkdirSync(cniConfDir, { recursive: true })
  const snapshotter = pickSnapshotter(root)
  let child: ChildProcess | undefined
  let hostRoute = false
  // Sandbox netns this node's containerd makes live in /run/netns (cni-<uuid>); a test that
  // never removed its sandbox through CRI would leave them, so stop() removes the new ones.
  // (e2e files run one at a time, so no other test makes cni-* netns meanwhile.)
  const netnsDir = '/run/netns'
  const listNetns = (): string[] => (existsSync(netnsDir) ? readdirSync(netnsDir) : [])
  const netnsBefore = new Set(listNetns())

  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM')
      await waitFor(() => child!.exitCode !== null, 'containerd stop', 5000).catch(() => child!.kill('SIGKILL'))
    }
    await killShims(root)
    for (const ns of listNetns()) if (ns.startsWith('cni-') && !netnsBefore.has(ns)) await tryRun('ip', ['netns', 'del', ns])
    // CNI's network namespaces for sandboxes are mounted under the state dir; pod netns go with them
    unmountUnder(root)
    if (hostRoute && opts.podCidr) await tryRun('ip', ['route', 'del', opts.podCidr, 'via', opts.ip])
    await tryRun('ip', ['link', 'del', vethHost])
    await tryRun('ip', ['netns', 'del', netns])
    if (!opts.keep) rmSync(root, { recursive: true, force: true })
  }

  try {
    await tryRun('ip', ['netns', 'del', netns])
    await tryRun('ip', ['link', 'del', vethHost])
    await sh('ip', ['netns', 'add', netns])
    await sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns])
    await sh('ip', ['link', 'set', vethHost, 'master', opts.bridge.name, 'up'])
    const nx = (args: string[]): Promise<string> => sh('ip', ['netns', 'exec', netns, ...args])
    await nx(['ip', 'addr', 'add', `${opts.ip}/${opts.bridge.prefix}`, 'dev', 'eth0'])
    await nx(['ip', 'link', 'set', 'eth0', 'up'])
    await nx(['ip', 'link', 'set', 'lo', 'up'])
    await nx(['ip', 'route', 'add', 'default', 'via', opts.bridge.hostIp])
    await nx(['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    if (opts.podCidr) {
      await sh('ip', ['route', 'add', opts.podCidr, 'via', opts.ip])
      hostRoute = true
    }
    const config = join(root, 'config.toml')
    // Same renderer as the local provider; test nodes keep pod netns in /run/netns (tests look there).
    writeFileSync(
      config,
      renderContainerdConfig({
        writtenBy: 'Written by the KubeLab e2e helper for one test node.',
        root: join(root, 'lib'),
        state: join(root, 'run'),
        socket: sock,
        optDir: join(root, 'opt'),
        runcRoot: join(root, 'runc'),
        cniConfDir,
        snapshotter,
        sandboxImage: opts.sandboxImage ?? 'kubelab.local/pause:1',
        streamAddress: opts.ip,
        netnsMountsUnderState: false,
      }),
    )
    const fd = openSync(logFile, 'a')
    // nsenter joins only the network namespace: `ip netns exec` would also remount /sys and
    // hide the cgroup mounts runc needs
    child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'containerd', '--config', config, '--log-level', 'info'], { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    await waitFor(() => existsSync(sock), `containerd for test node ${name}`, 20_000, child, logFile)
    await waitFor(
      async () =>
        await run('ctr', ['-a', sock, 'version'])
          .then(() => true)
          .catch(() => false),
      `containerd for test node ${name} answering`,
      20_000,
      child,
      logFile,
    )
  } catch (err) {
    await stop()
    throw err
  }
  return {
    name,
    socket: sock,
    netns,
    ip: opts.ip,
    root,
    cniConfDir,
    snapshotter,
    logFile,
    exec: (cmd, args) => sh('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args]),
    stop,
  }
}

/** A minimal bridge + host-local CNI config for a node (until the network module provides one). */
export function writeBridgeCniConf(node: ContainerdNode, podCidr: string, bridgeName = 'cni0'): string {
  const gw = podCidr.replace(/\.0\/\d+$/, '.1')
  const conf = {
    cniVersion: '0.4.0',
    name: 'kubelab-test',
    plugins: [
      {
        type: 'bridge',
        bridge: bridgeName,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podCidr, gateway: gw }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(node.root, 'cni-ipam') },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }
  const path = join(node.cniConfDir, '10-kubelab-test.conflist')
  writeFileSync(path, JSON.stringify(conf, null, 2))
  return path
}

/** Removes a cgroup (cgroupfs path like /kubelab-test-123) and its empty children in every hierarchy. */
export function removeCgroupTree(cgroupPath: string): void {
  const roots = ['/sys/fs/cgroup', ...(existsSync('/sys/fs/cgroup/memory') ? readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d)) : [])]
  for (const r of roots) {
    const top = join(r, cgroupPath)
    if (!existsSync(top)) continue
    const dirs: string[] = []
    const walk = (d: string): void => {
      dirs.push(d)
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
    }
    try {
      walk(top)
    } catch {
      continue
    }
    // Processes still inside (containers whose runtime was killed before it stopped them: a
    // Ctrl-C reaches containerd with the rest of the process group) keep their cgroups alive.
    const procs = (): number[] =>
      dirs.flatMap((d) => {
        try {
          return readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
        } catch {
          return []
        }
      })
    const wait = new Int32Array(new SharedArrayBuffer(4))
    for (let i = 0; i < 60; i++) {
      const left = procs().filter((pid) => pid !== process.pid)
      if (!left.length) break
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          /* already gone */
        }
      }
      Atomics.wait(wait, 0, 0, 50)
    }
    for (const d of dirs.sort((a, b) => b.length - a.length)) spawnSyncQuiet('rmdir', [d])
  }
}
