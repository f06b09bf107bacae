// A local node's containerd: config, root and state under the node's folder (so several nodes
// and the host's own containerd never share anything), socket at NODE/run/containerd/
// containerd.sock, started inside the node's network namespace. Pod network namespaces are
// mounted under the state folder, not /run/netns, so they never show in the host's `ip netns`.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, killAll, pidsMatching } from './host'
import { pickSnapshotter, renderContainerdConfig } from './containerd-config'

export { pickSnapshotter } from './containerd-config'

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

/** The node's config.toml: every path under the node's folder, pod netns hidden from the host. */
export function containerdConfig(nodeContainerd: NodeContainerd, opts: { snapshotter: string; nodeIp: string; sandboxImage: string }): string {
  return renderContainerdConfig({
    writtenBy: "Written by KubeLab's local provider for one node.",
    root: nodeContainerd.root,
    state: nodeContainerd.state,
    socket: nodeContainerd.socket,
    optDir: join(nodeContainerd.root, 'opt'),
    runcRoot: join(nodeContainerd.state, 'runc'),
    cniConfDir: nodeContainerd.cniConfDir,
    snapshotter: opts.snapshotter,
    sandboxImage: opts.sandboxImage,
    streamAddress: opts.nodeIp,
    netnsMountsUnderState: true,
  })
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  const n = Number(readFileSync(file, 'utf8').trim())
  return n > 0 && alive(n) ? n : undefined
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Whether containerd answers on `socket` within `ms`. */
async function answers(socket: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (existsSync(socket) && spawnSync('ctr', ['-a', socket, 'version'], { stdio: 'ignore', timeout: 5000 }).status === 0) return true
    await sleep(200)
  }
  return false
}

/** Starts containerd in `netns` unless it runs; waits (bounded) for its socket to answer. */
export async function startContainerd(dir: string, netns: string, nodeIp: string, sandboxImage: string): Promise<void> {
  const f = containerdFiles(dir)
  const pid = readPid(f.pidFile)
  if (pid && pidsMatching(f.config).includes(pid)) return
  // One started by a run that was interrupted before it wrote the pid file: adopt it rather
  // than start a second containerd on the same root.
  const orphan = pidsMatching(`containerd --config ${f.config}`).find((p) => !pidsMatching('nsenter').includes(p))
  if (orphan && (await answers(f.socket, 10_000))) {
    writeFileSync(f.pidFile, `${orphan}\n`)
    return
  }
  if (orphan) await killAll([orphan], 10_000)
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
    for (const id of tasks.split('\n').filter(Boolean))
      spawnSync('ctr', ['-a', f.socket, '-n', 'k8s.io', 'tasks', 'kill', '-a', '-s', 'SIGKILL', id], { stdio: 'ignore', timeout: 10_000 })
  }
  await killAll(pidsMatching(f.config), 10_000)
  // Shims carry the socket path in their arguments; they outlive containerd otherwise.
  await killAll(pidsMatching(f.socket), 5_000)
  rmSync(f.pidFile, { force: true })
}
