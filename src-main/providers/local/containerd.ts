// A local node's containerd: config, root and state under the node's folder (so several nodes
// and the host's own containerd never share anything), socket at NODE/run/containerd/
// containerd.sock, started inside the node's network namespace. Pod network namespaces are
// mounted under the state folder, not /run/netns, so they never show in the host's `ip netns`.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, killAll, pidsMatching } from './host'

export interface NodeContainerd {
  readonly config: string
  readonly socket: string
  readonly pidFile: string
  readonly log: string
  readonly root: string
  readonly state: string
  readonly cniConfDir: string
}

export function containerdFiles(dir: string): NodeContainerd {
  return {
    config: join(dir, 'etc', 'containerd', 'config.toml'),
    socket: join(dir, 'run', 'containerd', 'containerd.sock'),
    pidFile: join(dir, 'run', 'containerd.pid'),
    log: join(dir, 'var', 'log', 'containerd.log'),
    root: join(dir, 'var', 'lib', 'containerd'),
    state: join(dir, 'run', 'containerd'),
    cniConfDir: join(dir, 'etc', 'cni', 'net.d'),
  }
}

/** overlayfs cannot stack on every filesystem (e.g. inside some containers): probe it. */
export function pickSnapshotter(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const probe = mkdtempSync(join(dir, '.ovl-'))
  const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((d) => join(probe, d)) as [string, string, string, string]
  for (const d of [l, u, w, m]) mkdirSync(d)
  const ok = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${l},upperdir=${u},workdir=${w}`, m], { stdio: 'ignore' }).status === 0
  if (ok) spawnSync('umount', [m], { stdio: 'ignore' })
  rmSync(probe, { recursive: true, force: true })
  return ok ? 'overlayfs' : 'native'
}

export function containerdConfig(f: NodeContainerd, o: { snapshotter: string; nodeIp: string; sandboxImage: string }): string {
  return `# Written by KubeLab's local provider for one node.
version = 2
root = "${f.root}"
state = "${f.state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${f.socket}"

[ttrpc]
  address = "${f.socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(f.root, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${o.sandboxImage}"
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "${o.nodeIp}"
  stream_server_port = "0"
  enable_selinux = false
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "${o.snapshotter}"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "${join(f.state, 'runc')}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${f.cniConfDir}"
    max_conf_num = 1
`
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  const n = Number(readFileSync(file, 'utf8').trim())
  return n > 0 && alive(n) ? n : undefined
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Starts containerd in `netns` unless it runs; waits (bounded) for its socket to answer. */
export async function startContainerd(dir: string, netns: string, nodeIp: string, sandboxImage: string): Promise<void> {
  const f = containerdFiles(dir)
  const pid = readPid(f.pidFile)
  if (pid && pidsMatching(f.config).includes(pid)) return
  for (const d of [join(dir, 'etc', 'containerd'), f.root, f.state, f.cniConfDir, join(dir, 'var', 'log')]) mkdirSync(d, { recursive: true })
  if (!existsSync(f.config)) writeFileSync(f.config, containerdConfig(f, { snapshotter: pickSnapshotter(join(dir, 'var', 'lib')), nodeIp, sandboxImage }))
  rmSync(f.socket, { force: true })
  const fd = openSync(f.log, 'a')
  // nsenter joins only the network namespace (`ip netns exec` would also remount /sys and hide
  // the cgroup mounts runc needs); setsid detaches it from the caller's session.
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'setsid', 'containerd', '--config', f.config], { stdio: ['ignore', fd, fd], detached: true })
  closeSync(fd)
  child.unref()
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    const cpid = pidsMatching(`containerd --config ${f.config}`).find((p) => !pidsMatching('nsenter').includes(p))
    if (cpid && existsSync(f.socket) && spawnSync('ctr', ['-a', f.socket, 'version'], { stdio: 'ignore', timeout: 5000 }).status === 0) {
      writeFileSync(f.pidFile, `${cpid}\n`)
      return
    }
    await sleep(100)
  }
  const tail = existsSync(f.log) ? readFileSync(f.log, 'utf8').trimEnd().split('\n').slice(-10).join('\n') : ''
  throw new Error(`containerd for local node (${netns}) did not answer on ${f.socket} within 30 s; its log ends:\n${tail}`)
}

/** Kills every pod's containers, then containerd and its shims (bounded). */
export async function stopContainerd(dir: string): Promise<void> {
  const f = containerdFiles(dir)
  const pid = readPid(f.pidFile)
  if (pid && existsSync(f.socket)) {
    // Container processes live in their own namespaces: only containerd can find them all.
    const tasks = spawnSync('ctr', ['-a', f.socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? ''
    for (const id of tasks.split('\n').filter(Boolean)) spawnSync('ctr', ['-a', f.socket, '-n', 'k8s.io', 'tasks', 'kill', '-a', '-s', 'SIGKILL', id], { stdio: 'ignore', timeout: 10_000 })
  }
  await killAll(pidsMatching(f.config), 10_000)
  // Shims carry the socket path in their arguments; they outlive containerd otherwise.
  await killAll(pidsMatching(f.socket), 5_000)
  rmSync(f.pidFile, { force: true })
}
