import { describe, expect, it } from 'vitest'
import { applyDelta, makeDelta } from '../../src-cluster/store/delta'

/** A deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let a = seed
  return (n) => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
  }
}

const pod = (phase: string, ip: string, time: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'b3d1', labels: { app: 'web' }, managedFields: [{ manager: 'kubelet', time }] },
    spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.27', resources: {} }] },
    status: { phase, podIP: ip, conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: time }] },
  })

describe('store deltas', () => {
  it('rebuild the target exactly from its base, and are small for consecutive versions of an object', () => {
    const older = pod('Pending', '', '2026-01-01T00:00:00Z')
    const newer = pod('Running', '10.244.1.7', '2026-01-01T00:00:03Z')
    const d = makeDelta(older, newer)
    expect(applyDelta(d, newer)).toBe(older)
    expect(d.length).toBeLessThan(older.length / 4)
  })

  it('round-trip edge cases: empty, equal, unrelated, non-Latin-1 and long texts', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['', 'abc'],
      ['abc', ''],
      ['same text here', 'same text here'],
      ['completely different', 'XYZ'],
      ['{"name":"café ☕ 名前"}', '{"name":"cafe"}'],
      ['x'.repeat(70_000) + 'tail', 'y' + 'x'.repeat(70_000)],
      ['\u0080\u00ff\u0100 high chars' + 'z'.repeat(300), 'z'.repeat(300) + '\u0080\u00ff\u0100'],
    ]
    for (const [target, base] of cases) expect(applyDelta(makeDelta(target, base), base)).toBe(target)
  })

  it('round-trip random edits (insertions, deletions, moves) of random texts', () => {
    const rnd = prng(18)
    const alphabet = 'ab{}":,\\é中\u0000'
    const text = (n: number): string => Array.from({ length: n }, () => alphabet[rnd(alphabet.length)]).join('')
    for (let t = 0; t < 3000; t++) {
      const base = text(rnd(200))
      let target = base
      for (let k = rnd(6); k > 0; k--) {
        const at = rnd(target.length + 1)
        target = target.slice(0, at) + text(rnd(12)) + target.slice(at + rnd(20))
      }
      if (rnd(4) === 0) target = target.slice(rnd(target.length + 1)) + target.slice(0, rnd(target.length + 1))
      expect(applyDelta(makeDelta(target, base), base)).toBe(target)
    }
  })
})
