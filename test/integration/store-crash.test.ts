import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../src-cluster/store'

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'store-crash-driver.ts')
const ROUNDS = 6

interface Ack {
  readonly revision: number
  readonly value: string
}

/** Run the driver until it has acknowledged `acksWanted` writes, then SIGKILL it. */
function runAndKill(dataDir: string, round: number, acksWanted: number): Promise<{ acks: Map<string, Ack>; revisions: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, dataDir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acks = new Map<string, Ack>()
    const revisions: number[] = []
    let buf = ''
    let stderr = ''
    let killed = false
    const kill = () => {
      if (!killed) {
        killed = true
        child.kill('SIGKILL')
      }
    }
    // Bounded time even if the child is slow to start or write.
    const timer = setTimeout(kill, 20_000)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        const [tag, key, rev, value] = line.split(' ')
        if (tag !== 'ACK') continue
        const revision = Number(rev)
        revisions.push(revision)
        const prev = acks.get(key)
        if (prev === undefined || prev.revision < revision) acks.set(key, { revision, value })
        if (revisions.length >= acksWanted) kill()
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (c: string) => (stderr += c))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`driver exited on its own (code ${code}): ${stderr}`))
      else resolve({ acks, revisions, stderr })
    })
  })
}

describe('embedded store survives SIGKILL', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it(`keeps every acknowledged write over ${ROUNDS} kill/reopen rounds`, { timeout: 180_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'kubelab-crash-'))
    dirs.push(dataDir)
    const all = new Map<string, Ack>()
    let lastRevision = 1
    let seed = 7
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const wanted = 50 + Math.floor(rand() * 1500)
      const { acks, revisions } = await runAndKill(dataDir, round, wanted)
      expect(revisions.length).toBeGreaterThan(0)
      // Each acknowledged write got its own revision, all newer than anything before the crash.
      expect(new Set(revisions).size).toBe(revisions.length)
      expect(Math.min(...revisions)).toBeGreaterThan(lastRevision)
      for (const [k, a] of acks) all.set(k, a)

      const store = await openStore({ dataDir, snapshotEvery: 150, historyLimit: 500, onWarning: () => undefined })
      try {
        expect(store.revision()).toBeGreaterThanOrEqual(Math.max(...revisions))
        for (const [key, ack] of all) {
          const kv = await store.get(key)
          expect(kv, `acknowledged key ${key} (revision ${ack.revision}) is missing after round ${round}`).toBeDefined()
          if (kv === undefined) continue
          if (key.startsWith('/crash/shared/')) {
            // A later write may have reached the disk without its acknowledgement being printed.
            expect(kv.modRevision).toBeGreaterThanOrEqual(ack.revision)
            if (kv.modRevision === ack.revision) expect(kv.value).toBe(ack.value)
          } else {
            expect(kv.modRevision).toBe(ack.revision)
            expect(kv.value).toBe(ack.value)
          }
        }
        const listed = await store.range('/crash/')
        expect(listed.count).toBe(listed.kvs.length)
        expect(listed.kvs.every((kv) => kv.modRevision <= store.revision())).toBe(true)
        lastRevision = store.revision()
      } finally {
        await store.close()
      }
    }
  })
})
