import { describe, expect, it } from 'vitest'
import { SortedKeys, prefixEnd } from '../../src-cluster/store/sorted-keys'

// Deterministic pseudo-random numbers so a failure reproduces.
function rng(seed: number) {
  let x = seed
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    return x / 0x7fffffff
  }
}

describe('SortedKeys', () => {
  it('matches a plain sorted array through random inserts and deletes (across chunk splits)', () => {
    const rand = rng(42)
    const set = new SortedKeys()
    const model = new Set<string>()
    for (let i = 0; i < 20000; i++) {
      const key = `/k/${Math.floor(rand() * 5000)}`
      if (rand() < 0.65) {
        expect(set.insert(key)).toBe(!model.has(key))
        model.add(key)
      } else {
        expect(set.delete(key)).toBe(model.has(key))
        model.delete(key)
      }
    }
    const sorted = [...model].sort()
    expect([...set.keys()]).toEqual(sorted)
    expect(set.size).toBe(sorted.length)
    // lowerBound + rank agree with the model for present and absent keys.
    for (const probe of ['/k/', '/k/2', '/k/2500', '/k/49999', '/l', '/a']) {
      const c = set.lowerBound(probe, false)
      const idx = sorted.findIndex((k) => k >= probe)
      expect(set.rank(c)).toBe(idx === -1 ? sorted.length : idx)
      expect(set.at(c)).toBe(idx === -1 ? undefined : sorted[idx])
      const strict = set.lowerBound(probe, true)
      const sidx = sorted.findIndex((k) => k > probe)
      expect(set.at(strict)).toBe(sidx === -1 ? undefined : sorted[sidx])
    }
  })

  it('computes the end of a prefix range', () => {
    expect(prefixEnd('/a/')).toBe('/a0')
    expect(prefixEnd('')).toBeUndefined()
    expect(prefixEnd('a\uffff')).toBe('b')
  })
})
