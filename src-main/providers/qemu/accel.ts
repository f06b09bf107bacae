// Which accelerator QEMU runs the VMs with. Opening /dev/kvm is not enough: on a nested host
// without vmx/svm, KVM accepted a guest and then hung it in early boot for minutes (QEMU.md §1).
// So KVM is chosen only when /dev/kvm is usable, the CPU advertises vmx/svm, and a tiny boot
// (a Linux kernel without a root disk: it must print "Linux version" and panic, i.e. exit)
// succeeds in a few seconds. macOS uses HVF when kern.hv_support says so. Otherwise TCG, which
// works everywhere but is 6-19× slower: the progress says so.
import { spawn } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { accelArgs, cpuModel } from './args'

export type Accelerator = 'kvm' | 'hvf' | 'tcg'

export interface AccelFacts {
  readonly platform: NodeJS.Platform
  /** /dev/kvm opens read-write for this user. */
  readonly kvmDevice: boolean
  /** /proc/cpuinfo lists vmx or svm. */
  readonly virtFlags: boolean
  /** macOS `sysctl kern.hv_support` = 1. */
  readonly hvSupport: boolean
  /** The accelerators this qemu-system binary was built with (`-accel help`). */
  readonly builtWith: readonly string[]
  /** Result of the tiny KVM boot, when one was run. */
  readonly kvmProbe?: { ok: boolean; detail: string }
}

export interface AccelChoice {
  readonly accel: Accelerator
  /** Why: shown in the progress and the wizard. */
  readonly reason: string
  readonly slow: boolean
}

export const TCG_NOTE = 'TCG software emulation: works everywhere but is slow (booting and installing take minutes)'

/** The decision, from facts only (unit-tested with every combination). */
export function chooseAccelerator(accelFacts: AccelFacts): AccelChoice {
  const tcg = (why: string): AccelChoice => ({ accel: 'tcg', reason: `${TCG_NOTE}; ${why}`, slow: true })
  if (accelFacts.platform === 'darwin') {
    if (accelFacts.hvSupport && accelFacts.builtWith.includes('hvf')) return { accel: 'hvf', reason: 'HVF (macOS Hypervisor.framework)', slow: false }
    return tcg(accelFacts.hvSupport ? 'this QEMU was built without HVF' : 'this Mac reports no hypervisor support (kern.hv_support)')
  }
  if (accelFacts.platform !== 'linux') return tcg(`no accelerator support for ${accelFacts.platform} in KubeLab yet`)
  if (!accelFacts.builtWith.includes('kvm')) return tcg('this QEMU was built without KVM')
  if (!accelFacts.kvmDevice)
    return tcg('/dev/kvm is missing or not usable by this user (add yourself to the kvm group: sudo usermod -aG kvm $USER, then log in again)')
  if (!accelFacts.virtFlags) return tcg('the CPU offers no vmx/svm (a nested VM without virtualization passed through): KVM guests hang here')
  if (accelFacts.kvmProbe && !accelFacts.kvmProbe.ok) return tcg(`a test boot under KVM failed (${accelFacts.kvmProbe.detail})`)
  return { accel: 'kvm', reason: accelFacts.kvmProbe ? `KVM (test boot: ${accelFacts.kvmProbe.detail})` : 'KVM', slow: false }
}

/** Parses `qemu-system-* -accel help`: "Accelerators supported in QEMU binary:\ntcg\nkvm". */
export function parseAccelHelp(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[a-z]+$/.test(l))
}

export function readAccelFacts(builtWith: readonly string[]): AccelFacts {
  let kvmDevice = false
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK)
    kvmDevice = true
  } catch {
    kvmDevice = false
  }
  let virtFlags = false
  try {
    virtFlags = /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    virtFlags = false
  }
  return { platform: process.platform, kvmDevice, virtFlags, hvSupport: process.platform === 'darwin', builtWith }
}

/** A kernel to boot for the KVM probe: the one given, else the host's own if readable. */
export function probeKernel(given?: string): string | undefined {
  const candidates = [given, `/boot/vmlinuz-${safeRelease()}`, '/vmlinuz'].filter((x): x is string => !!x)
  for (const k of candidates) {
    try {
      accessSync(k, constants.R_OK)
      if (existsSync(k)) return k
    } catch {
      /* not readable: next */
    }
  }
  return undefined
}

function safeRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
  } catch {
    return 'none'
  }
}

/**
 * Boots `kernel` under KVM with no disk: a working KVM prints "Linux version" and panics
 * (no root file system) within seconds, and -no-reboot makes QEMU exit. Silence past the
 * limit means KVM hangs guests here.
 */
export function probeKvmBoot(qemu: string, kernel: string, limitMs = 20_000): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const child = spawn(
      qemu,
      [
        '-machine',
        'q35',
        ...accelArgs('kvm'),
        '-cpu',
        cpuModel('kvm', 'x86_64'),
        '-m',
        '256',
        '-kernel',
        kernel,
        '-append',
        'console=ttyS0 panic=-1',
        '-no-reboot',
        '-display',
        'none',
        '-vga',
        'none',
        '-serial',
        'stdio',
        '-monitor',
        'none',
        '-nodefaults',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let done = false
    const finish = (ok: boolean, detail: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (child.exitCode === null) child.kill('SIGKILL')
      resolve({ ok, detail })
    }
    const timer = setTimeout(() => finish(false, `no kernel output under KVM within ${Math.round(limitMs / 1000)} s`), limitMs)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1')
      if (/Linux version/.test(out)) finish(true, `kernel started in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      if (out.length > 1 << 20) out = out.slice(-4096)
    })
    child.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')))
    child.on('error', (e) => finish(false, `could not run ${qemu}: ${e.message}`))
    child.on('exit', (code, sig) =>
      finish(/Linux version/.test(out), `QEMU exited (${code ?? sig}) before the kernel started: ${out.trim().split('\n').slice(-2).join(' ')}`),
    )
  })
}
