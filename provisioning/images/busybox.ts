// A small root filesystem made of Debian's static busybox: /bin/busybox plus one symlink per
// applet (sh, httpd, wget, nc, ...), a passwd/group file, /tmp and a page for httpd to serve.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import type { RootfsEntry } from './layer'

export const HOST_BUSYBOX = '/bin/busybox'

/** Applets every KubeLab test image must have; checked so a thin busybox fails loudly. */
export const REQUIRED_APPLETS = ['sh', 'httpd', 'wget', 'cat', 'echo', 'sleep', 'ls', 'nc', 'env', 'ps', 'kill', 'hostname', 'nslookup', 'ip']

export interface BusyboxRootfsOptions {
  /** Path of a statically linked busybox on this machine (Debian: busybox-static). */
  busybox?: string
  /** Body of /var/www/index.html. */
  indexHtml?: string
  /** Extra files layered on top. */
  extra?: RootfsEntry[]
}

export function busyboxApplets(busybox = HOST_BUSYBOX): string[] {
  const out = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && !s.includes('/') && s !== 'busybox')
}

export function busyboxRootfs(opts: BusyboxRootfsOptions = {}): RootfsEntry[] {
  const bin = opts.busybox ?? HOST_BUSYBOX
  if (!existsSync(bin)) throw new Error(`busybox rootfs: ${bin} not found; install Debian's busybox-static (apt-get install busybox-static)`)
  const applets = busyboxApplets(bin)
  const missing = REQUIRED_APPLETS.filter((a) => !applets.includes(a))
  if (missing.length) throw new Error(`busybox rootfs: ${bin} lacks applets ${missing.join(', ')}; use busybox-static`)
  const entries: RootfsEntry[] = [
    { type: 'file', path: 'bin/busybox', content: readFileSync(bin), mode: 0o755 },
    ...applets.map((a): RootfsEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'symlink', path: 'sbin', target: 'bin' },
    { type: 'dir', path: 'usr', mode: 0o755 },
    { type: 'symlink', path: 'usr/bin', target: '../bin' },
    { type: 'symlink', path: 'usr/sbin', target: '../bin' },
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'sys', mode: 0o555 },
    { type: 'dir', path: 'dev', mode: 0o755 },
    { type: 'dir', path: 'var/www', mode: 0o755 },
    { type: 'file', path: 'var/www/index.html', content: opts.indexHtml ?? '<html><body><h1>KubeLab busybox</h1></body></html>\n' },
  ]
  return [...entries, ...(opts.extra ?? [])]
}
