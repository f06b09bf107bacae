// Waiting for cloud-init inside a new VM over SSH: `cloud-init status --wait` bounded by a
// limit, with the elapsed time logged while it runs (heavy package installs took minutes,
// canonical/multipass#2574, and users want to see time pass, #2313). A failed run is reported
// with cloud-init's own error list and the end of its output log.
import { formatElapsed } from '../multipass/run'
import { SshSession, loginFor } from '../../ssh-provisioning/ssh'
import type { SshTarget } from '../types'

export interface CloudInitWaitOptions {
  readonly node: string
  readonly log: (line: string) => void
  /** Give up after this long (default 15 min). */
  readonly limitMs?: number
  /** How long SSH may take to answer first (default 5 min: sshd starts late in a first boot). */
  readonly sshWaitMs?: number
  /** Elapsed-time lines while waiting (default every 15 s). */
  readonly tickMs?: number
}

/** Exit codes of `cloud-init status`: 0 done, 1 error, 2 done with recoverable errors (≥ 23.4). */
export function cloudInitOutcome(code: number | null): 'done' | 'degraded' | 'error' {
  return code === 0 ? 'done' : code === 2 ? 'degraded' : 'error'
}

/** The `status:` value of `cloud-init status` output (dots from --wait come first). */
export function parseCloudInitStatus(stdout: string): string | undefined {
  return /(?:^|\n|\.)status: ([a-z ]+)/.exec(stdout)?.[1]?.trim()
}

export class CloudInitError extends Error {
  constructor(
    readonly node: string,
    readonly details: string,
  ) {
    super(
      `cloud-init failed on node ${node}, so its packages (containerd, Node.js) may be missing:\n${details}\n` +
        'what to try: read the lines above (often an apt mirror that cannot be reached, or a package name the image does not know); ' +
        'fix the network or proxy settings, then delete the node or cluster and create it again',
    )
    this.name = 'CloudInitError'
  }
}

export async function waitForCloudInit(target: SshTarget, opts: CloudInitWaitOptions): Promise<void> {
  const t0 = Date.now()
  const limit = opts.limitMs ?? 15 * 60_000
  opts.log(`${opts.node}: waiting for cloud-init to finish (cloud-init status --wait, at most ${formatElapsed(limit)})`)
  const login = loginFor(target)
  const s = await SshSession.connect(login, { deadline: Date.now() + (opts.sshWaitMs ?? 5 * 60_000), node: opts.node })
  opts.log(`${opts.node}: SSH answered after ${formatElapsed(Date.now() - t0)}`)
  const tick = setInterval(() => opts.log(`${opts.node}: cloud-init still running, ${formatElapsed(Date.now() - t0)} elapsed`), opts.tickMs ?? 15_000)
  try {
    let r
    try {
      r = await s.exec('cloud-init status --wait', { timeoutMs: Math.max(1000, limit - (Date.now() - t0)) })
    } catch (e) {
      throw new Error(
        `cloud-init on node ${opts.node} was still running after ${formatElapsed(Date.now() - t0)} (${(e as Error).message}): the VM may be installing packages slowly or lack internet access; check it with \`kubelab ssh\` and \`cloud-init status --long\`, then run create again`,
      )
    }
    const outcome = cloudInitOutcome(r.code)
    if (outcome === 'error') {
      // `status --long` exits 1 again on error: exec, not run (which would throw on it).
      const more = await s
        .exec(
          'cloud-init status --long; echo "--- end of cloud-init-output.log:"; tail -n 15 "${KUBELAB_ROOT:-}/var/log/cloud-init-output.log" 2>/dev/null; true',
          { timeoutMs: 30_000 },
        )
        .catch((e: unknown) => ({ stdout: `(could not read details: ${(e as Error).message})` }))
      throw new CloudInitError(opts.node, more.stdout.trim())
    }
    opts.log(
      `${opts.node}: cloud-init ${outcome === 'degraded' ? 'done with recoverable errors (see `cloud-init status --long` on the node)' : 'done'} after ${formatElapsed(Date.now() - t0)}`,
    )
  } finally {
    clearInterval(tick)
    s.close()
  }
}
