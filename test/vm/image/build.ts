// Builds the VM test image (recipe.ts) into a qcow2 file:
//   mmdebstrap → root folder → ext4 image made with `mkfs.ext4 -d` (no loop device, no mount)
//   kernel + initrd + syslinux on a small FAT partition (syslinux installs into a FAT image
//   file without mounting it), syslinux's MBR code, an MBR partition table (boot, root),
//   then `qemu-img convert` to qcow2. Root is the last partition so growpart can grow it.
// Everything happens in a temp folder next to the output, removed on every path; the output
// appears only by rename once complete.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CUSTOMIZE_SCRIPT, PACKAGES, ROOT_LABEL, SUITE, syslinuxConfig } from './recipe'

export type Progress = (line: string) => void

const MBR_BIN = '/usr/lib/syslinux/mbr/mbr.bin'
const MIB = 1024 * 1024
export const BOOT_MIB = 64

/** Host tools the build needs, with the Debian package that has each. */
export const BUILD_TOOLS: readonly (readonly [string, string])[] = [
  ['mmdebstrap', 'mmdebstrap'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['mkfs.vfat', 'dosfstools'],
  ['mcopy', 'mtools'],
  ['syslinux', 'syslinux'],
  ['sfdisk', 'fdisk'],
  ['qemu-img', 'qemu-utils'],
]

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && existsSync(join(d, bin)))
}

/** Why this host cannot build the image, or undefined when it can. */
export function missingBuildTools(): string | undefined {
  const lacking = BUILD_TOOLS.filter(([bin]) => !onPath(bin) && !existsSync(`/usr/sbin/${bin}`) && !existsSync(`/sbin/${bin}`)).map(([, pkg]) => pkg)
  if (!existsSync(MBR_BIN)) lacking.push('syslinux-common')
  if (lacking.length) return `the VM test image builder needs: apt-get install ${[...new Set(lacking)].join(' ')}`
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the VM test image builder needs root (mmdebstrap installs packages into a chroot)'
  return undefined
}

/**
 * The Debian archive lines for the chroot: the bookworm entries of the host's own apt sources
 * (the same mirror apt uses here), else deb.debian.org. KUBELAB_VM_IMAGE_MIRROR=URL overrides.
 */
export function debianSources(env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): string[] {
  const override = env.KUBELAB_VM_IMAGE_MIRROR
  if (override) return [`deb ${override} ${SUITE} main`, `deb ${override} ${SUITE}-updates main`]
  const lines: string[] = []
  const dropIns = join(aptDir, 'sources.list.d')
  const files = [
    join(aptDir, 'sources.list'),
    ...(existsSync(dropIns)
      ? readdirSync(dropIns)
          .sort()
          .map((f) => join(dropIns, f))
      : []),
  ]
  for (const f of files) {
    if (!existsSync(f)) continue
    const text = readFileSync(f, 'utf8')
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string) =>
          stanza
            .match(new RegExp(`^${k}:\\s*(.+)$`, 'mi'))?.[1]
            ?.trim()
            .split(/\s+/) ?? []
        if (field('Enabled')[0] === 'no' || !field('Types').includes('deb')) continue
        for (const uri of field('URIs')) for (const s of field('Suites')) if (s.startsWith(SUITE)) lines.push(`deb ${uri} ${s} main`)
      }
    } else if (f.endsWith('.list')) {
      for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/gm)) if (m[2]!.startsWith(SUITE)) lines.push(`deb ${m[1]} ${m[2]} main`)
    }
  }
  return lines.length ? [...new Set(lines)] : [`deb http://deb.debian.org/debian ${SUITE} main`]
}

function run(cmd: string, args: readonly string[], progress: Progress, prefix?: string, t0?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } })
    const tail: string[] = []
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (!line.trim()) continue
        tail.push(line)
        if (tail.length > 20) tail.shift()
        if (prefix) progress(`${t0 ? `[${((Date.now() - t0) / 1000).toFixed(0)}s] ` : ''}${prefix}${line}`)
      }
    }
    p.stdout.on('data', onData)
    p.stderr.on('data', onData)
    p.on('error', (e) => reject(new Error(`could not run ${cmd}: ${e.message}`)))
    p.on('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}… failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`))
    })
  })
}

/** Mount points under `dir` (mmdebstrap mounts proc/sys/dev in the chroot while it works). */
function mountsUnder(dir: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m)
  return mounts.filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length)
}

/** Removes the work folder, first unmounting anything a failed mmdebstrap left mounted in it. */
async function cleanup(work: string, progress: Progress): Promise<void> {
  for (const m of mountsUnder(work)) {
    progress(`unmounting leftover ${m}`)
    await run('umount', ['-l', m], progress).catch(() => undefined)
  }
  if (mountsUnder(work).length === 0) rmSync(work, { recursive: true, force: true })
  else progress(`WARNING: ${work} still has mounts; left in place so nothing outside it is deleted`)
}

function duBytes(dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('du', ['-sx', '--block-size=1', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.on('close', (code) => (code === 0 ? resolve(Number(out.split(/\s/)[0])) : reject(new Error(`du ${dir} failed`))))
  })
}

/** Builds the image into `out` (qcow2); `out` exists only once the whole build succeeded. */
export async function buildImage(out: string, progress: Progress): Promise<void> {
  const why = missingBuildTools()
  if (why) throw new Error(why)
  const work = mkdtempSync(join(dirname(out), `.build-${basename(out)}-`))
  const t0 = Date.now()
  const step = (s: string) => progress(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`)
  try {
    const root = join(work, 'root')
    const hook = join(work, 'customize.sh')
    writeFileSync(hook, CUSTOMIZE_SCRIPT)
    const sources = debianSources()
    step(
      `mmdebstrap ${SUITE} (${PACKAGES.length} packages) from ${sources
        .map((s) => s.split(' ')[1])
        .filter((v, i, a) => a.indexOf(v) === i)
        .join(', ')}`,
    )
    // Downloaded .debs are kept next to the images (mmdebstrap's documented sync-in/out idiom)
    // so a changed recipe rebuilds without downloading everything again.
    const debs = join(dirname(out), 'debs')
    mkdirSync(debs, { recursive: true })
    await run(
      'mmdebstrap',
      [
        '--mode=root',
        '--variant=minbase',
        '--dpkgopt=force-unsafe-io',
        `--include=${PACKAGES.join(',')}`,
        '--skip=download/empty',
        '--skip=essential/unlink',
        '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
        `--setup-hook=sync-in ${debs} /var/cache/apt/archives/`,
        // The kernel's postinst builds an initramfs: a small one (customize.sh makes the real one).
        '--essential-hook=mkdir -p "$1/etc/initramfs-tools/conf.d" && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/kubelab-test-image"',
        `--customize-hook=sync-out /var/cache/apt/archives ${debs}`,
        `--customize-hook=sh ${hook} "$1" ${ROOT_LABEL}`,
        SUITE,
        root,
        ...sources,
      ],
      progress,
      '  mmdebstrap: ',
      t0,
    )
    const boot = readdirSync(join(root, 'boot'))
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'))
    const initrd = boot.find((f) => f.startsWith('initrd.img-'))
    if (!kernel || !initrd) throw new Error(`no kernel/initrd in ${join(root, 'boot')} (found: ${boot.join(', ')})`)

    step('boot partition: FAT + syslinux + kernel + initrd')
    const fat = join(work, 'boot.fat')
    await run('mkfs.vfat', ['-C', '-n', 'KLBOOT', fat, String(BOOT_MIB * 1024)], progress)
    writeFileSync(join(work, 'syslinux.cfg'), syslinuxConfig('vmlinuz', 'initrd.img'))
    await run('syslinux', ['--install', fat], progress)
    await run('mcopy', ['-i', fat, join(root, 'boot', kernel), '::vmlinuz'], progress)
    await run('mcopy', ['-i', fat, join(root, 'boot', initrd), '::initrd.img'], progress)
    await run('mcopy', ['-i', fat, join(work, 'syslinux.cfg'), '::syslinux.cfg'], progress)

    const used = await duBytes(root)
    const rootMib = Math.ceil((used * 1.3) / MIB) + 256
    step(`root filesystem: ext4 ${rootMib} MiB from ${(used / MIB).toFixed(0)} MiB of files`)
    const ext4 = join(work, 'root.ext4')
    await run('mkfs.ext4', ['-q', '-F', '-L', ROOT_LABEL, '-d', root, ext4, `${rootMib}M`], progress)
    await cleanup(root, progress)

    step('disk: MBR + partition table')
    const raw = join(work, 'disk.raw')
    const totalMib = 1 + BOOT_MIB + rootMib
    await run('truncate', ['-s', `${totalMib}M`, raw], progress)
    const table = [
      'label: dos',
      `start=2048, size=${BOOT_MIB * 2048}, type=c, bootable`,
      `start=${(1 + BOOT_MIB) * 2048}, size=${rootMib * 2048}, type=83`,
      '',
    ].join('\n')
    writeFileSync(join(work, 'table.sfdisk'), table)
    await run('sh', ['-c', `sfdisk --no-reread --no-tell-kernel -q "${raw}" < "${join(work, 'table.sfdisk')}"`], progress)
    await run('dd', [`if=${MBR_BIN}`, `of=${raw}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none'], progress)
    await run('dd', [`if=${fat}`, `of=${raw}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none'], progress)
    await run('dd', [`if=${ext4}`, `of=${raw}`, 'bs=1M', `seek=${1 + BOOT_MIB}`, 'conv=notrunc,sparse', 'status=none'], progress)
    rmSync(ext4)

    step('qcow2')
    const tmpOut = join(work, 'image.qcow2')
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, tmpOut], progress)
    renameSync(tmpOut, out)
    step(`done: ${out} (${(statSync(out).size / MIB).toFixed(0)} MiB qcow2, ${totalMib} MiB virtual)`)
  } finally {
    await cleanup(work, progress)
  }
}
