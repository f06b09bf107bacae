// A login shell on a cluster node over SSH (ssh2): one connection per terminal with a pty of the
// terminal's size. Connecting is a single attempt with a bounded handshake: a node that is down
// closes the terminal with the reason, and Enter in the tab tries again.
import ssh2, { type Client as SshClient, type ClientChannel } from 'ssh2'
import { hostVerifierFor, type SshLogin } from '../../ssh-provisioning/ssh'
import type { SessionCallbacks, TerminalSession } from './types'

// ssh2 is CommonJS: Node's ESM loader only gives its default export.
const { Client } = ssh2

export interface NodeShellTarget {
  login: SshLogin
  /** Node name, for messages. */
  node: string
  cols: number
  rows: number
  /** Handshake timeout (default 10 s). */
  readyTimeoutMs?: number
}

/** Keystrokes typed while connecting are kept up to this many characters, then sent. */
const maxEarlyInput = 4096

export function openNodeShell(nodeShellTarget: NodeShellTarget, cb: SessionCallbacks): TerminalSession {
  const client: SshClient = new Client()
  const where = `${nodeShellTarget.login.user}@${nodeShellTarget.login.host}:${nodeShellTarget.login.port}`
  let channel: ClientChannel | null = null
  const refused: { error?: Error } = {}
  let size = { cols: nodeShellTarget.cols, rows: nodeShellTarget.rows }
  let early = ''
  let ended = false
  let exitCode: number | null = null
  let reason = `the SSH connection to node ${nodeShellTarget.node} closed`
  const end = (): void => {
    if (ended) return
    ended = true
    cb.onExit(exitCode, reason)
  }

  client.on('ready', () => {
    client.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, (err, ch) => {
      if (err) {
        reason = `node ${nodeShellTarget.node} refused a shell: ${err.message}`
        client.end()
        return
      }
      channel = ch
      cb.onOpen()
      if (early) ch.write(early)
      early = ''
      ch.on('data', (d: Buffer) => cb.onData(d.toString('utf8')))
      ch.stderr.on('data', (d: Buffer) => cb.onData(d.toString('utf8')))
      ch.on('exit', (code: number | null, signal?: string) => {
        exitCode = code
        reason = signal
          ? `the shell on node ${nodeShellTarget.node} ended by signal ${signal}`
          : `the shell on node ${nodeShellTarget.node} exited with code ${code}`
      })
      ch.on('close', () => client.end())
    })
  })
  client.on('error', (e: Error) => {
    // Handshake failures arrive here before 'ready'; later ones mean the link dropped.
    if (channel === null) {
      reason = refused.error
        ? refused.error.message
        : /authentication methods failed/i.test(e.message)
          ? `node ${nodeShellTarget.node} (${where}) refused the cluster's SSH key: check its authorized_keys holds the cluster key`
          : `cannot reach node ${nodeShellTarget.node} over SSH at ${where}: ${e.message}; check the node is running, then press Enter to retry`
    } else reason = `the SSH connection to node ${nodeShellTarget.node} dropped: ${e.message}`
  })
  client.on('close', end)
  client.connect({
    host: nodeShellTarget.login.host,
    port: nodeShellTarget.login.port,
    username: nodeShellTarget.login.user,
    privateKey: nodeShellTarget.login.privateKey,
    readyTimeout: nodeShellTarget.readyTimeoutMs ?? 10_000,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    // VM nodes: the key recorded when the cluster was created; a changed one is refused.
    hostVerifier: hostVerifierFor(nodeShellTarget.login.hostKey, refused),
  })

  return {
    write: (data) => {
      if (ended) return
      if (channel) channel.write(data)
      else early = (early + data).slice(-maxEarlyInput)
    },
    resize: (cols, rows) => {
      size = { cols, rows }
      // ssh2 takes rows first; the pixel sizes are unknown and zero.
      channel?.setWindow(rows, cols, 0, 0)
    },
    close: () => {
      if (ended) return
      reason = 'closed'
      client.end()
      // Reported now: a handshake in progress may take its full timeout to notice the end.
      end()
    },
  }
}
