// Finding QEMU on the host: qemu-system-<arch> for the host's architecture and qemu-img, their
// version, and the accelerators the binary was built with. Missing pieces are named with the
// package to install on each system (QEMU.md §7).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface QemuTools {
  readonly system: string
  readonly img: string
  readonly arch: 'x86_64' | 'aarch64'
  readonly version: string
}

export function hostArch(arch: string = process.arch): 'x86_64' | 'aarch64' {
  if (arch === 'x64') return 'x86_64'
  if (arch === 'arm64') return 'aarch64'
  throw new Error(`KubeLab's QEMU provider runs VMs on x86-64 and arm64 hosts; this one is ${arch}`)
}

export function installHint(platform: NodeJS.Platform = process.platform, arch: 'x86_64' | 'aarch64' = 'x86_64'): string {
  // Commands in backticks: the wizard shows them as code with a Copy button.
  if (platform === 'darwin') return 'install it with Homebrew: `brew install qemu`'
  if (platform === 'win32') return 'install it with: `winget install SoftwareFreedomConservancy.QEMU` (and enable Windows Hypervisor Platform)'
  const sys = arch === 'x86_64' ? 'qemu-system-x86' : 'qemu-system-arm qemu-efi-aarch64'
  return `install it: Debian/Ubuntu: \`sudo apt install ${sys} qemu-utils\`; Fedora: \`sudo dnf install ${arch === 'x86_64' ? 'qemu-system-x86' : 'qemu-system-aarch64 edk2-aarch64'} qemu-img\`; Arch: \`sudo pacman -S qemu-base\``
}

export function which(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, program))) return join(dir, program)
  }
  return undefined
}

/** "QEMU emulator version 7.2.22 (Debian …)" → "7.2.22". */
export function parseQemuVersion(out: string): string | undefined {
  return /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(out)?.[1]
}

export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a program to completion (no shell), LANG=C so messages are parseable. */
export function runTool(bin: string, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C', LC_ALL: 'C' } })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({ code: 127, stdout, stderr: e.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The QEMU tools, or an error naming what is missing and how to install it. */
export async function findQemu(env: NodeJS.ProcessEnv = process.env): Promise<QemuTools> {
  const arch = hostArch()
  const sysName = `qemu-system-${arch}`
  const system = env.KUBELAB_QEMU_SYSTEM || which(sysName, env)
  if (!system) throw new Error(`${sysName} is not installed (not on PATH): ${installHint(process.platform, arch)}`)
  const img = env.KUBELAB_QEMU_IMG || which('qemu-img', env)
  if (!img) throw new Error(`qemu-img is not installed (not on PATH): ${installHint(process.platform, arch)}`)
  const r = await runTool(system, ['--version'], 20_000)
  const version = parseQemuVersion(r.stdout)
  if (r.code !== 0 || !version)
    throw new Error(
      `${system} --version failed (${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 200)}; reinstall QEMU (${installHint(process.platform, arch)})`,
    )
  const [maj = 0] = version.split('.').map(Number)
  if (maj < 6) throw new Error(`QEMU ${version} is too old: KubeLab needs 6.2 or later (${installHint(process.platform, arch)})`)
  return { system, img, arch, version }
}
