// The one way tests and benches run a command to its end: the `kubelab` CLI (from the sources,
// as bin/kubelab.mjs does), the real kubectl against a cluster, or any other program.
// `runCommand` gives the exit code, stdout and stderr apart and never throws for a failed
// command; `kubelabCli`/`kubectlCli` return what the command printed and throw on a failure
// with the command line, the exit and the end of the output (so a red test says why), and
// their `.result(...)` gives the exit code instead.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'

/** The repository root (the `kubelab` CLI runs with it as working directory). */
export const ROOT = join(import.meta.dirname, '..', '..')
export const KUBELAB_BIN = join(ROOT, 'bin', 'kubelab.mjs')

/** A value, or a function giving it when the command runs (for what a beforeAll sets). */
export type Late<T> = T | (() => T)
const late = <T>(v: Late<T>): T => (typeof v === 'function' ? (v as () => T)() : v)

export interface RunResult {
  /** The exit code; 1 when the command was killed (timeout) or could not start, `signal`/`stderr` say which. */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** The signal that ended the command (SIGTERM after `timeoutMs`), else null. */
  readonly signal: NodeJS.Signals | null
}

export interface RunOptions {
  /** Default: this process's environment. */
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Then SIGTERM (default 60 s). */
  readonly timeoutMs?: number
  /** Written to stdin, which is then closed (closed at once without it). */
  readonly input?: string
}

/** Runs `file args` to its end. Never rejects: a failure is in `code`, `signal` and `stderr`. */
export function runCommand(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve) => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let failed = ''
    const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: 'pipe' })
    const timer = setTimeout(() => {
      failed = `timed out after ${timeoutMs / 1000} s`
      child.kill('SIGTERM')
    }, timeoutMs)
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.stdin.on('error', () => {}) // a command that exits without reading its input
    child.on('error', (e) => (failed ||= `cannot run ${file}: ${e.message}`))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stderr = Buffer.concat(err).toString() + (failed ? `${err.length ? '\n' : ''}${failed}` : '')
      resolve({ code: code !== null && code >= 0 ? code : 1, stdout: Buffer.concat(out).toString(), stderr, signal })
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** How a result failed: `exit 2`, `killed by SIGTERM`. */
const exitOf = (r: Pick<RunResult, 'code'> & { signal?: NodeJS.Signals | null }): string => (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`)

/** The stdout of a command that had to succeed, else an error naming it (`kubectl get pods`) with its output. */
export function stdoutOf(command: string, runResult: Pick<RunResult, 'code' | 'stdout' | 'stderr'> & { signal?: NodeJS.Signals | null }): string {
  if (runResult.code !== 0 || runResult.signal) throw new Error(`${command} failed (${exitOf(runResult)}):\n${runResult.stderr}${runResult.stdout}`)
  return runResult.stdout
}

export interface KubelabOptions {
  /** The environment, usually `{ ...process.env, KUBELAB_HOME: home }`. */
  readonly env: Late<NodeJS.ProcessEnv>
  /** Per command (default 300 s). */
  readonly timeoutMs?: number
}

export interface Kubelab {
  /** `kubelab ...args`: stdout and stderr together; throws unless it exits 0. */
  (...args: string[]): Promise<string>
  /** `kubelab ...args`: exit code, stdout and stderr; never throws for a failed command. */
  result(...args: string[]): Promise<RunResult>
}

export function kubelabCli(opts: KubelabOptions): Kubelab {
  const result = (...args: string[]): Promise<RunResult> =>
    runCommand(process.execPath, [KUBELAB_BIN, ...args], { env: late(opts.env), cwd: ROOT, timeoutMs: opts.timeoutMs ?? 300_000 })
  const run = async (...args: string[]): Promise<string> => {
    const r = await result(...args)
    if (r.code !== 0 || r.signal)
      throw new Error(`kubelab ${args.join(' ')} failed (${exitOf(r)}):\n${r.stdout.split('\n').slice(-40).join('\n')}\n${r.stderr}`)
    return r.stdout + r.stderr
  }
  return Object.assign(run, { result })
}

export interface KubectlOptions {
  readonly kubeconfig: Late<string>
  /** Default `kubectl` from PATH. */
  readonly bin?: string
  readonly env?: Late<NodeJS.ProcessEnv | undefined>
  /** Per command (default 60 s). */
  readonly timeoutMs?: number
  /** Flags before the command's own (e.g. `--request-timeout=10s`, `--cache-dir DIR`). */
  readonly flags?: readonly string[]
}

export interface Kubectl {
  /** `kubectl ...args`: its stdout; throws unless it exits 0. */
  (...args: string[]): Promise<string>
  /** `kubectl ...args` with `input` on stdin (`apply -f -`): stdout and stderr together; throws unless it exits 0. */
  stdin(input: string, ...args: string[]): Promise<string>
  /** `kubectl ...args`: exit code, stdout and stderr; never throws for a failed command. */
  result(...args: string[]): Promise<RunResult>
}

export function kubectlCli(opts: KubectlOptions): Kubectl {
  const exec = (args: string[], input?: string): Promise<RunResult> =>
    runCommand(opts.bin ?? 'kubectl', ['--kubeconfig', late(opts.kubeconfig), ...(opts.flags ?? []), ...args], {
      env: late(opts.env),
      timeoutMs: opts.timeoutMs ?? 60_000,
      input,
    })
  const failure = (args: string[], r: RunResult, output: string): Error => new Error(`kubectl ${args.join(' ')} failed (${exitOf(r)}): ${output}`)
  const run = async (...args: string[]): Promise<string> => {
    const r = await exec(args)
    if (r.code !== 0 || r.signal) throw failure(args, r, r.stderr.trim() || r.stdout)
    return r.stdout
  }
  const stdin = async (input: string, ...args: string[]): Promise<string> => {
    const r = await exec(args, input)
    if (r.code !== 0 || r.signal) throw failure(args, r, r.stdout + r.stderr)
    return r.stdout + r.stderr
  }
  return Object.assign(run, { stdin, result: (...args: string[]) => exec(args) })
}

export interface ClusterHomeOptions {
  /** The temporary folder's prefix (default `/tmp/kl-`: short, as the unix sockets under it need). */
  readonly prefix?: string
  /** More environment, given the home (VM doubles keep their state in it). */
  readonly env?: (home: string) => NodeJS.ProcessEnv
  /** Per `kubelab` command (default 300 s). */
  readonly timeoutMs?: number
  /** kubectl's options besides the kubeconfig. */
  readonly kubectl?: Omit<KubectlOptions, 'kubeconfig'>
}

export interface ClusterHome {
  /** A fresh folder, the CLI's `KUBELAB_HOME` (the test removes it). */
  readonly home: string
  readonly clusterDir: string
  /** The cluster's kubeconfig, as `kubelab create` writes it. */
  readonly kubeconfig: string
  readonly env: NodeJS.ProcessEnv
  /** The CLI with `env`. */
  readonly kubelab: Kubelab
  /** kubectl with the cluster's kubeconfig (this process's environment). */
  readonly kubectl: Kubectl
}

/** A test's own KubeLab home for the cluster `cluster`, with the CLI and kubectl for it. */
export function clusterHome(cluster: string, opts: ClusterHomeOptions = {}): ClusterHome {
  const home = mkdtempSync(opts.prefix ?? '/tmp/kl-')
  const clusterDir = join(home, 'clusters', cluster)
  const kubeconfig = join(clusterDir, 'kubeconfig')
  const env = { ...process.env, KUBELAB_HOME: home, ...opts.env?.(home) }
  return {
    home,
    clusterDir,
    kubeconfig,
    env,
    kubelab: kubelabCli({ env, timeoutMs: opts.timeoutMs }),
    kubectl: kubectlCli({ kubeconfig, ...opts.kubectl }),
  }
}
