// A shell on the host in a pseudo-terminal (node-pty), with KUBECONFIG pointing at the cluster
// so `kubectl` talks to it without any setup.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { spawn } from 'node-pty'
import type { SessionCallbacks, TerminalSession } from './types'

/** The user's shell: $SHELL, else bash/sh on Unix, PowerShell on Windows. */
export function hostShell(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return env.COMSPEC && /powershell/i.test(env.COMSPEC) ? env.COMSPEC : 'powershell.exe'
  if (env.SHELL && existsSync(env.SHELL)) return env.SHELL
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh'
}

/** The shell's environment: the backend's, plus KUBECONFIG when a cluster is chosen. */
export function hostShellEnv(env: NodeJS.ProcessEnv, kubeconfig: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  out.TERM = 'xterm-256color'
  out.COLORTERM = 'truecolor'
  if (kubeconfig) out.KUBECONFIG = kubeconfig
  return out
}

export function openHostShell(opts: { env: NodeJS.ProcessEnv; kubeconfig: string | null; cols: number; rows: number }, cb: SessionCallbacks): TerminalSession {
  const shell = hostShell(opts.env)
  const pty = spawn(shell, [], {
    name: 'xterm-256color',
    cols: opts.cols,
    rows: opts.rows,
    cwd: opts.env.HOME && existsSync(opts.env.HOME) ? opts.env.HOME : homedir(),
    env: hostShellEnv(opts.env, opts.kubeconfig),
  })
  let exited = false
  pty.onData((d) => cb.onData(d))
  pty.onExit(({ exitCode, signal }) => {
    exited = true
    cb.onExit(exitCode, signal ? `${shell} ended by signal ${signal}` : `${shell} exited with code ${exitCode}`)
  })
  queueMicrotask(() => cb.onOpen())
  return {
    write: (data) => {
      if (!exited) pty.write(data)
    },
    resize: (cols, rows) => {
      if (!exited) pty.resize(cols, rows)
    },
    close: () => {
      if (!exited) pty.kill()
    },
  }
}
