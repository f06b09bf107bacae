// SSH and SFTP to a node, over ssh2, with every wait bounded: connecting retries until a
// deadline (a VM's sshd comes up some seconds after boot), commands stream their output lines
// and have a timeout, uploads are atomic (temp name, then rename) so a dropped connection
// never leaves half a file under the real name.
import { readFileSync } from 'node:fs'
import { checkHostKey, HostKeyChangedError, type HostKeyPin } from './host-keys'
import ssh2, { type Client as SshClient, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2'

// ssh2 is CommonJS: Node's ESM loader only gives its default export.
const { Client } = ssh2
type Client = SshClient

export interface SshLogin {
  readonly host: string
  readonly port: number
  readonly user: string
  /** OpenSSH private key text (never logged). */
  readonly privateKey: string
  /** Where the node's host key is pinned; without it any host key is taken (tests, local nodes). */
  readonly hostKey?: HostKeyPin
}

export interface ConnectOptions {
  /** Absolute time (ms since epoch) after which connecting gives up. */
  readonly deadline: number
  /** Per-attempt handshake timeout (default 5 s). */
  readonly attemptTimeoutMs?: number
  /** Pause between attempts (default 500 ms). */
  readonly retryDelayMs?: number
  /** Node name for error messages. */
  readonly node?: string
  readonly onAttempt?: (attempt: number, error: string) => void
  readonly cancelled?: () => boolean
}

export interface ExecOptions {
  /** Each stdout/stderr line as it arrives. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Gives up (and closes the channel) after this long; default 10 minutes. */
  readonly timeoutMs?: number
  /**
   * Aborting kills the remote command with everything it started in its process group (TERM,
   * then KILL a second later) and rejects. Processes it detached on purpose (setsid) live on.
   */
  readonly signal?: AbortSignal
}

/** First stderr line of a cancellable command: its process group id on the node. */
const PGID_MARK = 'kubelab-pgid '

export interface ExecResult {
  readonly code: number | null
  readonly signal?: string
  readonly stdout: string
  readonly stderr: string
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function loginFromKeyFile(host: string, port: number, user: string, keyFile: string, hostKey?: HostKeyPin): SshLogin {
  return { host, port, user, privateKey: readFileSync(keyFile, 'utf8'), ...(hostKey ? { hostKey } : {}) }
}

/** The login for a provider's SSH target, with its host-key pin. */
export function loginFor(target: { host: string; port: number; user: string; privateKeyFile: string; hostKey?: HostKeyPin }): SshLogin {
  return loginFromKeyFile(target.host, target.port, target.user, target.privateKeyFile, target.hostKey)
}

/** ssh2's hostVerifier for a pin: records a first key, refuses a changed one (kept in `refused`). */
export function hostVerifierFor(pin: HostKeyPin | undefined, refused: { error?: Error }): (key: Buffer) => boolean {
  return (key) => {
    if (!pin) return true
    try {
      checkHostKey(pin, key)
      return true
    } catch (e) {
      refused.error = e as Error
      return false
    }
  }
}

/** One attempt; resolves with a ready client or rejects with the handshake's error. */
function connectOnce(login: SshLogin, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client()
    const refused: { error?: Error } = {}
    const cfg: ConnectConfig = {
      host: login.host,
      port: login.port,
      username: login.user,
      privateKey: login.privateKey,
      readyTimeout: timeoutMs,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      // VM nodes: the key recorded when the cluster was created (host-keys.ts).
      hostVerifier: hostVerifierFor(login.hostKey, refused),
    }
    let failed = false
    const fail = (err: Error): void => {
      const e = refused.error ?? err
      // A forward that accepts TCP before the guest's sshd runs (QEMU's slirp) can give a
      // timeout and then "Connection lost before handshake": every error needs a listener.
      if (failed) return
      failed = true
      c.removeAllListeners('ready')
      c.end()
      reject(e)
    }
    c.once('ready', () => {
      c.removeListener('error', fail)
      // Later errors (connection dropped) surface on the pending operation instead.
      c.on('error', () => {})
      // Provisioning is many small request/response exchanges (SFTP open/write/close/rename):
      // with Nagle's algorithm each one waits for a delayed ACK.
      c.setNoDelay(true)
      resolve(c)
    })
    c.on('error', fail)
    c.connect(cfg)
  })
}

/** Sessions of this process not yet closed (a cancelled CLI waits for them before it exits). */
const open = new Set<SshSession>()

export class SshSession {
  private closed = false
  private constructor(
    private readonly client: Client,
    readonly login: Omit<SshLogin, 'privateKey'>,
    readonly node: string,
  ) {
    open.add(this)
    client.on('close', () => {
      this.closed = true
      open.delete(this)
    })
  }

  /**
   * Resolves once every session of this process has closed, or after `ms`, with the nodes of
   * those still open. A cancelled run uses it so each node's step finishes killing its remote
   * command before the process exits.
   */
  static async drain(ms: number): Promise<string[]> {
    const until = Date.now() + ms
    while (open.size && Date.now() < until) await sleep(50)
    return [...open].map((s) => s.node)
  }

  /** Connects, retrying until the deadline; the error names the node, address and what to try. */
  static async connect(login: SshLogin, opts: ConnectOptions): Promise<SshSession> {
    const node = opts.node ?? login.host
    let attempt = 0
    let last = ''
    for (;;) {
      if (opts.cancelled?.()) throw new Error(`connecting to node ${node} over SSH was cancelled`)
      attempt++
      const left = opts.deadline - Date.now()
      if (left <= 0) break
      try {
        // Each attempt waits longer than the last: on an emulated (TCG) or busy VM the key
        // exchange alone can take more than the first attempt's few seconds, and cutting it
        // short every time would never get through.
        const per = (opts.attemptTimeoutMs ?? 5000) * Math.min(attempt, 6)
        const c = await connectOnce(login, Math.max(1000, Math.min(per, left)))
        return new SshSession(c, { host: login.host, port: login.port, user: login.user }, node)
      } catch (e) {
        // A changed host key will not get better by retrying, and must not be retried past.
        if (e instanceof HostKeyChangedError) throw e
        last = (e as Error).message
        opts.onAttempt?.(attempt, last)
        if (/authentication methods failed|All configured authentication/i.test(last)) {
          throw new Error(
            `node ${node} (${login.user}@${login.host}:${login.port}) refused the cluster's SSH key: check that its authorized_keys holds the cluster key (~/.kubelab/clusters/NAME/ssh/id_ed25519.pub)`,
          )
        }
        // A key we cannot read will not get better by retrying.
        if (/Cannot parse privateKey/i.test(last)) {
          throw new Error(
            `the cluster's SSH private key cannot be read (${last}): delete the cluster (kubelab delete NAME) and create it again to get a new key`,
          )
        }
      }
      await sleep(Math.min(opts.retryDelayMs ?? 500, Math.max(0, opts.deadline - Date.now())))
    }
    throw new Error(
      `could not reach node ${node} over SSH at ${login.user}@${login.host}:${login.port} after ${attempt - 1} attempts (last error: ${last || 'none'}): check the node is running and sshd listens there`,
    )
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Runs `command` through the remote shell, streaming lines; resolves with its exit code. */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`the SSH connection to node ${this.node} is closed`))
      if (opts.signal?.aborted) return reject(new Error(`command on node ${this.node} was cancelled before it started: ${command.slice(0, 80)}`))
      const timeoutMs = opts.timeoutMs ?? 600_000
      // sshd runs each session's command as the leader of a new session (setsid), so the shell's
      // $$ is the process group to kill on cancel; it is reported first, on stderr.
      const remote = opts.signal ? `echo "${PGID_MARK}$$" >&2; ${command}` : command
      this.client.exec(remote, (err, ch: ClientChannel) => {
        if (err) return reject(new Error(`cannot run a command on node ${this.node}: ${err.message}`))
        let stdout = ''
        let stderr = ''
        let pgid: number | undefined
        const pending = { stdout: '', stderr: '' }
        const feed = (which: 'stdout' | 'stderr', chunk: Buffer): void => {
          let s = chunk.toString('utf8')
          if (which === 'stderr' && opts.signal && pgid === undefined) {
            const all = pending.stderr + s
            const nl = all.indexOf('\n')
            if (nl < 0) {
              pending.stderr = all
              return
            }
            const m = new RegExp(`^${PGID_MARK}(\\d+)$`).exec(all.slice(0, nl))
            pgid = m ? Number(m[1]) : 0
            pending.stderr = ''
            s = m ? all.slice(nl + 1) : all
          }
          if (which === 'stdout') stdout += s
          else stderr += s
          pending[which] += s
          const lines = pending[which].split(/\r?\n/)
          pending[which] = lines.pop() ?? ''
          for (const l of lines) opts.onLine?.(l, which)
        }
        let code: number | null = null
        let signal: string | undefined
        let settled = false
        const onDrop = (): void => finish(new Error(`the SSH connection to node ${this.node} dropped while running: ${command.slice(0, 80)}`))
        const timer = setTimeout(() => {
          finish(new Error(`command on node ${this.node} did not finish within ${Math.round(timeoutMs / 1000)} s: ${command.slice(0, 80)}`))
          ch.close()
        }, timeoutMs)
        const onAbort = (): void => {
          const group = pgid
          // The kill goes over a second channel of the same connection; bounded either way.
          const kill = group
            ? this.exec(`kill -TERM -- -${group} 2>/dev/null; sleep 1; kill -KILL -- -${group} 2>/dev/null; true`, { timeoutMs: 10_000 }).catch(() => undefined)
            : Promise.resolve()
          void kill.then(() => {
            ch.close()
            finish(new Error(`command on node ${this.node} was cancelled: ${command.slice(0, 80)}`))
          })
        }
        const finish = (e?: Error): void => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          opts.signal?.removeEventListener('abort', onAbort)
          this.client.removeListener('close', onDrop)
          for (const w of ['stdout', 'stderr'] as const) if (pending[w]) opts.onLine?.(pending[w], w)
          if (e) reject(e)
          else resolve({ code, signal, stdout, stderr })
        }
        this.client.once('close', onDrop)
        opts.signal?.addEventListener('abort', onAbort, { once: true })
        ch.on('data', (d: Buffer) => feed('stdout', d))
        ch.stderr.on('data', (d: Buffer) => feed('stderr', d))
        ch.on('exit', (c: number | null, sig?: string) => {
          code = c
          signal = sig ?? undefined
        })
        ch.on('close', () => finish())
      })
    })
  }

  /** exec that fails unless the command exits 0; the error carries the last stderr lines. */
  async run(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(command, opts)
    if (r.code !== 0) {
      const tail = (r.stderr || r.stdout).trimEnd().split('\n').slice(-5).join('\n')
      throw new Error(`command on node ${this.node} exited ${r.code ?? r.signal}: ${command.slice(0, 80)}${tail ? `\n${tail}` : ''}`)
    }
    return r
  }

  private sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`the SSH connection to node ${this.node} is closed`))
      this.client.sftp((err, s) => (err ? reject(new Error(`SFTP to node ${this.node} failed: ${err.message}`)) : resolve(s)))
    })
  }

  /**
   * Uploads files (content given as text/bytes, or read from a local path) atomically:
   * each goes to `remote.kubelab-tmp` and is renamed over `remote` once complete.
   */
  async upload(
    files: readonly { remote: string; content?: string | Buffer; local?: string; mode?: number }[],
    opts: { timeoutMs?: number; onFile?: (remote: string, bytes: number) => void; signal?: AbortSignal } = {},
  ): Promise<void> {
    const sftp = await this.sftp()
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000)
    // Ending the SFTP channel fails the pending request; the temp name keeps the target whole.
    const onAbort = (): void => sftp.end()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (const f of files) {
        if (opts.signal?.aborted) throw new Error(`uploading to node ${this.node} was cancelled before ${f.remote}`)
        const data = f.content !== undefined ? Buffer.from(f.content) : readFileSync(f.local ?? '')
        const tmp = `${f.remote}.kubelab-tmp`
        await withDeadline(writeRemote(sftp, tmp, data, f.mode ?? 0o644), deadline, `uploading ${f.remote} to node ${this.node}`)
        await withDeadline(renameRemote(sftp, tmp, f.remote), deadline, `renaming ${tmp} on node ${this.node}`)
        opts.onFile?.(f.remote, data.length)
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
      sftp.end()
    }
  }

  /** Drops the TCP connection at once (tests use it to simulate a lost link). */
  destroy(): void {
    this.client.destroy()
  }

  close(): void {
    this.client.end()
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in time: check the node's disk and network`)), Math.max(0, deadline - Date.now()))
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/** Bytes per SFTP write request, and how many are in flight at once. */
const CHUNK = 32 * 1024
const IN_FLIGHT = 32

function writeRemote(sftp: SFTPWrapper, path: string, data: Buffer, mode: number): Promise<void> {
  // One request at a time (sftp.writeFile) waits a round trip per 32 KiB: megabytes then take
  // seconds. Here many writes at their offsets are in flight together, as OpenSSH's sftp does.
  return new Promise((resolve, reject) => {
    sftp.open(path, 'w', { mode }, (err, handle) => {
      if (err) return reject(new Error(`SFTP open ${path}: ${err.message}`))
      let next = 0
      let active = 0
      let failed: Error | undefined
      const finish = (): void => {
        sftp.close(handle, (e1) => {
          if (failed) return reject(failed)
          if (e1) return reject(new Error(`SFTP close ${path}: ${e1.message}`))
          // open's mode applies only when creating; make it exact for an existing temp file.
          sftp.chmod(path, mode, (e2) => (e2 ? reject(new Error(`SFTP chmod ${path}: ${e2.message}`)) : resolve()))
        })
      }
      const pump = (): void => {
        while (!failed && active < IN_FLIGHT && next < data.length) {
          const at = next
          const len = Math.min(CHUNK, data.length - at)
          next += len
          active++
          sftp.write(handle, data, at, len, at, (e) => {
            active--
            if (e && !failed) failed = new Error(`SFTP write ${path} at ${at}: ${e.message}`)
            if (active === 0 && (failed || next >= data.length)) finish()
            else pump()
          })
        }
      }
      if (data.length === 0) finish()
      else pump()
    })
  })
}

function renameRemote(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // posix-rename replaces an existing target, which plain SFTP rename refuses to do.
    sftp.ext_openssh_rename(from, to, (err) => (err ? reject(new Error(`SFTP rename ${from} → ${to}: ${err.message}`)) : resolve()))
  })
}
