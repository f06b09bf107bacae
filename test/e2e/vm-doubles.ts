// Shared by the Multipass and VirtualBox end-to-end tests: the real CLI and kubectl run with
// test/doubles first on PATH, each double "VM" backed by a local node (test/doubles/vm-node).
// Root Linux with containerd, runc, CNI plugins and sshd; the layer is skipped loudly otherwise.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { clusterHome, ROOT, type Kubectl } from '../helpers/cli'
import { eventually as retry } from '../helpers/wait'

export { ROOT }
export const DOUBLES = join(ROOT, 'test', 'doubles')

/** Why this machine cannot run the layer, or undefined. */
export function missingHostDeps(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux'
  for (const p of ['/usr/sbin/sshd', '/usr/lib/cni/bridge']) if (!existsSync(p)) return `needs ${p}`
  for (const c of ['containerd', 'runc', 'kubectl', 'iptables']) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `needs ${c}`
  return undefined
}

/** The first /24 of `candidates` that no host address or route touches. */
export function freeSubnet(candidates: readonly string[]): string {
  const used = `${spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout}\n${spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout}`
  const free = candidates.find((c) => !used.includes(`${c}.`))
  if (!free) throw new Error(`none of ${candidates.join(', ')} is free on this host`)
  return free
}

/**
 * A test's KubeLab home for `cluster` on the `tool` double: the double first on PATH, its VMs
 * local nodes, its state in `state` under the home; `more` environment on top. The CLI gets
 * 15 min a command; kubectl takes `kubectlFlags` before each command's own.
 */
export function doublesHome(cluster: string, tool: 'multipass' | 'virtualbox', more: NodeJS.ProcessEnv, kubectlFlags: readonly string[] = []) {
  const [prefix, folder] = tool === 'multipass' ? ['MULTIPASS', 'mp'] : ['VBOXMANAGE', 'vbox']
  const h = clusterHome(cluster, {
    timeoutMs: 900_000,
    kubectl: { flags: kubectlFlags },
    env: (home) => ({
      PATH: `${DOUBLES}:${process.env.PATH}`,
      [`${prefix}_DOUBLE_STATE`]: join(home, folder),
      [`${prefix}_DOUBLE_BACKEND`]: join(DOUBLES, 'vm-node'),
      ...more,
    }),
  })
  return { ...h, state: join(h.home, folder) }
}

/** Retries until `attempt` passes (bounded; the bound is generous for a loaded machine; kubectl once a second). */
export const eventually = <T>(what: string, attempt: () => Promise<T>, ms = 180_000): Promise<T> => retry(what, attempt, { timeoutMs: ms, intervalMs: 1000 })

/** The real kubectl runs a pod to Running on the worker (node-1), and exec reaches it. */
export async function expectPodOnWorker(kubectl: Kubectl): Promise<void> {
  await kubectl('run', 'hello', '--image=kubelab.local/busybox:1', '--', 'sleep', '3600')
  await eventually('pod hello Running', async () => {
    const phase = await kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase} {.spec.nodeName}')
    if (phase !== 'Running node-1') throw new Error(`pod is ${phase}`)
  })
  expect(await kubectl('exec', 'hello', '--', 'echo', 'from-the-pod')).toBe('from-the-pod\n')
}

/** What a cluster's doubles could leave on the host (the shared scoped check). */
export { leftovers } from '../helpers/leaks'
