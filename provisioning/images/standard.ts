// The images KubeLab ships for tests and offline labs, all built from Debian's busybox-static.
import { busyboxRootfs } from './busybox'
import type { ImageSpec } from './build'

export const BUSYBOX_IMAGE = 'kubelab.local/busybox:1'
export const PAUSE_IMAGE = 'kubelab.local/pause:1'

/** A general-purpose image: sh, httpd, wget, nc ... Default command is a shell. */
export function busyboxImageSpec(name = BUSYBOX_IMAGE): ImageSpec {
  return { name, rootfs: busyboxRootfs(), cmd: ['sh'], workdir: '/', exposedPorts: ['80/tcp'] }
}

/**
 * The sandbox ("pause") image containerd runs per pod: a shell that sleeps until TERM, so it
 * holds the pod's namespaces without work and stops at once when asked.
 */
export function pauseImageSpec(name = PAUSE_IMAGE): ImageSpec {
  return {
    name,
    rootfs: busyboxRootfs(),
    entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done'],
  }
}
