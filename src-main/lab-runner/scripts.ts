// Running a lab script (background, verify, solution) with a time bound, in a clean
// environment that holds only the admin kubeconfig and the KUBELAB_* variables — never the
// learner's shell, context or namespace. Two executors: a host shell (simulated clusters) and
// bash as root on a node over SSH (providers with machines).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SshSession } from '../ssh-provisioning/ssh'
import { shQuote } from '../ssh-provisioning/node-plan'

export interface ScriptRun {
  /** Absolute path of the script on the host. */
  readonly script: string
  /** Node alias (cp, w1, ...) it runs on; the host executor ignores it. */
  readonly node: string
  /** KUBELAB_* variables; the executor adds KUBECONFIG, PATH, HOME and KUBELAB_REASON_FILE. */
  readonly env: Readonly<Record<string, string>>
  /** Working directory on the host (the lab's asset folder). */
  readonly cwd: string
  readonly timeoutMs: number
}

export interface ScriptResult {
  /** Exit code; null when killed (timeout or signal). */
  readonly code: number | null
  readonly timedOut: boolean
  readonly stdout: string
  readonly stderr: string
  /** What the script wrote to $KUBELAB_REASON_FILE, trimmed. */
  readonly reason: string
}

export interface ScriptExecutor {
  /** Where scripts run, for messages ("host shell", "node cp over SSH"). */
  describe(node: string): string
  run(r: ScriptRun): Promise<ScriptResult>
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const MAX_OUTPUT = 1024 * 1024

/** Runs scripts with the host's bash (simulated clusters: the API is all there is). */
export function hostExecutor(kubeconfig: string, opts: { kubectlDir?: string } = {}): ScriptExecutor {
  return {
    describe: () => 'host shell',
    run: (r) =>
      new Promise((resolve) => {
        // A private HOME: kubectl's cache and any ~/.kube/config of the learner stay out.
        const home = mkdtempSync(join(tmpdir(), 'kubelab-lab-'))
        const reasonFile = join(home, 'reason')
        const env: NodeJS.ProcessEnv = {
          PATH: opts.kubectlDir ? `${opts.kubectlDir}:${PATH}` : PATH,
          HOME: home,
          LANG: 'C.UTF-8',
          KUBECONFIG: kubeconfig,
          KUBELAB_REASON_FILE: reasonFile,
          ...r.env,
        }
        const child = spawn('bash', [r.script], { cwd: r.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        let timedOut = false
        child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-MAX_OUTPUT)))
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-MAX_OUTPUT)))
        // Kill the whole process group: a script's kubectl wait must not outlive it.
        const killGroup = (): void => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL')
          } catch {
            // already gone
          }
        }
        const timer = setTimeout(() => {
          timedOut = true
          killGroup()
        }, r.timeoutMs)
        const done = (code: number | null, extra = ''): void => {
          clearTimeout(timer)
          killGroup()
          let reason = ''
          try {
            reason = readFileSync(reasonFile, 'utf8').trim()
          } catch {
            // no reason written
          }
          rmSync(home, { recursive: true, force: true })
          resolve({ code, timedOut, stdout, stderr: stderr + extra, reason })
        }
        child.on('error', (e) => done(127, `cannot run bash: ${e.message}`))
        child.on('close', (code) => done(timedOut ? null : code))
      }),
  }
}

/** Opens (or reuses) an SSH session to a node alias; the caller owns closing them. */
export type NodeSessions = (node: string) => Promise<SshSession>

/**
 * Runs scripts as root on the node over SSH. The script and the admin kubeconfig are sent
 * with the command (base64) into a private temp folder that is removed afterwards.
 */
export function sshExecutor(sessions: NodeSessions, adminKubeconfig: string): ScriptExecutor {
  return {
    describe: (node) => `node ${node} over SSH`,
    async run(r) {
      const s = await sessions(r.node)
      const b64 = (p: string): string => readFileSync(p).toString('base64')
      const env = Object.entries(r.env)
        .map(([k, v]) => `${k}=${shQuote(v)}`)
        .join(' ')
      const cmd = [
        'd=$(mktemp -d /tmp/kubelab-lab.XXXXXX) && chmod 700 "$d"',
        `printf %s ${shQuote(b64(r.script))} | base64 -d > "$d/script.sh"`,
        `printf %s ${shQuote(b64(adminKubeconfig))} | base64 -d > "$d/admin.kubeconfig"`,
        // KUBELAB_ROOT / KUBELAB_NODE_BINARY (set by a local node's sshd) tell scripts where the
        // node's files are and which Node.js runs its supervisor; empty on VMs.
        `(cd /tmp && env -i PATH=${PATH} HOME="$d" LANG=C.UTF-8 KUBECONFIG="$d/admin.kubeconfig" KUBELAB_REASON_FILE="$d/reason" KUBELAB_ROOT="\${KUBELAB_ROOT:-}" KUBELAB_NODE_BINARY="\${KUBELAB_NODE_BINARY:-}" ${env} timeout -s KILL ${Math.ceil(r.timeoutMs / 1000)} bash "$d/script.sh"); rc=$?`,
        'if [ -s "$d/reason" ]; then printf "\\n@@KUBELAB_REASON@@%s" "$(cat "$d/reason")"; fi',
        'rm -rf "$d"; exit $rc',
      ].join('; ')
      // Scripts run as root (LABS.md §1.5); the provider's login user may need sudo for that.
      const wrapped = `if [ "$(id -u)" = 0 ]; then bash -c ${shQuote(cmd)}; else sudo -n bash -c ${shQuote(cmd)}; fi`
      const res = await s.exec(wrapped, { timeoutMs: r.timeoutMs + 15_000 })
      const marker = res.stdout.lastIndexOf('\n@@KUBELAB_REASON@@')
      const reason = marker === -1 ? '' : res.stdout.slice(marker + '\n@@KUBELAB_REASON@@'.length).trim()
      const stdout = marker === -1 ? res.stdout : res.stdout.slice(0, marker)
      // timeout -s KILL makes bash report 137.
      const timedOut = res.code === 137
      return { code: timedOut ? null : res.code, timedOut, stdout, stderr: res.stderr, reason }
    },
  }
}
