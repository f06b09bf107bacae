// The qemu-system command line for one node, built from a plain spec so it is unit-tested
// without QEMU. Choices (QEMU.md §1, §2, §5, §8): q35 (x86) / virt (arm64); the accelerator
// picked by accel.ts; a qcow2 overlay on virtio; the NoCloud seed as a CD; slirp with forwards
// bound to 127.0.0.1 only (an empty host address would bind 0.0.0.0); the private L2 on a
// loopback multicast bus; the serial console to a file; QMP on a unix socket; -daemonize so a
// bad port or flag fails synchronously, with a pidfile QEMU keeps locked while it runs.
import type { Accelerator } from './accel'

export interface HostForward {
  readonly hostPort: number
  readonly guestPort: number
}

export interface QemuSpec {
  readonly arch: 'x86_64' | 'aarch64'
  readonly accel: Accelerator
  readonly name: string
  readonly cpus: number
  readonly memoryMiB: number
  readonly disk: string
  readonly seed: string
  readonly consoleLog: string
  readonly qmpSocket: string
  readonly pidFile: string
  readonly natMac: string
  readonly labMac: string
  readonly mcastGroup: string
  readonly mcastPort: number
  /** SSH, the API server, NodePorts: each 127.0.0.1:hostPort → guest port on nat0. */
  readonly forwards: readonly HostForward[]
  /** UEFI firmware for arm64 (virt has no BIOS). */
  readonly firmware?: string
}

/** QEMU's option parser splits on commas: a literal comma in a value is written twice. */
export function optValue(value: string): string {
  return value.replace(/,/g, ',,')
}

export function cpuModel(accel: Accelerator, arch: QemuSpec['arch']): string {
  // `host` needs KVM or HVF; TCG gets `max` (all features QEMU can emulate).
  if (accel === 'kvm' || accel === 'hvf') return 'host'
  return arch === 'x86_64' ? 'max' : 'max'
}

export function accelArgs(accel: Accelerator): string[] {
  // MTTCG: one host thread per vCPU; a bigger translation cache avoids re-translating the kernel.
  return accel === 'tcg' ? ['-accel', 'tcg,thread=multi,tb-size=256'] : ['-accel', accel]
}

export function buildQemuArgs(spec: QemuSpec): string[] {
  for (const f of spec.forwards) {
    if (!Number.isInteger(f.hostPort) || f.hostPort < 1 || f.hostPort > 65535 || !Number.isInteger(f.guestPort) || f.guestPort < 1 || f.guestPort > 65535) {
      throw new Error(`port forward ${f.hostPort} → ${f.guestPort} is not a pair of TCP ports`)
    }
  }
  const hostfwd = spec.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('')
  const machine = spec.arch === 'x86_64' ? ['-machine', 'q35', '-global', 'ICH9-LPC.disable_s3=1', '-global', 'ICH9-LPC.disable_s4=1'] : ['-machine', 'virt']
  const firmware =
    spec.arch === 'aarch64'
      ? spec.firmware
        ? ['-bios', spec.firmware]
        : (() => {
            throw new Error('arm64 VMs need UEFI firmware (edk2-aarch64-code.fd): install qemu-efi-aarch64 / edk2-aarch64')
          })()
      : []
  return [
    '-name',
    `${optValue(spec.name)},process=${optValue(spec.name)}`,
    ...machine,
    ...accelArgs(spec.accel),
    '-cpu',
    cpuModel(spec.accel, spec.arch),
    '-smp',
    String(spec.cpus),
    '-m',
    String(spec.memoryMiB),
    ...firmware,
    '-drive',
    `if=virtio,file=${optValue(spec.disk)},format=qcow2,discard=unmap`,
    '-drive',
    `file=${optValue(spec.seed)},media=cdrom,readonly=on`,
    '-netdev',
    `user,id=net0${hostfwd}`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${spec.natMac}`,
    '-netdev',
    `socket,id=lab0,mcast=${spec.mcastGroup}:${spec.mcastPort},localaddr=127.0.0.1`,
    '-device',
    `virtio-net-pci,netdev=lab0,mac=${spec.labMac}`,
    '-device',
    'virtio-rng-pci',
    '-display',
    'none',
    '-vga',
    'none',
    '-parallel',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${optValue(spec.consoleLog)}`,
    '-qmp',
    `unix:${optValue(spec.qmpSocket)},server=on,wait=off`,
    '-pidfile',
    spec.pidFile,
    '-daemonize',
  ]
}
