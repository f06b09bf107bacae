// The `local` provider (Linux, root): each node is a network namespace kl-<cluster>-<node>
// plugged by a veth into the host bridge kl-<cluster>, with an address from the cluster's
// 10.231.N.0/24, its own containerd and its own sshd accepting only the cluster key. The host
// reaches it over SSH exactly as it reaches a VM. Its "disk" is CLUSTER/nodes/NODE.
// Stop kills every process of the node (supervisor and components, containers, containerd,
// sshd) and keeps its files; delete also removes the namespace, veth, mounts and folder, and
// with the last node the bridge and the iptables chain. Deleting the whole cluster does all
// nodes at once (deleteAll) with one bounded grace.
// Several control-plane nodes: the host runs the API load balancer (provisioning/api-lb.mjs, as
// kind runs an haproxy container) on the bridge address HOST:6443, the stable endpoint every
// kubelet and proxy and the host's kubeconfig use. It starts with any control-plane node and
// stops with the last one.
import { podCgroup, removeCgroup } from '../../../src-cluster/kubelet/pod-cgroup'
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PAUSE_IMAGE } from '../../../provisioning/images/standard'
import { ensureClusterSshKey } from '../../ssh-provisioning/keys'
import { hostKeyPin } from '../../ssh-provisioning/host-keys'
import { apiLbFiles, ensureHostApiLb, hostApiLbPid, stopHostApiLb } from '../api-lb-host'
import type { DetectResult, NodeRecord, NodeStatusReport, Provider, ProviderContext, SshTarget } from '../types'
import { containerdFiles, startContainerd, stopContainerd } from './containerd'
import { alive, killAll, killAllAtOnce, linkExists, netnsList, netnsPids, pidsMatching, pidsMatchingAny, sh, trySh, unmountUnder } from './host'
import { ensureLayout, hostIp, layoutFile, releaseSubnet, loadBalancerPool, netnsName, nodeDir, nodeIp, readLayout, vethName, type LocalLayout } from './layout'
import { SSHD, startSshd, stopSshd } from './sshd'

/** unix sockets hold at most 107 bytes; containerd adds `.ttrpc` to its socket path. */
const SOCKET_MAX = 100

function layoutOf(ctx: ProviderContext): LocalLayout {
  return ensureLayout(
    ctx.clusterDir,
    ctx.clusterName,
    ctx.nodes.map((n) => n.name),
  )
}

/**
 * Nodes start side by side; what they share on the host (the bridge, its iptables chain, the API
 * load balancer) is made by one at a time.
 */
const hostLocks = new Map<string, Promise<unknown>>()
function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = hostLocks.get(key) ?? Promise.resolve()
  const next = prev.then(fn, fn)
  const tail = next.catch(() => undefined)
  hostLocks.set(key, tail)
  void tail.then(() => {
    if (hostLocks.get(key) === tail) hostLocks.delete(key)
  })
  return next
}

function ensureBridge(l: LocalLayout): Promise<void> {
  return oneAtATime(l.bridge, () => makeBridge(l))
}

async function makeBridge(l: LocalLayout): Promise<void> {
  if (!linkExists(l.bridge)) {
    await sh('ip', ['link', 'add', l.bridge, 'type', 'bridge'])
  }
  const addrs = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', l.bridge], { encoding: 'utf8' }).stdout ?? ''
  if (!addrs.includes(`${hostIp(l)}/24`)) await sh('ip', ['addr', 'add', `${hostIp(l)}/24`, 'dev', l.bridge])
  await sh('ip', ['link', 'set', l.bridge, 'up'])
  // With br_netfilter, traffic between nodes on the bridge passes the host's FORWARD chain:
  // accept it explicitly so a host firewall with policy DROP does not cut the cluster apart.
  if (!(await trySh('iptables', ['-w', '-S', l.chain]))) await sh('iptables', ['-w', '-N', l.chain])
  if (!(await trySh('iptables', ['-w', '-C', l.chain, '-i', l.bridge, '-j', 'ACCEPT'])))
    await sh('iptables', ['-w', '-A', l.chain, '-i', l.bridge, '-j', 'ACCEPT'])
  if (!(await trySh('iptables', ['-w', '-C', l.chain, '-o', l.bridge, '-j', 'ACCEPT'])))
    await sh('iptables', ['-w', '-A', l.chain, '-o', l.bridge, '-j', 'ACCEPT'])
  if (!(await trySh('iptables', ['-w', '-C', 'FORWARD', '-j', l.chain]))) await sh('iptables', ['-w', '-I', 'FORWARD', '1', '-j', l.chain])
}

async function removeBridge(l: LocalLayout): Promise<void> {
  while (await trySh('iptables', ['-w', '-D', 'FORWARD', '-j', l.chain])) {
    /* remove every jump, in case one was added twice */
  }
  await trySh('iptables', ['-w', '-F', l.chain])
  await trySh('iptables', ['-w', '-X', l.chain])
  await trySh('ip', ['link', 'del', l.bridge])
}

async function ensureNetns(l: LocalLayout, cluster: string, node: string): Promise<void> {
  const ns = netnsName(cluster, node)
  const veth = vethName(l, node)
  const ip = nodeIp(l, node)
  if (!netnsList().includes(ns)) await sh('ip', ['netns', 'add', ns])
  const nx = (args: string[]): Promise<string> => sh('ip', ['netns', 'exec', ns, ...args])
  const hasEth0 = spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'show', 'eth0'], { stdio: 'ignore' }).status === 0
  if (!hasEth0) {
    await trySh('ip', ['link', 'del', veth])
    await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
  }
  await sh('ip', ['link', 'set', veth, 'master', l.bridge, 'up'])
  const addrs = await nx(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])
  if (!addrs.includes(`${ip}/24`)) await nx(['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
  await nx(['ip', 'link', 'set', 'eth0', 'up'])
  await nx(['ip', 'link', 'set', 'lo', 'up'])
  const routes = await nx(['ip', '-4', 'route', 'show', 'default'])
  if (!routes.includes('default')) await nx(['ip', 'route', 'add', 'default', 'via', hostIp(l)])
  await nx(['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
}

function publicKey(ctx: ProviderContext): string {
  return ensureClusterSshKey(ctx.clusterDir, `kubelab-${ctx.clusterName}`).publicKey
}

/** Stops everything that runs for a node, in order: components, containers, containerd, sshd, stragglers. */
async function stopNode(ctx: ProviderContext, node: NodeRecord): Promise<void> {
  const dir = nodeDir(ctx.clusterDir, node.name)
  const ns = netnsName(ctx.clusterName, node.name)
  const supPid = Number(
    existsSync(join(dir, 'run', 'kubelab', 'supervisor.pid')) ? readFileSync(join(dir, 'run', 'kubelab', 'supervisor.pid'), 'utf8').trim() : 0,
  )
  if (supPid > 0 && alive(supPid)) await killAll([supPid], 20_000)
  // Components the supervisor could not stop, and anything started under the node's folder.
  await killAll(pidsMatching(join(dir, 'var', 'lib', 'kubelab')), 5000)
  await stopContainerd(dir)
  await stopSshd(dir)
  if (netnsList().includes(ns)) await killAll(netnsPids(ns), 5000)
  unmountUnder(dir)
  rmSync(join(dir, 'run', 'kubelab', 'supervisor.pid'), { force: true })
}

/** Port of the API load balancer on the host's bridge address (the API servers' own port). */
export const API_LB_PORT = 6443

function controlPlanes(ctx: ProviderContext): NodeRecord[] {
  return ctx.nodes.filter((n) => n.role === 'control-plane')
}

export { apiLbFiles }

async function ensureApiLb(ctx: ProviderContext, l: LocalLayout): Promise<void> {
  const cps = controlPlanes(ctx)
  if (cps.length < 2) return
  await ensureHostApiLb(
    ctx,
    `${hostIp(l)}:${API_LB_PORT}`,
    cps.map((n) => `${nodeIp(l, n.name)}:6443`),
  )
}

/** Whether another control-plane node's supervisor runs (the load balancer then stays). */
function otherControlPlaneUp(ctx: ProviderContext, except: string): boolean {
  return controlPlanes(ctx).some((n) => {
    if (n.name === except) return false
    const f = join(nodeDir(ctx.clusterDir, n.name), 'run', 'kubelab', 'supervisor.pid')
    const pid = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0
    return pid > 0 && alive(pid)
  })
}

/** How long a deleted cluster's processes get to exit on SIGTERM before SIGKILL. */
const DELETE_GRACE_MS = 2000

/** Container processes of a node, as its containerd lists its tasks (none when it does not answer). */
function taskPids(dir: string): Promise<number[]> {
  const f = containerdFiles(dir)
  if (!existsSync(f.socket)) return Promise.resolve([])
  return new Promise((resolve) => {
    execFile('ctr', ['-a', f.socket, '-n', 'k8s.io', 'tasks', 'ls'], { timeout: 3000 }, (err, stdout) => {
      if (err) return resolve([])
      const pids = String(stdout)
        .split('\n')
        .slice(1)
        .map((line) => Number(line.trim().split(/\s+/)[1]))
      resolve(pids.filter((p) => p > 0))
    })
  })
}

/**
 * Delete of the whole cluster at once: every process of every node (supervisors, components,
 * containerd, shims, containers, sshd, anything left in the node namespaces, the API load
 * balancer) is signalled together with one bounded grace (containers are killed at once: their
 * state goes with the cluster), then mounts, veths, namespaces, folders, bridge and chain go.
 */
/** Pods the node's kubelet has state for (`var/lib/kubelab/kubelet/pods/<uid>`). */
function podUids(nodeRoot: string): string[] {
  try {
    return readdirSync(join(nodeRoot, 'var', 'lib', 'kubelab', 'kubelet', 'pods')).filter((u) => /^[0-9a-f-]{36}$/.test(u))
  } catch {
    return []
  }
}

async function deleteCluster(ctx: ProviderContext, nodes: readonly NodeRecord[]): Promise<void> {
  const l = readLayout(ctx.clusterDir)
  const dirs = nodes.map((n) => nodeDir(ctx.clusterDir, n.name))
  const spaces = new Set(netnsList())
  const namespaces = nodes.map((n) => netnsName(ctx.clusterName, n.name)).filter((ns) => spaces.has(ns))
  const containers = (await Promise.all(dirs.map(taskPids))).flat()
  const lb = hostApiLbPid(ctx.clusterDir)
  // Every process started for a node carries its folder in its arguments (components, supervisor,
  // containerd and its shims, sshd); what runs in its namespace is its too.
  const procs = new Set([...pidsMatchingAny(dirs.map((d) => `${d}/`)), ...namespaces.flatMap(netnsPids), ...(lb ? [lb] : [])])
  await killAllAtOnce([...procs], containers, DELETE_GRACE_MS)
  // Stragglers started while the first signals went out (a supervisor's restart), and namespaces' last ones.
  const late = [...pidsMatchingAny(dirs.map((d) => `${d}/`)), ...namespaces.flatMap(netnsPids)]
  if (late.length) await killAllAtOnce([], late, 0)
  unmountUnder(ctx.clusterDir)
  // Killed pods never reach the kubelet's teardown: their pod cgroups (named after the pods the
  // node's kubelet still had on disk) go here, now that nothing runs in them.
  for (const d of dirs) for (const uid of podUids(d)) removeCgroup(podCgroup('/kubelab', uid))
  await Promise.all([
    ...(l ? nodes.filter((n) => l.hosts[n.name] !== undefined).map((n) => trySh('ip', ['link', 'del', vethName(l, n.name)])) : []),
    ...namespaces.map((ns) => sh('ip', ['netns', 'del', ns])),
  ])
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  rmSync(apiLbFiles(ctx.clusterDir).pid, { force: true })
  rmSync(apiLbFiles(ctx.clusterDir).status, { force: true })
  if (l) {
    await removeBridge(l)
    rmSync(layoutFile(ctx.clusterDir), { force: true })
    releaseSubnet(ctx.clusterDir, l)
  }
}

export const localProvider: Provider = {
  name: 'local',
  // Nodes are namespaces on this host: they start (containerd, sshd) side by side.
  startsNodesTogether: true,

  async detect(): Promise<DetectResult> {
    if (process.platform !== 'linux')
      return { available: false, problem: 'the local provider needs Linux (network namespaces): use multipass, virtualbox, qemu or simulated here' }
    if (typeof process.getuid === 'function' && process.getuid() !== 0)
      return {
        available: false,
        problem: 'the local provider needs root (it makes network namespaces, bridges and runs containerd): run kubelab as root, or use another provider',
      }
    const missing: string[] = []
    for (const [cmd, pkg] of [
      ['ip', 'iproute2'],
      ['iptables', 'iptables'],
      ['containerd', 'containerd'],
      ['ctr', 'containerd'],
      ['runc', 'runc'],
      ['nsenter', 'util-linux'],
      ['setsid', 'util-linux'],
    ] as const) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0) missing.push(`${cmd} (package ${pkg})`)
    }
    if (!existsSync(SSHD)) missing.push(`${SSHD} (package openssh-server)`)
    if (!existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge (package containernetworking-plugins)')
    if (missing.length) return { available: false, problem: `missing on this host: ${missing.join(', ')}; install them (apt-get install ...) and try again` }
    const v = spawnSync('containerd', ['--version'], { encoding: 'utf8' }).stdout?.trim().split(' ')[2] ?? '?'
    return { available: true, version: `containerd ${v}, node ${process.version}` }
  },

  async createNode(ctx, node) {
    const l = layoutOf(ctx)
    const dir = nodeDir(ctx.clusterDir, node.name)
    const sock = containerdFiles(dir).socket
    if (Buffer.byteLength(sock) > SOCKET_MAX)
      throw new Error(
        `the containerd socket path for node ${node.name} would be too long for a unix socket (${sock}): use a shorter cluster name or set KUBELAB_HOME to a shorter folder`,
      )
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    await ensureBridge(l)
    await ensureNetns(l, ctx.clusterName, node.name)
    return { ...node, machine: netnsName(ctx.clusterName, node.name) }
  },

  async start(ctx, node) {
    const l = layoutOf(ctx)
    const dir = nodeDir(ctx.clusterDir, node.name)
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    await ensureBridge(l)
    await ensureNetns(l, ctx.clusterName, node.name)
    const ns = netnsName(ctx.clusterName, node.name)
    if (node.role === 'control-plane') await oneAtATime(l.bridge, () => ensureApiLb(ctx, l))
    await startContainerd(dir, ns, nodeIp(l, node.name), PAUSE_IMAGE)
    startSshd(dir, ns, { ip: nodeIp(l, node.name), publicKey: publicKey(ctx), nodeBinary: process.execPath, pin: hostKeyPin(ctx.clusterDir, node.name) })
    // LoadBalancer addresses reach the cluster through the master, whose service proxy DNATs
    // them (nothing answers ARP for them on the bridge). The route goes with the bridge.
    if (node.role === 'control-plane') await sh('ip', ['route', 'replace', loadBalancerPool(l), 'via', nodeIp(l, node.name)])
    // A node that was stopped comes back with its components (as a VM's systemd would start them).
    const conf = join(dir, 'etc', 'kubelab', 'components.json')
    const sup = join(dir, 'var', 'lib', 'kubelab', 'bin', 'supervisor.mjs')
    const pidFile = join(dir, 'run', 'kubelab', 'supervisor.pid')
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0
    if (existsSync(conf) && existsSync(sup) && !(pid > 0 && alive(pid))) {
      mkdirSync(join(dir, 'var', 'log', 'kubelab'), { recursive: true })
      const r = spawnSync(
        'sh',
        [
          '-c',
          `nsenter --net=/run/netns/${ns} setsid "$0" "$1" "$2" >> "$3" 2>&1 < /dev/null &`,
          process.execPath,
          sup,
          conf,
          join(dir, 'var', 'log', 'kubelab', 'supervisor.log'),
        ],
        { stdio: 'ignore' },
      )
      if (r.status !== 0) throw new Error(`could not start the supervisor of node ${node.name}: see ${join(dir, 'var', 'log', 'kubelab', 'supervisor.log')}`)
      ctx.log(`node ${node.name}: supervisor started`)
    }
  },

  async stop(ctx, node) {
    await stopNode(ctx, node)
    if (node.role === 'control-plane' && !otherControlPlaneUp(ctx, node.name)) await stopHostApiLb(ctx)
  },

  async delete(ctx, node) {
    const l = readLayout(ctx.clusterDir)
    await stopNode(ctx, node)
    if (node.role === 'control-plane' && !otherControlPlaneUp(ctx, node.name)) await stopHostApiLb(ctx)
    const ns = netnsName(ctx.clusterName, node.name)
    if (l && l.hosts[node.name] !== undefined) await trySh('ip', ['link', 'del', vethName(l, node.name)])
    if (netnsList().includes(ns)) await sh('ip', ['netns', 'del', ns])
    const dir = nodeDir(ctx.clusterDir, node.name)
    unmountUnder(dir)
    rmSync(dir, { recursive: true, force: true })
    // The last node takes the cluster's bridge and firewall chain with it.
    const others = ctx.nodes.filter((n) => n.name !== node.name && netnsList().includes(netnsName(ctx.clusterName, n.name)))
    if (l && others.length === 0) {
      await removeBridge(l)
      rmSync(layoutFile(ctx.clusterDir), { force: true })
      releaseSubnet(ctx.clusterDir, l)
    }
  },

  async deleteAll(ctx, nodes) {
    await deleteCluster(ctx, nodes)
  },

  async list(ctx): Promise<NodeStatusReport[]> {
    const spaces = new Set(netnsList())
    return ctx.nodes.map((n) => {
      const dir = nodeDir(ctx.clusterDir, n.name)
      const ctrd = containerdFiles(dir)
      const up = spaces.has(netnsName(ctx.clusterName, n.name)) && existsSync(ctrd.pidFile) && alive(Number(readFileSync(ctrd.pidFile, 'utf8').trim()))
      return { name: n.name, state: up ? ('running' as const) : ('stopped' as const) }
    })
  },

  async address(ctx, node) {
    const l = readLayout(ctx.clusterDir)
    return l && l.hosts[node.name] !== undefined ? nodeIp(l, node.name) : undefined
  },

  async haApiEndpoint(ctx) {
    const l = readLayout(ctx.clusterDir)
    return l && controlPlanes(ctx).length > 1 ? { host: hostIp(l), port: API_LB_PORT } : undefined
  },

  loadBalancerPool(ctx) {
    const l = readLayout(ctx.clusterDir)
    return l ? loadBalancerPool(l) : undefined
  },

  async sshTarget(ctx, node): Promise<SshTarget | undefined> {
    const l = readLayout(ctx.clusterDir)
    if (!l || l.hosts[node.name] === undefined) return undefined
    const key = ensureClusterSshKey(ctx.clusterDir, `kubelab-${ctx.clusterName}`)
    return { host: nodeIp(l, node.name), port: 22, user: 'root', privateKeyFile: key.privateKeyFile, hostKey: hostKeyPin(ctx.clusterDir, node.name) }
  },
}

export { nodeDir, netnsName, bridgeName, readLayout } from './layout'
