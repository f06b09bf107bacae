// VBoxManage failures as values. A call failed when it exits non-zero OR prints
// "VBoxManage: error:" on stderr (some failures exit 0); known messages map to what happened
// and what to do (PROVIDERS.md §3.2, §3.7, §3.8).

export type VBoxErrorKind =
  | 'not-installed'
  | 'broken-install'
  | 'kernel-driver'
  | 'hostonly-range'
  | 'hostonly-unsupported'
  | 'hypervisor-conflict'
  | 'not-found'
  | 'already-exists'
  | 'locked'
  | 'not-running'
  | 'failed'

export interface VBoxFailure {
  readonly kind: VBoxErrorKind
  readonly exitCode: number
  readonly message: string
  readonly nextStep: string
  /** Worth retrying (3 times, 1 s apart). */
  readonly transient: boolean
  readonly stderr: string
}

const ERROR_LINE = /VBoxManage(\.exe)?: error:/

/** True when the call failed, whatever its exit code says. */
export function isVBoxFailure(exitCode: number, stderr: string): boolean {
  return exitCode !== 0 || ERROR_LINE.test(stderr)
}

interface Rule {
  readonly kind: VBoxErrorKind
  readonly test: (stderr: string, exit: number) => boolean
  readonly message: string
  readonly nextStep: string
  readonly transient?: boolean
}

const RULES: readonly Rule[] = [
  {
    kind: 'not-installed',
    test: (_s, exit) => exit === 127,
    message: 'VirtualBox (VBoxManage) is not installed or not on PATH',
    nextStep: 'install VirtualBox 7.1 or later from https://www.virtualbox.org/wiki/Downloads, then re-check',
  },
  {
    kind: 'broken-install',
    test: (_s, exit) => exit === 126,
    message: 'VBoxManage exists but cannot be run: the VirtualBox installation is broken',
    nextStep: 'reinstall VirtualBox, then re-check',
  },
  {
    kind: 'kernel-driver',
    test: (s) => /failed to open \/dev\/vboxnetctl|vboxdrv kernel module is not loaded|VERR_VM_DRIVER_NOT_INSTALLED|Kernel driver not installed/.test(s),
    message: "VirtualBox's kernel driver is not loaded",
    nextStep:
      'Linux: run `sudo /sbin/vboxconfig` (with Secure Boot, sign or allow the module); macOS: allow Oracle in System Settings → Privacy & Security and reboot',
  },
  {
    kind: 'hostonly-range',
    test: (s) => s.includes('E_ACCESSDENIED'),
    message: 'VirtualBox refused the host-only address: since 6.1.28 only 192.168.56.0/21 is allowed on Linux and macOS',
    nextStep: 'use an address in 192.168.56.0/21 (KubeLab does by default), or list the range in /etc/vbox/networks.conf, e.g. "* 10.0.0.0/8 192.168.0.0/16"',
  },
  {
    kind: 'hostonly-unsupported',
    test: (s) => s.includes('Host-only adapters are no longer supported'),
    message: 'this VirtualBox (macOS, 7.x) has no host-only adapters, only host-only networks',
    nextStep:
      'KubeLab uses a host-only network instead: re-check the provider, or run `VBoxManage hostonlynet add --name kubelab --netmask 255.255.255.0 --lower-ip 192.168.56.100 --upper-ip 192.168.56.199 --enable`',
  },
  {
    kind: 'hypervisor-conflict',
    test: (s) => /VERR_NEM_|VERR_VMX_NO_VMX|VERR_SVM_DISABLED|VERR_VMX_MSR_ALL_VMX_DISABLED|AMD-V is disabled|VT-x is not available/.test(s),
    message: 'VirtualBox cannot use hardware virtualization: Hyper-V (WSL2, Docker Desktop, Memory Integrity) holds it, or it is off in the firmware',
    nextStep:
      'Windows: turn off Memory Integrity and "Virtual Machine Platform", or `bcdedit /set hypervisorlaunchtype off` and reboot; otherwise enable VT-x/AMD-V in the BIOS. Or use the Multipass provider',
  },
  {
    kind: 'not-found',
    test: (s) => s.includes('Could not find a registered machine') || s.includes('VBOX_E_OBJECT_NOT_FOUND'),
    message: 'VirtualBox has no such VM: it was deleted outside KubeLab',
    nextStep: 'recreate the node (KubeLab → node → Recreate) or delete the cluster',
  },
  {
    kind: 'already-exists',
    test: (s) => s.includes('already exists'),
    message: 'a VM or disk with this name already exists in VirtualBox',
    nextStep: "KubeLab reuses it; if it is not KubeLab's, remove it in the VirtualBox Manager (or `VBoxManage unregistervm <name> --delete`) and create again",
  },
  {
    kind: 'locked',
    test: (s) => s.includes('is already locked') || s.includes('VBOX_E_INVALID_OBJECT_STATE'),
    message: 'the VM is busy (another VirtualBox process holds its session)',
    nextStep: 'KubeLab retries; if it persists, close the VirtualBox Manager window for this VM',
    transient: true,
  },
  {
    kind: 'not-running',
    test: (s) => s.includes('is not currently running'),
    message: 'the VM is not running',
    nextStep: 'nothing to do: it is already off',
  },
]

/** The first "VBoxManage: error:" line's text, without the prefix. */
export function vboxReason(stderr: string): string {
  const line = stderr.split(/\r?\n/).find((l) => ERROR_LINE.test(l))
  return (line ?? stderr.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').replace(/^.*VBoxManage(\.exe)?: error:\s*/, '').trim()
}

export function classifyVBox(exitCode: number, stderr: string): VBoxFailure {
  for (const r of RULES) {
    if (r.test(stderr, exitCode)) return { kind: r.kind, exitCode, message: r.message, nextStep: r.nextStep, transient: r.transient ?? false, stderr }
  }
  const reason = vboxReason(stderr) || `exit code ${exitCode} and no message`
  return {
    kind: 'failed',
    exitCode,
    message: `VBoxManage failed: ${reason}`,
    nextStep: 'see the log; the VirtualBox Manager shows the VM and its log',
    transient: false,
    stderr,
  }
}

export class VBoxError extends Error {
  constructor(
    readonly command: string,
    readonly failure: VBoxFailure,
  ) {
    super(`VBoxManage ${command}: ${failure.message}. Next: ${failure.nextStep}`)
    this.name = 'VBoxError'
  }
}
