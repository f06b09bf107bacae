// Multipass failures as values: the exit code and stderr of a `multipass` call mapped to what
// happened and what the user (or KubeLab) does next. The strings and codes are Multipass's own
// (return_codes.h, base_virtual_machine.cpp, daemon.cpp); see shared/reference/PROVIDERS.md §2.5.

export type MpErrorKind =
  | 'already-exists'
  | 'does-not-exist'
  | 'ssh-timeout'
  | 'init-timeout'
  | 'launch-timeout'
  | 'default-switch-missing'
  | 'not-authenticated'
  | 'socket-denied'
  | 'daemon-unreachable'
  | 'image-hash-mismatch'
  | 'offline'
  | 'internal'
  | 'exec-failed'
  | 'command-line'
  | 'retry'
  | 'failed'

/** Multipass exit codes (include/multipass/cli/return_codes.h). */
export const MP_EXIT = { ok: 0, commandLineError: 1, commandFail: 2, daemonFail: 3, retry: 4, timeout: 5, shellExecFail: 255 } as const

export interface MpFailure {
  readonly kind: MpErrorKind
  readonly exitCode: number
  /** What went wrong, in words a learner understands. */
  readonly message: string
  /** What to do now. */
  readonly nextStep: string
  /** The VM exists and is still booting or running cloud-init: poll, do not fail. */
  readonly stillProvisioning: boolean
  /** Multipass's own text, kept for the log. */
  readonly stderr: string
}

interface Rule {
  readonly kind: MpErrorKind
  readonly test: (stderr: string, exit: number) => boolean
  readonly message: string
  readonly nextStep: string
  readonly stillProvisioning?: boolean
}

const has = (s: string) => (stderr: string) => stderr.includes(s)

// Order matters: specific strings before the exit-code fallbacks.
const RULES: readonly Rule[] = [
  {
    kind: 'init-timeout',
    test: has('timed out waiting for initialization to complete'),
    message: 'the VM is up but cloud-init had not finished when Multipass stopped waiting',
    nextStep: 'nothing to fix: KubeLab keeps polling until the VM is Running, then waits for cloud-init over SSH',
    stillProvisioning: true,
  },
  {
    kind: 'launch-timeout',
    test: (s, exit) => s.includes('Timed out waiting for instance launch') || exit === MP_EXIT.timeout,
    message: 'the launch took longer than the timeout KubeLab gave it; Multipass carries on in the background',
    nextStep: 'nothing to fix: KubeLab keeps polling `multipass list` until the VM is Running',
    stillProvisioning: true,
  },
  {
    kind: 'ssh-timeout',
    test: has('timed out waiting for response'),
    message: 'Multipass could not reach the VM over SSH: it got no address, or a firewall or VPN is in the way',
    nextStep: 'run the network checks (KubeLab → Diagnostics); on macOS allow bootpd in the firewall and check that no VPN routes 192.168.64.0/24',
  },
  {
    kind: 'already-exists',
    test: has('already exists'),
    message: 'a Multipass instance with this name already exists (possibly a deleted one that was not purged)',
    nextStep: 'delete it with `multipass delete --purge <name>` (KubeLab asks first), then create again',
  },
  {
    kind: 'does-not-exist',
    test: has('does not exist'),
    message: 'Multipass has no instance with this name: it was deleted outside KubeLab',
    nextStep: 'recreate the node (KubeLab → node → Recreate) or delete the cluster',
  },
  {
    kind: 'default-switch-missing',
    test: has('Could not find the default switch'),
    message: 'the Hyper-V "Default Switch" is missing, so Multipass has no network for VMs',
    nextStep:
      'turn the Hyper-V feature off and on again (or reboot) so Windows recreates the Default Switch, then retry; if it stays broken delete C:\\Windows\\System32\\drivers\\etc\\hosts.ics',
  },
  {
    kind: 'not-authenticated',
    test: has('not authenticated with the Multipass service'),
    message: 'this user is not authenticated with the Multipass daemon (usually after `sudo multipass` was run once)',
    nextStep: 'set a passphrase with `sudo multipass set local.passphrase`, then run `multipass authenticate` as yourself; never run multipass with sudo',
  },
  {
    kind: 'socket-denied',
    test: (s) => s.includes('socket access denied') || /multipass_socket.*(denied|permission)/i.test(s),
    message: 'this user may not talk to the Multipass daemon (its socket belongs to root:admin)',
    nextStep: 'use an administrator account on macOS, or add yourself to the group that owns /var/run/multipass_socket, then log out and in',
  },
  {
    kind: 'daemon-unreachable',
    test: (s, exit) => exit === MP_EXIT.daemonFail || s.includes('cannot connect to the multipass socket') || s.includes('Please ensure multipassd is running'),
    message: 'the Multipass daemon (multipassd) is not running or not reachable',
    nextStep:
      'start it: Linux `sudo snap restart multipass`; macOS `sudo launchctl kickstart -k system/com.canonical.multipassd`; Windows restart the "Multipass" service',
  },
  {
    kind: 'image-hash-mismatch',
    test: has('Downloaded image hash does not match'),
    message: "Multipass's image index is stale: the downloaded image does not match its checksum",
    nextStep: 'run `multipass find --force-update`, then create again',
  },
  {
    kind: 'offline',
    test: has('is unknown or unreachable'),
    message: 'Multipass cannot reach the image server (offline, proxy or firewall)',
    nextStep: "connect to the internet, or use KubeLab's cached image (Settings → Images → Use offline image)",
  },
  {
    kind: 'internal',
    test: (s) => s.includes('Invalid network options') || s.includes('Could not load cloud-init configuration'),
    message: 'KubeLab passed Multipass options it rejected (a KubeLab bug)',
    nextStep: 'report it with the log below (KubeLab → Help → Report a problem)',
  },
  {
    kind: 'exec-failed',
    test: has('exec failed:'),
    message: '`multipass exec` could not run the command in the VM',
    nextStep: 'check that the VM is Running (`multipass list`); KubeLab falls back to SSH',
  },
  {
    kind: 'retry',
    test: (_s, exit) => exit === MP_EXIT.retry,
    message: 'Multipass asked to retry the command',
    nextStep: 'KubeLab retries once; if it fails again, restart the Multipass daemon',
  },
  {
    kind: 'command-line',
    test: (_s, exit) => exit === MP_EXIT.commandLineError,
    message: 'Multipass rejected the command line (this Multipass version may not know an option KubeLab uses)',
    nextStep: 'update Multipass to 1.16 or later, then retry',
  },
]

/** Strips Multipass's "<command> failed: " prefix and the multi-instance header. */
export function multipassReason(stderr: string): string {
  return stderr
    .split(/\r?\n/)
    .map((l) =>
      l
        .replace(/^[a-z-]+ failed: /, '')
        .replace(/^The following errors occurred:/, '')
        .trim(),
    )
    .filter((l) => l !== '')
    .join('; ')
}

/** Maps a failed call (exit ≠ 0) to a failure value. */
export function classifyMultipass(exitCode: number, stderr: string): MpFailure {
  for (const r of RULES) {
    if (r.test(stderr, exitCode)) {
      return { kind: r.kind, exitCode, message: r.message, nextStep: r.nextStep, stillProvisioning: r.stillProvisioning ?? false, stderr }
    }
  }
  const reason = multipassReason(stderr) || `exit code ${exitCode} and no message`
  return {
    kind: 'failed',
    exitCode,
    message: `multipass failed: ${reason}`,
    nextStep: 'see the log; `multipass list` shows what state the VMs are in',
    stillProvisioning: false,
    stderr,
  }
}

/** An exception carrying the classified failure; its message reads "what failed: next step". */
export class MultipassError extends Error {
  constructor(
    readonly command: string,
    readonly failure: MpFailure,
  ) {
    super(`multipass ${command}: ${failure.message}. Next: ${failure.nextStep}`)
    this.name = 'MultipassError'
  }
}
