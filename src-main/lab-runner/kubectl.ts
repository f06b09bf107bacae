// The runner's own kubectl calls (readiness, cleanup, namespaces, node facts): the real
// kubectl with the admin kubeconfig, a private HOME and a time bound, like the lab scripts.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KubectlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export type Kubectl = (args: readonly string[], o?: { timeoutMs?: number; input?: string }) => Promise<KubectlResult>

export function kubectlFor(kubeconfig: string, binary = process.env.KUBECTL ?? 'kubectl'): Kubectl {
  return (args, o = {}) =>
    new Promise((resolve) => {
      const home = mkdtempSync(join(tmpdir(), 'kubelab-kubectl-'))
      const child = execFile(
        binary,
        ['--kubeconfig', kubeconfig, ...args],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: o.timeoutMs ?? 30_000, maxBuffer: 32 * 1024 * 1024 },
        (err, stdout, stderr) => {
          rmSync(home, { recursive: true, force: true })
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
          resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 && !stderr ? err.message : '') })
        },
      )
      // kubectl may exit before it reads its input: its exit code says what happened, and an
      // unhandled EPIPE here would bring down the process running the lab.
      child.stdin?.on('error', () => {})
      child.stdin?.end(o.input ?? '')
    })
}

/** kubectl that must succeed; the error names the command and kubectl's message. */
export async function mustKubectl(kubectl: Kubectl, args: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<string> {
  const r = await kubectl(args, opts)
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
  return r.stdout
}
