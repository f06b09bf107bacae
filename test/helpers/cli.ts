// The one way tests run the `kubelab` CLI (from the sources, as bin/kubelab.mjs does) and the
// real kubectl against a cluster it made. Each returns what the command printed; a failure
// throws with the command line, the error and the end of the output, so a red test says why.
import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

/** The repository root (the `kubelab` CLI runs with it as working directory). */
export const ROOT = join(import.meta.dirname, '..', '..')
export const KUBELAB_BIN = join(ROOT, 'bin', 'kubelab.mjs')

/** A value, or a function giving it when the command runs (for what a beforeAll sets). */
export type Late<T> = T | (() => T)
const late = <T>(v: Late<T>): T => (typeof v === 'function' ? (v as () => T)() : v)

interface ExecFailure {
  stdout?: string
  stderr?: string
  message: string
}

export interface KubelabOptions {
  /** The environment, usually `{ ...process.env, KUBELAB_HOME: home }`. */
  readonly env: Late<NodeJS.ProcessEnv>
  /** Per command (default 300 s). */
  readonly timeoutMs?: number
}

/** `kubelab(...args)`: stdout and stderr together. */
export function kubelabCli(o: KubelabOptions): (...args: string[]) => Promise<string> {
  return async (...args) => {
    try {
      const r = await execFileP(process.execPath, [KUBELAB_BIN, ...args], {
        env: late(o.env),
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        timeout: o.timeoutMs ?? 300_000,
      })
      return r.stdout + r.stderr
    } catch (e) {
      const x = e as ExecFailure
      throw new Error(`kubelab ${args.join(' ')} failed: ${x.message}\n${(x.stdout ?? '').split('\n').slice(-30).join('\n')}\n${x.stderr ?? ''}`)
    }
  }
}

export interface KubectlOptions {
  readonly kubeconfig: Late<string>
  /** Default `kubectl` from PATH. */
  readonly bin?: string
  readonly env?: Late<NodeJS.ProcessEnv | undefined>
  /** Per command (default 60 s). */
  readonly timeoutMs?: number
  /** Flags before the command's own (e.g. `--request-timeout=10s`). */
  readonly flags?: readonly string[]
}

export interface Kubectl {
  /** `kubectl ...args`: its stdout. */
  (...args: string[]): Promise<string>
  /** `kubectl ...args` with `input` on stdin (`apply -f -`): stdout and stderr together. */
  stdin(input: string, ...args: string[]): Promise<string>
}

export function kubectlCli(o: KubectlOptions): Kubectl {
  const bin = o.bin ?? 'kubectl'
  const argv = (args: string[]): string[] => ['--kubeconfig', late(o.kubeconfig), ...(o.flags ?? []), ...args]
  const run = async (...args: string[]): Promise<string> => {
    try {
      return (await execFileP(bin, argv(args), { env: late(o.env), timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 })).stdout
    } catch (e) {
      const x = e as ExecFailure
      throw new Error(`kubectl ${args.join(' ')} failed: ${x.stderr?.trim() || x.message}`)
    }
  }
  const stdin = (input: string, ...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const p = spawn(bin, argv(args), { env: late(o.env) })
      let out = ''
      p.stdout.on('data', (c: Buffer) => (out += c.toString()))
      p.stderr.on('data', (c: Buffer) => (out += c.toString()))
      p.on('error', reject)
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} failed: ${out}`))))
      p.stdin.end(input)
    })
  return Object.assign(run, { stdin })
}
