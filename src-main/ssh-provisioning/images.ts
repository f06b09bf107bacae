// Images on nodes without a registry: the host builds OCI tarballs (the pause image containerd
// needs for every pod sandbox, and the busybox image labs and tests run) and each node imports
// them into its containerd's k8s.io namespace over SSH. `kubelab image load` uses the same
// import, so a provisioned node and a hand-loaded image go through one path.
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { basename, join, posix } from 'node:path'
import { busyboxImageSpec, pauseImageSpec, writeImage } from '../../provisioning/images'
import { nodePaths, shQuote } from './node-plan'
import type { SshSession } from './ssh'

export interface ImageTarball {
  readonly name: string
  readonly path: string
}

/** Builds (once per folder) the images every node gets: pause (the sandbox image) and busybox. */
export async function buildStandardImages(dir: string): Promise<ImageTarball[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const out: ImageTarball[] = []
  for (const spec of [pauseImageSpec(), busyboxImageSpec()]) {
    const path = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
    if (!existsSync(path) || statSync(path).size === 0) await writeImage(spec, `${path}`)
    out.push({ name: spec.name, path })
  }
  return out
}

/**
 * The shell that imports one uploaded tarball on a node. containerd's CRI plugin only sees
 * images unpacked into its own snapshotter, so the snapshotter named in the node's containerd
 * config is passed on (none named: containerd's default, which is also the CRI's).
 */
export function importCommand(root: string, remoteTar: string): string {
  const d = nodePaths(root)
  const conf = shQuote(d.containerdConfig)
  return [
    `SNAP=$(sed -n 's/^[[:space:]]*snapshotter[[:space:]]*=[[:space:]]*"\\([^"]*\\)".*/\\1/p' ${conf} 2>/dev/null | head -n 1)`,
    `ctr -a ${shQuote(d.containerdSocket)} -n k8s.io images import \${SNAP:+--snapshotter "$SNAP"} ${shQuote(remoteTar)}`,
    `rc=$?; rm -f ${shQuote(remoteTar)}; exit $rc`,
  ].join('; ')
}

/** Uploads a tarball to a node and imports it into its containerd; returns the image names. */
export async function importImageOnNode(
  sshSession: SshSession,
  root: string,
  tar: string,
  opts: { onLine?: (line: string) => void; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string[]> {
  const dir = posix.join(nodePaths(root).lib, 'images')
  const remote = posix.join(dir, basename(tar))
  await sshSession.run(`mkdir -p ${shQuote(dir)}`, { timeoutMs: 30_000, signal: opts.signal })
  await sshSession.upload([{ remote, local: tar, mode: 0o600 }], { signal: opts.signal })
  const r = await sshSession.run(importCommand(root, remote), { timeoutMs: opts.timeoutMs ?? 600_000, onLine: (l) => opts.onLine?.(l), signal: opts.signal })
  return [...r.stdout.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1]!)
}

/**
 * containerd's CRI takes the pod sandbox image from its own configuration (on a VM, the
 * distribution's default: registry.k8s.io/pause:3.x), never from the kubelet. Without a
 * registry that pull fails for every pod, so the pause image we imported is also tagged with
 * the name containerd asks for (1.x: sandbox_image = "…"; 2.x: sandbox = '…').
 */
export function tagSandboxImageCommand(pause: string): string {
  const q = shQuote(pause)
  return [
    `want=$(containerd config dump 2>/dev/null | grep -E '^[[:space:]]*sandbox(_image)?[[:space:]]*=' | head -n 1 | cut -d= -f2- | tr -d " \\"'")`,
    `if [ -n "$want" ] && [ "$want" != ${q} ]; then ctr -n k8s.io images tag --force ${q} "$want" >/dev/null && echo "sandbox image $want is ${pause}"; else echo "sandbox image: ${pause}"; fi`,
  ].join('; ')
}
