// The qemu rows of the create wizard's preflight, besides the generic ones (binary through
// detect; memory with the host reserve, CPU and disk through the VM checks): the accelerator
// that will be used (with the slow note for TCG) and whether the default cloud image is cached
// or can be downloaded.
import { existsSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { PreflightCheck } from '../../contract'
import type { AccelChoice } from './accel'
import { defaultImageUrl, fetchText, sumFor, UBUNTU_RELEASE_URL } from './image'

export function accelCheck(accelChoice: AccelChoice): PreflightCheck {
  return { id: 'qemu-accel', title: 'Accelerator', status: accelChoice.slow ? 'warn' : 'pass', detail: accelChoice.reason }
}

export async function imageCheck(home: string, arch: 'x86_64' | 'aarch64', baseUrl = UBUNTU_RELEASE_URL, timeoutMs = 8000): Promise<PreflightCheck> {
  const url = defaultImageUrl(arch, baseUrl)
  const name = basename(new URL(url).pathname)
  const cached = join(home, 'images', 'qemu', name)
  const title = 'Cloud image'
  if (existsSync(cached))
    return { id: 'qemu-image', title, status: 'pass', detail: `Ubuntu 24.04 cached (${(statSync(cached).size / 2 ** 20).toFixed(0)} MiB, ${cached})` }
  try {
    const sums = await Promise.race([
      fetchText(new URL('SHA256SUMS', url).toString()),
      new Promise<never>((_, j) => setTimeout(() => j(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)),
    ])
    if (!sumFor(sums, name)) throw new Error(`the release's SHA256SUMS does not list ${name}`)
    return {
      id: 'qemu-image',
      title,
      status: 'pass',
      detail: `Ubuntu 24.04 will be downloaded once (about 600 MiB) from ${url} and checked against SHA256SUMS`,
    }
  } catch (e) {
    return {
      id: 'qemu-image',
      title,
      status: 'warn',
      detail: `Ubuntu 24.04 is not cached and cannot be downloaded now (${(e as Error).message}): connect to the internet, or create from the CLI with --image FILE (any cloud image with cloud-init)`,
    }
  }
}
