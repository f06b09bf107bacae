// Every Multipass error string and exit code in the reference maps to a clear message and a
// next step (shared/reference/PROVIDERS.md §2.5).
import { describe, expect, it } from 'vitest'
import { MultipassError, classifyMultipass, multipassReason, type MpErrorKind } from '../../src-main/providers/multipass/errors'

const cases: [string, number, string, MpErrorKind, RegExp][] = [
  ['name taken', 2, 'launch failed: instance "kl-demo-cp" already exists', 'already-exists', /delete --purge/],
  ['unknown instance', 2, 'info failed: The following errors occurred:\ninstance "kl-x" does not exist', 'does-not-exist', /recreate/i],
  ['no SSH', 2, 'launch failed: timed out waiting for response', 'ssh-timeout', /bootpd|VPN/],
  ['cloud-init still running', 2, 'launch failed: timed out waiting for initialization to complete', 'init-timeout', /polling/],
  ['our --timeout', 5, 'Timed out waiting for instance launch.', 'launch-timeout', /polling/],
  ['Hyper-V default switch', 2, 'launch failed: Could not find the default switch', 'default-switch-missing', /Default Switch|hosts\.ics/],
  [
    'sudo used once',
    2,
    "list failed: The client is not authenticated with the Multipass service.\nPlease use 'multipass authenticate' before proceeding.",
    'not-authenticated',
    /multipass authenticate/,
  ],
  ['non-admin macOS', 2, 'list failed: socket access denied', 'socket-denied', /administrator|group/],
  [
    'socket path permission',
    3,
    "list failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and '/var/run/multipass_socket' is accessible",
    'daemon-unreachable',
    /snap restart|launchctl/,
  ],
  ['stale image index', 2, 'launch failed: Downloaded image hash does not match', 'image-hash-mismatch', /find --force-update/],
  ['offline', 2, 'launch failed: Remote "" is unknown or unreachable.', 'offline', /cached image|internet/],
  ['bad network options', 2, 'launch failed: Invalid network options supplied', 'internal', /report/i],
  ['bad cloud-init', 1, 'Could not load cloud-init configuration: bad indentation', 'internal', /report/i],
  ['exec client failure', 2, 'exec failed: ssh failed to authenticate', 'exec-failed', /SSH/],
  ['retry', 4, 'start failed: try again', 'retry', /retries/],
  ['command line', 1, "Unknown option 'zone'.", 'command-line', /update Multipass/],
]

describe('classifyMultipass', () => {
  for (const [what, exit, stderr, kind, next] of cases) {
    it(`${what}: ${JSON.stringify(stderr.split('\n')[0])} (exit ${exit}) → ${kind}`, () => {
      const f = classifyMultipass(exit, stderr)
      expect(f.kind).toBe(kind)
      expect(f.exitCode).toBe(exit)
      expect(f.message.length).toBeGreaterThan(20)
      expect(f.nextStep).toMatch(next)
      expect(f.stderr).toBe(stderr)
    })
  }

  it('treats both init timeouts, and only those, as still provisioning', () => {
    const still = cases.filter(([, exit, stderr]) => classifyMultipass(exit, stderr).stillProvisioning).map(([, , , k]) => k)
    expect(still).toEqual(['init-timeout', 'launch-timeout'])
  })

  it('exit 5 without text is our timeout; exit 3 without text is the daemon', () => {
    expect(classifyMultipass(5, '').kind).toBe('launch-timeout')
    expect(classifyMultipass(3, '').kind).toBe('daemon-unreachable')
  })

  it('falls back to Multipass\'s own reason without the "<command> failed:" prefix', () => {
    const f = classifyMultipass(2, 'start failed: The following errors occurred:\nsomething odd happened')
    expect(f.kind).toBe('failed')
    expect(f.message).toBe('multipass failed: something odd happened')
    expect(multipassReason('delete failed: boom')).toBe('boom')
  })

  it('MultipassError reads "multipass <cmd>: what. Next: what to do"', () => {
    const e = new MultipassError('launch', classifyMultipass(2, 'launch failed: instance "x" already exists'))
    expect(e.message).toMatch(/^multipass launch: a Multipass instance with this name already exists.*\. Next: delete it/)
  })
})
