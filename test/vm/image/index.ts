// The VM test image for the `vm` test layer: built once from Debian packages (build.ts,
// recipe.ts) and cached outside the repository, keyed by the recipe's hash, so a changed
// recipe builds a new image and an unchanged one is reused across runs.
//   ensureVmTestImage(progress) → { path, format: 'qcow2', ... }
// Use the file as a read-only backing file: qemu-img create -f qcow2 -F qcow2 -b PATH disk.qcow2 10G
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { BOOT_MIB, buildImage, missingBuildTools, type Progress } from './build'
import { recipeHash } from './recipe'

export { missingBuildTools } from './build'
export type { Progress } from './build'

export interface VmTestImage {
  /** Absolute path of the qcow2 file. Never write to it: use it as a backing file. */
  readonly path: string
  readonly format: 'qcow2'
  /** Guest facts the tests can rely on. */
  readonly arch: 'x86_64'
  /** Debian release inside. */
  readonly os: 'Debian GNU/Linux 12 (bookworm)'
  /** The guest's kernel (vmlinuz), e.g. for an accelerator probe; next to the image. */
  readonly kernel: string
  /** True when this call built it (false: taken from the cache). */
  readonly built: boolean
}

/**
 * Copies the kernel out of the image's FAT boot partition (1 MiB in, BOOT_MIB long) once:
 * qemu-img dd reads it out of the qcow2, mcopy reads the file out of the FAT without a mount.
 */
function ensureKernel(image: string): string {
  const kernel = image.replace(/\.qcow2$/, '.vmlinuz')
  if (existsSync(kernel)) return kernel
  const work = mkdtempSync(`${kernel}.tmp-`)
  try {
    const fat = `${work}/boot.fat`
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`)
    }
    run('qemu-img', ['dd', '-f', 'qcow2', '-O', 'raw', 'bs=1M', 'skip=1', `count=${BOOT_MIB}`, `if=${image}`, `of=${fat}`])
    run('mcopy', ['-n', '-i', fat, '::vmlinuz', `${work}/vmlinuz`])
    renameSync(`${work}/vmlinuz`, kernel)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return kernel
}

/** `${KUBELAB_VM_IMAGE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/kubelab/vm-test-image}` */
export function vmTestImageDir(): string {
  return process.env.KUBELAB_VM_IMAGE_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubelab', 'vm-test-image')
}

export function vmTestImagePath(): string {
  return join(vmTestImageDir(), `debian-bookworm-${recipeHash()}.qcow2`)
}

/** The cached image, building it first when this recipe has none yet (minutes; progress lines). */
export async function ensureVmTestImage(progress: Progress = () => undefined): Promise<VmTestImage> {
  const path = vmTestImagePath()
  const facts = { path, format: 'qcow2', arch: 'x86_64', os: 'Debian GNU/Linux 12 (bookworm)' } as const
  if (existsSync(path)) {
    progress(`VM test image: cached ${path}`)
    return { ...facts, kernel: ensureKernel(path), built: false }
  }
  const why = missingBuildTools()
  if (why) throw new Error(why)
  mkdirSync(vmTestImageDir(), { recursive: true })
  progress(`VM test image: building ${path} (a few minutes, once per recipe)`)
  await buildImage(path, progress)
  return { ...facts, kernel: ensureKernel(path), built: true }
}
