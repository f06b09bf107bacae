// Boots one throwaway VM from the test image, for proving the image itself (the qemu provider
// is what the real tests use): a copy-on-write overlay, a NoCloud seed made by KubeLab's own
// seed writer, user-mode networking with SSH forwarded on 127.0.0.1, the serial console in a
// file. TCG unless told otherwise: this machine's /dev/kvm opens but hangs guests.
// Callers hold /tmp/kubelab-vm.lock around it and always call stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSeedIso } from '../../../src-main/providers/cloud-init/seed'

export interface TestVm {
  readonly sshPort: number
  readonly consoleLog: string
  readonly dir: string
  /** Last lines of the serial console (for failure messages). */
  consoleTail(lines?: number): string
  /** Kills QEMU and removes the overlay, seed and log. */
  stop(): Promise<void>
}

export interface BootOptions {
  readonly image: string
  readonly userData: string
  readonly hostname: string
  readonly memoryMb?: number
  readonly cpus?: number
  readonly networkConfig?: string
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export async function bootTestVm(o: BootOptions): Promise<TestVm> {
  const dir = mkdtempSync(join(tmpdir(), 'kl-vmimg-'))
  const disk = join(dir, 'disk.qcow2')
  const seed = join(dir, 'seed.iso')
  const consoleLog = join(dir, 'console.log')
  const img = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', o.image, disk, '8G'], { encoding: 'utf8' })
  if (img.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`qemu-img create failed: ${img.stderr}`)
  }
  writeSeedIso(seed, {
    userData: o.userData,
    hostname: o.hostname,
    instanceIdPrefix: `kubelab-${o.hostname}`,
    ...(o.networkConfig ? { networkConfig: o.networkConfig } : {}),
  })
  const sshPort = await freePort()
  const args = [
    '-name',
    `kubelab-vmimg-${o.hostname}`,
    '-machine',
    'q35',
    '-accel',
    'tcg,thread=multi,tb-size=256',
    '-cpu',
    'max',
    '-smp',
    String(o.cpus ?? 2),
    '-m',
    String(o.memoryMb ?? 1024),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${consoleLog}`,
    '-drive',
    `file=${disk},if=virtio,format=qcow2,discard=unmap`,
    '-drive',
    `file=${seed},media=cdrom,readonly=on`,
    '-netdev',
    `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=n0,mac=52:54:00:4b:00:01',
    '-device',
    'virtio-rng-pci',
  ]
  // detached: its own process group, so stop() can kill QEMU and nothing else.
  const qemu: ChildProcess = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  qemu.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = new Promise<void>((r) => qemu.once('exit', () => r()))
  // Even if this process dies on an uncaught error, QEMU goes with it.
  const killOnExit = () => {
    try {
      process.kill(-qemu.pid!, 'SIGKILL')
    } catch {
      /* already gone */
    }
  }
  process.once('exit', killOnExit)
  const consoleTail = (n = 25) => (existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-n).join('\n') : '')
  const stop = async () => {
    process.removeListener('exit', killOnExit)
    if (qemu.exitCode === null && qemu.signalCode === null) {
      try {
        process.kill(-qemu.pid!, 'SIGKILL')
      } catch {
        /* already gone */
      }
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  await new Promise((r) => setTimeout(r, 500))
  if (qemu.exitCode !== null) {
    await stop()
    throw new Error(`qemu-system-x86_64 exited at once (${qemu.exitCode}): ${stderr.trim()}`)
  }
  return { sshPort, consoleLog, dir, consoleTail, stop }
}
