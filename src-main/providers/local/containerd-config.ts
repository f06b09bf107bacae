// The one renderer of a private containerd's config.toml (CRI plugin on, every path under a
// folder of its own). Used by the local provider for its nodes and by the e2e test helper for
// its test nodes; they differ only in the options below. Also the overlayfs probe both need.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export interface ContainerdConfigOptions {
  /** containerd's persistent root (content, snapshots, metadata). */
  readonly root: string
  /** Its state folder (sockets of shims, task bundles). */
  readonly state: string
  /** The gRPC socket; the ttrpc socket is `<socket>.ttrpc`. */
  readonly socket: string
  /** The `opt` plugin's folder. */
  readonly optDir: string
  /** runc's state root (where it keeps container state). */
  readonly runcRoot: string
  /** Where the CRI plugin reads CNI network configs. */
  readonly cniConfDir: string
  readonly snapshotter: string
  /** Image the CRI plugin runs as each pod's sandbox. */
  readonly sandboxImage: string
  /** Address the CRI streaming server (exec/attach/port-forward) listens on; its port is picked free. */
  readonly streamAddress: string
  /**
   * Mount pod network namespaces under the state folder instead of /run/netns, so they never
   * show in the host's `ip netns` (local nodes: they are part of a node, not of the host).
   */
  readonly netnsMountsUnderState: boolean
  /** First comment line: who wrote the file. */
  readonly writtenBy?: string
}

export function renderContainerdConfig(opts: ContainerdConfigOptions): string {
  return `# ${opts.writtenBy ?? 'Written by KubeLab.'}
version = 2
root = "${opts.root}"
state = "${opts.state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${opts.socket}"

[ttrpc]
  address = "${opts.socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${opts.optDir}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${opts.sandboxImage}"
${opts.netnsMountsUnderState ? '  netns_mounts_under_state_dir = true\n' : ''}  disable_apparmor = true
  stream_server_address = "${opts.streamAddress}"
  stream_server_port = "0"
  enable_selinux = false
  # sandboxed hosts (and CI) may forbid lowering oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "${opts.snapshotter}"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "${opts.runcRoot}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${opts.cniConfDir}"
    max_conf_num = 1
`
}

/** overlayfs cannot stack on every filesystem (e.g. inside some containers): probe it under `dir`. */
export function pickSnapshotter(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const probe = mkdtempSync(join(dir, '.ovl-'))
  const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((d) => join(probe, d)) as [string, string, string, string]
  for (const d of [l, u, w, m]) mkdirSync(d)
  try {
    const ok = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${l},upperdir=${u},workdir=${w}`, m], { stdio: 'ignore' }).status === 0
    if (ok) spawnSync('umount', [m], { stdio: 'ignore' })
    return ok ? 'overlayfs' : 'native'
  } finally {
    rmSync(probe, { recursive: true, force: true })
  }
}
