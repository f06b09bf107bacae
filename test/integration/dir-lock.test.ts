// Two API servers must never run on one data directory: started at the same instant (a double
// click, a supervisor restarting while the old process lingers), exactly one runs and the
// others stop before touching the directory; a lock left by a killed process is taken over.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../src-cluster/store'
import { KUBECTL } from '../helpers/apiserver'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.join(here, '..', '..')
const NODE_BIN = path.join(ROOT, 'bin', 'kubelab-node.mjs')
const DRIVER = path.join(here, 'fixtures', 'dir-lock-driver.ts')
const CONTENDERS = 4

interface Outcome {
  readonly child: ChildProcess
  /** 'won' once it serves (or holds the lock); 'lost' with its message when it exits refusing. */
  readonly result: Promise<{ kind: 'won' } | { kind: 'lost'; code: number | null; text: string }>
  readonly exited: Promise<number | null>
}

/** Start a process and settle on the first sign of winning (a line matching `won`) or on its exit. */
function contend(cmd: string, args: string[], won: RegExp): Outcome {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const result = new Promise<{ kind: 'won' } | { kind: 'lost'; code: number | null; text: string }>((resolve) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      if (won.test(out)) resolve({ kind: 'won' })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => resolve({ kind: 'lost', code, text: out }))
  })
  return { child, result, exited }
}

function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(String(stdout)),
    ),
  )
}

function apiserver(dataDir: string): Outcome {
  return contend(
    process.execPath,
    [NODE_BIN, 'apiserver', '--data-dir', dataDir, '--secure-port', '0', '--admin-kubeconfig', path.join(dataDir, 'admin.kubeconfig')],
    /apiserver: serving on/,
  )
}

/** Exactly one winner; every loser exited non-zero naming the winner's pid, before writing anything. */
async function settle(all: Outcome[]): Promise<Outcome> {
  const results = await Promise.all(all.map((o) => o.result))
  const winners = all.filter((_, i) => results[i].kind === 'won')
  expect(winners).toHaveLength(1)
  const winner = winners[0]
  for (const r of results) {
    if (r.kind !== 'lost') continue
    expect(r.code).not.toBe(0)
    expect(r.text).toContain(`is in use by process ${winner.child.pid}`)
  }
  return winner
}

describe('data directory lock', () => {
  const dirs: string[] = []
  const children: ChildProcess[] = []
  const tempDir = async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'kubelab-lock-'))
    dirs.push(d)
    return d
  }
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  for (const mechanism of ['os', 'file'] as const) {
    it(
      `${mechanism} lock: of ${CONTENDERS} processes started at once exactly one holds it, over 6 rounds and after SIGKILL`,
      { timeout: 120_000 },
      async () => {
        const dir = await tempDir()
        for (let round = 0; round < 6; round++) {
          const all = Array.from({ length: CONTENDERS }, () => contend(process.execPath, ['--import', 'tsx', DRIVER, dir, mechanism], /^LOCKED/m))
          children.push(...all.map((o) => o.child))
          const results = await Promise.all(all.map((o) => o.result))
          const winners = all.filter((_, i) => results[i].kind === 'won')
          expect(winners, `round ${round}`).toHaveLength(1)
          for (const r of results) if (r.kind === 'lost') expect(r.text).toContain(`is in use by process ${winners[0].child.pid}`)
          // Odd rounds end like a crash, even rounds like a clean exit: both must free the lock.
          if (round % 2) winners[0].child.kill('SIGKILL')
          else winners[0].child.stdin!.end()
          await winners[0].exited
        }
        // A clean release leaves no lock file or temporary file behind.
        const last = contend(process.execPath, ['--import', 'tsx', DRIVER, dir, mechanism], /^LOCKED/m)
        children.push(last.child)
        expect((await last.result).kind).toBe('won')
        last.child.stdin!.end()
        expect(await last.exited).toBe(0)
        expect(await readdir(dir)).toEqual([])
      },
    )
  }

  it(`${CONTENDERS} API servers on one fresh data directory: one serves, the rest refuse, the store reopens cleanly`, { timeout: 240_000 }, async () => {
    for (let round = 0; round < 2; round++) {
      const dataDir = path.join(await tempDir(), 'data')
      const all = Array.from({ length: CONTENDERS }, () => apiserver(dataDir))
      children.push(...all.map((o) => o.child))
      const winner = await settle(all)
      const kubeconfig = path.join(dataDir, 'admin.kubeconfig')
      await kubectl(kubeconfig, 'create', 'configmap', `round-${round}`, '--from-literal=k=v')
      winner.child.kill('SIGTERM')
      expect(await winner.exited).toBe(0)
      const warnings: string[] = []
      const store = await openStore({ dataDir: path.join(dataDir, 'store'), onWarning: (w) => warnings.push(w) })
      try {
        expect(warnings).toEqual([])
        const page = await store.range('/registry/core/configmaps/default/')
        expect(page.kvs.map((kv) => kv.key)).toContain(`/registry/core/configmaps/default/round-${round}`)
      } finally {
        await store.close()
      }
    }
  })

  it('a lock left by an API server killed with SIGKILL is taken over by exactly one of several', { timeout: 180_000 }, async () => {
    const dataDir = path.join(await tempDir(), 'data')
    const first = apiserver(dataDir)
    children.push(first.child)
    expect((await first.result).kind).toBe('won')
    const kubeconfig = path.join(dataDir, 'admin.kubeconfig')
    await kubectl(kubeconfig, 'create', 'configmap', 'kept', '--from-literal=k=v')
    first.child.kill('SIGKILL')
    await first.exited
    const all = Array.from({ length: CONTENDERS }, () => apiserver(dataDir))
    children.push(...all.map((o) => o.child))
    const winner = await settle(all)
    expect(await kubectl(kubeconfig, 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.k}')).toBe('v')
    winner.child.kill('SIGTERM')
    expect(await winner.exited).toBe(0)
  })
})
