// Small host helpers for the local provider: run a command (failing with its stderr), run one
// whose failure is fine (cleanup paths go on), list what the host has (netns, links, routes,
// mounts), kill processes, unmount a tree.
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

export async function sh(cmd: string, args: readonly string[]): Promise<string> {
  try {
    return (await execFileP(cmd, [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 })).stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`)
  }
}

export async function trySh(cmd: string, args: readonly string[]): Promise<boolean> {
  return execFileP(cmd, [...args], { timeout: 60_000 }).then(
    () => true,
    () => false,
  )
}

export function netnsList(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)
}

export function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0
}

/** Every IPv4 route and address on the host, as text (to check a subnet is free). */
export function hostIpv4Text(): string {
  const a = spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout ?? ''
  const r = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? ''
  return `${a}\n${r}`
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

/** Unmounts everything under dir, deepest first (rootfs, shm and pod netns mounts). */
export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' })
}

/** Pids whose command line contains `marker` (never this process). */
export function pidsMatching(marker: string): number[] {
  return pidsMatchingAny([marker])
}

/** Pids whose command line contains any of `markers` (one `ps` for all of them; never this process). */
export function pidsMatchingAny(markers: readonly string[]): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout ?? ''
  const pids: number[] = []
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line)
    if (m && markers.some((k) => m[2]!.includes(k)) && Number(m[1]) !== process.pid) pids.push(Number(m[1]))
  }
  return pids
}

export function netnsPids(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
  return (r.stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((n) => n > 0 && n !== process.pid)
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig)
    } catch {
      /* gone */
    }
  }
}

/**
 * Everything at once: SIGKILL `now` (processes whose state is thrown away), SIGTERM `pids`, wait
 * up to graceMs for them, SIGKILL what is left; resolves when all are gone (bounded, 5 s more).
 */
export async function killAllAtOnce(pids: readonly number[], now: readonly number[], graceMs: number): Promise<void> {
  signal(now, 'SIGKILL')
  signal(pids, 'SIGTERM')
  const all = [...pids, ...now]
  const live = (): number[] => all.filter(alive)
  const until = Date.now() + graceMs
  while (live().length && Date.now() < until) await sleep(25)
  signal(live(), 'SIGKILL')
  for (let i = 0; i < 200 && live().length; i++) await sleep(25)
}

/** SIGTERM the pids, wait up to graceMs, SIGKILL what is left; resolves when all are gone (bounded). */
export async function killAll(pids: readonly number[], graceMs = 10_000): Promise<void> {
  const live = (): number[] => pids.filter(alive)
  for (const p of live()) {
    try {
      process.kill(p, 'SIGTERM')
    } catch {
      /* gone */
    }
  }
  const until = Date.now() + graceMs
  while (live().length && Date.now() < until) await sleep(100)
  for (const p of live()) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 50 && live().length; i++) await sleep(100)
}
