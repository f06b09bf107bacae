// Shared plumbing for the hypervisor test doubles: a state directory from an environment
// variable, a cross-process lock (each double call is its own process), a call log, one-shot
// faults, and the optional backend hook that backs each "VM" with a local node (vm-node).
//
// Layout of a state directory:
//   config.json   behaviour switches (see each double's header)
//   state.json    the machines
//   faults.json   [{ "command": "start", "exit": 2, "stderr": "...", "times": 1 }, ...]
//   calls.log     one JSON line per invocation: { argv, at, pid }
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

export function stateDir(envName) {
  const dir = process.env[envName]
  if (!dir) {
    process.stderr.write(`test double: set ${envName} to a state directory\n`)
    process.exit(99)
  }
  mkdirSync(dir, { recursive: true })
  return dir
}

const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

let held
// `fail` exits inside a locked section; release the lock on the way out.
process.on('exit', () => {
  if (held) rmSync(held, { recursive: true, force: true })
})

/** Runs fn while holding dir/lock (mkdir is atomic across processes). */
export function withLock(dir, fn) {
  const lock = join(dir, 'lock')
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (i > 2000) rmSync(lock, { recursive: true, force: true }) // a crashed call left it behind
      pause(5)
    }
  }
  held = lock
  try {
    return fn()
  } finally {
    held = undefined
    rmSync(lock, { recursive: true, force: true })
  }
}

export function readJson(dir, name, fallback) {
  const f = join(dir, name)
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : fallback
}

export function writeJson(dir, name, value) {
  writeFileSync(join(dir, name), JSON.stringify(value, null, 2))
}

export function logCall(dir, argv) {
  appendFileSync(join(dir, 'calls.log'), `${JSON.stringify({ argv, at: Date.now(), pid: process.pid })}\n`)
}

/** The first fault matching this command (and VM, when the fault names one); consumes one use. */
export function takeFault(dir, command, vm) {
  const faults = readJson(dir, 'faults.json', [])
  const i = faults.findIndex((f) => f.command === command && (f.vm === undefined || f.vm === vm) && (f.times === undefined || f.times > 0))
  if (i < 0) return undefined
  const f = faults[i]
  if (f.times !== undefined) f.times -= 1
  writeJson(dir, 'faults.json', faults)
  return f
}

/**
 * Calls the backend hook ($<envName>) if set: `<hook> <event> <vm> [file]`, with
 * KUBELAB_DOUBLE_KIND / KUBELAB_DOUBLE_STATE and `extraEnv` in its environment (test/doubles/
 * vm-node backs each VM with a local node). Its stdout's first line, when it is an IPv4 address,
 * becomes the VM's address. Without a hook, VMs are state only.
 */
export function backend(envName, event, vm, file, extraEnv = {}) {
  const hook = process.env[envName]
  if (!hook) return undefined
  const kind = envName.startsWith('MULTIPASS') ? 'multipass' : 'virtualbox'
  const env = {
    ...process.env,
    KUBELAB_DOUBLE_KIND: kind,
    KUBELAB_DOUBLE_STATE: process.env[kind === 'multipass' ? 'MULTIPASS_DOUBLE_STATE' : 'VBOXMANAGE_DOUBLE_STATE'],
    ...extraEnv,
  }
  const r = spawnSync(hook, [event, vm, ...(file ? [file] : [])], { encoding: 'utf8', env })
  if (r.status !== 0) throw new Error(`backend hook ${hook} ${event} ${vm} failed: ${r.stderr}`)
  const first = (r.stdout ?? '').split('\n')[0].trim()
  return /^\d+\.\d+\.\d+\.\d+$/.test(first) ? first : undefined
}

export function fail(stderr, code) {
  process.stderr.write(stderr.endsWith('\n') ? stderr : `${stderr}\n`)
  process.exit(code)
}
