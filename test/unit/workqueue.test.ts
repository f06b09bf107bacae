// Work queue semantics as client-go defines them, with a FakeClock for delays and back-off.
import { describe, expect, it } from 'vitest'
import { WorkQueue } from '../../src-cluster/client/workqueue'
import { runWorkers, Expectations } from '../../src-cluster/controllers/framework'
import { FakeClock } from '../../src-cluster/util/clock'

describe('WorkQueue', () => {
  it('de-duplicates keys that are waiting', async () => {
    const q = new WorkQueue<string>()
    q.add('a')
    q.add('b')
    q.add('a')
    expect(q.len()).toBe(2)
    expect(await q.get()).toBe('a')
    expect(await q.get()).toBe('b')
    expect(q.len()).toBe(0)
  })

  it('hands a key to one worker at a time and re-queues it after done() if re-added meanwhile', async () => {
    const q = new WorkQueue<string>()
    q.add('a')
    const k = await q.get()
    expect(k).toBe('a')
    q.add('a') // changed while being processed
    expect(q.len()).toBe(0) // not handed to a second worker
    q.add('a')
    q.done('a')
    expect(q.len()).toBe(1) // once, despite two adds
    expect(await q.get()).toBe('a')
    q.done('a')
    expect(q.len()).toBe(0)
  })

  it('wakes a waiting get() when a key arrives', async () => {
    const q = new WorkQueue<string>()
    const p = q.get()
    q.add('x')
    expect(await p).toBe('x')
    // The key is being processed: adding it again waits for done().
    q.add('x')
    expect(q.len()).toBe(0)
    q.done('x')
    expect(await q.get()).toBe('x')
  })

  it('addAfter waits for the clock, keeping the earliest time per key', async () => {
    const clock = new FakeClock()
    const q = new WorkQueue<string>({ clock })
    q.addAfter('a', 1000)
    q.addAfter('a', 300)
    q.addAfter('a', 5000)
    clock.advance(299)
    expect(q.len()).toBe(0)
    clock.advance(1)
    expect(q.len()).toBe(1)
    clock.advance(10_000)
    expect(q.len()).toBe(1) // the superseded timers do not add it again
    expect(await q.get()).toBe('a')
  })

  it('addRateLimited backs off exponentially per key from 5 ms, capped, and forget() resets', async () => {
    const clock = new FakeClock()
    const q = new WorkQueue<string>({ clock })
    const fireTimes: number[] = []
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('k')
      let waited = 0
      while (q.len() === 0) {
        clock.advance(1)
        waited++
      }
      fireTimes.push(waited)
      const k = await q.get()
      q.done(k!)
    }
    expect(fireTimes).toEqual([5, 10, 20, 40])
    expect(q.numRequeues('k')).toBe(4)
    expect(q.backoffMs(30)).toBe(1_000_000)
    q.forget('k')
    expect(q.numRequeues('k')).toBe(0)
    expect(q.backoffMs(0)).toBe(5)
  })

  it('hands out at once a key added while its rate-limited retry is far off (an informer event is never held back)', async () => {
    const clock = new FakeClock()
    const q = new WorkQueue<string>({ clock })
    for (let i = 0; i < 20; i++) q.addRateLimited('d') // one timer: the earliest (5 ms) stands
    clock.advance(5)
    expect(await q.get()).toBe('d')
    q.done('d')
    q.addRateLimited('d') // failure no. 21: retried in 5 ms × 2^20, about 87 minutes
    expect(q.len()).toBe(0)
    q.add('d') // the object changed
    expect(q.len()).toBe(1)
    expect(await q.get()).toBe('d')
  })

  it('shutDown releases waiting workers and drops later keys', async () => {
    const clock = new FakeClock()
    const q = new WorkQueue<string>({ clock })
    const p = q.get()
    q.addAfter('later', 10)
    q.shutDown()
    expect(await p).toBeUndefined()
    clock.advance(100)
    q.add('b')
    expect(q.len()).toBe(0)
    expect(await q.get()).toBeUndefined()
  })
})

describe('runWorkers', () => {
  it('reconciles each key, retries failures with back-off and honours requeueAfterMs', async () => {
    const clock = new FakeClock()
    const q = new WorkQueue<string>({ clock })
    const calls: string[] = []
    let failOnce = true
    const logs: string[] = []
    const stop = runWorkers(
      'test',
      q,
      2,
      async (key) => {
        calls.push(key)
        if (key === 'bad' && failOnce) {
          failOnce = false
          throw new Error('boom')
        }
        if (key === 'again' && calls.filter((c) => c === 'again').length === 1) return { requeueAfterMs: 1000 }
      },
      (l) => logs.push(l),
    )
    q.add('good')
    q.add('bad')
    q.add('again')
    await new Promise((r) => setTimeout(r, 20))
    expect(calls.sort()).toEqual(['again', 'bad', 'good'])
    expect(logs.some((l) => l.includes('error syncing bad: boom'))).toBe(true)
    clock.advance(5) // the back-off of the first failure
    await new Promise((r) => setTimeout(r, 20))
    expect(calls.filter((c) => c === 'bad')).toHaveLength(2)
    expect(q.numRequeues('bad')).toBe(0) // forgotten after success
    expect(calls.filter((c) => c === 'again')).toHaveLength(1)
    clock.advance(1000)
    await new Promise((r) => setTimeout(r, 20))
    expect(calls.filter((c) => c === 'again')).toHaveLength(2)
    await stop()
  })
})

describe('Expectations', () => {
  it('holds a key until the expected creates and deletes are observed, or they expire', () => {
    const clock = new FakeClock()
    const e = new Expectations(clock, 60_000)
    expect(e.satisfied('ns/rs')).toBe(true)
    e.expect('ns/rs', 2, ['ns/p1'])
    expect(e.satisfied('ns/rs')).toBe(false)
    e.observeCreate('ns/rs')
    e.observeCreate('ns/rs')
    expect(e.satisfied('ns/rs')).toBe(false)
    e.observeDelete('ns/rs', 'ns/other') // not one we deleted
    expect(e.satisfied('ns/rs')).toBe(false)
    e.observeDelete('ns/rs', 'ns/p1')
    expect(e.satisfied('ns/rs')).toBe(true)
    e.expect('ns/rs', 1)
    clock.advance(60_001)
    expect(e.satisfied('ns/rs')).toBe(true)
  })
})
