// Shared by the Multipass and VirtualBox end-to-end tests: the real CLI and kubectl run with
// test/doubles first on PATH, each double "VM" backed by a local node (test/doubles/vm-node).
// Root Linux with containerd, runc, CNI plugins and sshd; the layer is skipped loudly otherwise.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const DOUBLES = join(ROOT, 'test', 'doubles')
const KUBELAB = join(ROOT, 'bin', 'kubelab.mjs')

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

export function runner(env: NodeJS.ProcessEnv) {
  return {
    async kubelab(...args: string[]): Promise<string> {
      try {
        const r = await execFileP(process.execPath, [KUBELAB, ...args], { env, cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 })
        return r.stdout + r.stderr
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string; message: string }
        throw new Error(`kubelab ${args.join(' ')} failed: ${x.message}\n${(x.stdout ?? '').split('\n').slice(-40).join('\n')}\n${x.stderr ?? ''}`)
      }
    },
    async kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
      try {
        return (await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout
      } catch (e) {
        const x = e as { stderr?: string; message: string }
        throw new Error(`kubectl ${args.join(' ')} failed: ${x.stderr?.trim() || x.message}`)
      }
    },
  }
}

/** Retries until `f` passes (bounded; the bound is generous for a loaded machine). */
export async function eventually<T>(what: string, f: () => Promise<T>, ms = 180_000): Promise<T> {
  const until = Date.now() + ms
  let last: unknown
  while (Date.now() < until) {
    try {
      return await f()
    } catch (e) {
      last = e
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
  throw new Error(`${what} did not happen within ${ms / 1000} s: ${last instanceof Error ? last.message : String(last)}`)
}

const out = (cmd: string, args: string[]): string => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? ''

/** What a cluster's doubles could leave on the host: namespaces, links, rules, mounts, processes. */
export function leftovers(marks: readonly string[]): Record<string, string[]> {
  const mine = (l: string): boolean => marks.some((m) => l.includes(m))
  return {
    netns: out('ip', ['netns', 'list']).split('\n').filter(mine),
    links: out('ip', ['-o', 'link'])
      .split('\n')
      .map((l) => l.split(':')[1]?.trim() ?? '')
      .filter(mine),
    iptables: out('iptables-save', [])
      .split('\n')
      .filter((l) => !l.startsWith('#') && mine(l)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(mine),
    processes: out('ps', ['-eo', 'args=']).split('\n').filter(mine),
  }
}
