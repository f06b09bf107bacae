// What goes into the VM test image: a small Debian bookworm system that boots with SeaBIOS,
// takes a NoCloud seed and then behaves like the cloud images KubeLab's VM providers use
// (cloud-init creates the users and keys, sshd answers, containerd is there).
//
// Everything comes from Debian's package archive, because CI reaches nothing else. The cache
// key is a hash of this whole recipe, so any change here builds a fresh image.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

export const SUITE = 'bookworm'

/** Bump to force a rebuild when something outside this file changes the image (e.g. build.ts). */
export const RECIPE_REVISION = 2

/**
 * Packages beyond mmdebstrap's minbase variant. No Recommends (mmdebstrap's default).
 * - kernel, init, udev, dbus (hostnamectl for cloud-init's hostname module)
 * - cloud-init with netplan (Ubuntu's network stack: cloud-init renders network-config to
 *   netplan, our user-data may run `netplan apply`), cloud-guest-utils for growpart so an
 *   overlay bigger than the base grows the root filesystem on first boot
 * - what KubeLab's node needs (cloud-init/user-data.ts NODE_PACKAGES): containerd, runc, CNI
 *   plugins, iptables, conntrack, socat, curl, xz-utils (the Node.js runtime is a .tar.xz)
 */
export const PACKAGES = [
  'linux-image-amd64',
  'systemd',
  'systemd-sysv',
  'systemd-resolved',
  'udev',
  'dbus',
  'kmod',
  'procps',
  'e2fsprogs',
  'cloud-init',
  'cloud-guest-utils',
  'netplan.io',
  'openssh-server',
  'sudo',
  'ca-certificates',
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iptables',
  'iproute2',
  'conntrack',
  'socat',
  'curl',
  'xz-utils',
  'iputils-ping',
  'zstd',
] as const

/** Label of the root filesystem; the kernel command line and fstab find it by this. */
export const ROOT_LABEL = 'kubelab-root'

/** mmdebstrap's --customize-hook (customize.sh, run as `sh customize.sh ROOT LABEL`). */
export const CUSTOMIZE_SCRIPT = readFileSync(new URL('./customize.sh', import.meta.url), 'utf8')

/** syslinux.cfg on the FAT boot partition; console on ttyS0 (the serial log) as cloud images do. */
export function syslinuxConfig(kernel: string, initrd: string): string {
  return [
    'DEFAULT linux',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL linux',
    `  KERNEL /${kernel}`,
    `  INITRD /${initrd}`,
    `  APPEND root=LABEL=${ROOT_LABEL} rw console=tty0 console=ttyS0,115200n8 net.ifnames=1`,
    '',
  ].join('\n')
}

/** Short hash of everything that shapes the image: the cache file name. */
export function recipeHash(): string {
  const h = createHash('sha256')
  h.update(JSON.stringify({ SUITE, RECIPE_REVISION, PACKAGES, ROOT_LABEL, CUSTOMIZE_SCRIPT, boot: syslinuxConfig('K', 'I') }))
  return h.digest('hex').slice(0, 16)
}
