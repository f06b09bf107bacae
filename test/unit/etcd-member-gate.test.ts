// The etcd member gates (the `etcd3` package's faultHandling.host): a failed member is passed
// over only while another member answers, for a back-off that doubles per failure in a row, and
// tried again by one call; with no other member answering every call goes through.
import { describe, expect, it } from 'vitest'
import { EtcdMemberGates, EtcdMemberPassedOver, type EtcdMemberGate } from '../../src-cluster/store/etcd-member-gate'

class Unavailable extends Error {}
const down = () => Promise.reject(new Unavailable('14 UNAVAILABLE: No connection established'))
const up = () => Promise.resolve('ok')

function setup(members: string[]) {
  let t = 1_000_000
  const gates = new EtcdMemberGates({ isMemberFailure: (e) => e instanceof Unavailable, firstPassOverMs: 500, maxPassOverMs: 4000, now: () => t })
  const g = members.map((m) => gates.forMember(m))
  return { g, advance: (ms: number) => (t += ms) }
}

/** What a call through the gate came to: the fn ran and answered, the fn ran and failed, or it was passed over. */
async function call(gate: EtcdMemberGate, fn: () => Promise<string>): Promise<'ok' | 'failed' | 'passed over'> {
  let ran = false
  try {
    await gate.execute(() => {
      ran = true
      return fn()
    })
    return 'ok'
  } catch (e) {
    if (e instanceof EtcdMemberPassedOver) {
      expect(ran).toBe(false)
      return 'passed over'
    }
    expect(ran).toBe(true)
    return 'failed'
  }
}

describe('etcd member gates', () => {
  it('never hold back the only member: every call reaches it, and the first one after it is back succeeds', async () => {
    const { g, advance } = setup(['https://127.0.0.1:2379'])
    for (let i = 0; i < 10; i++) expect(await call(g[0]!, down)).toBe('failed')
    expect(g[0]!.consecutiveFailures).toBe(10)
    advance(1)
    expect(await call(g[0]!, up)).toBe('ok')
    expect(g[0]!.consecutiveFailures).toBe(0)
  })

  it('pass a failed member over while another answers, 0.5 s doubling per failure to the cap, one call trying it again', async () => {
    const { g, advance } = setup(['a', 'b'])
    const [a, b] = [g[0]!, g[1]!]
    expect(await call(a, down)).toBe('failed')
    expect(await call(a, up)).toBe('passed over')
    expect(await call(b, up)).toBe('ok')
    advance(499)
    expect(await call(a, up)).toBe('passed over')
    advance(1)
    // The pass-over ran out: one call tries it; others go on passing it over meanwhile.
    let release!: () => void
    const trial = call(a, () => new Promise<string>((_, reject) => (release = () => reject(new Unavailable('still down')))))
    expect(await call(a, up)).toBe('passed over')
    release()
    expect(await trial).toBe('failed')
    // Failed again: 1 s this time, then 2 s, then the 4 s cap.
    for (const ms of [1000, 2000, 4000, 4000]) {
      advance(ms - 1)
      expect(await call(a, up)).toBe('passed over')
      advance(1)
      expect(await call(a, down)).toBe('failed')
    }
    expect(a.consecutiveFailures).toBe(6)
    advance(4000)
    expect(await call(a, up)).toBe('ok')
    // Answered: nothing held against it any more.
    expect(await call(a, down)).toBe('failed')
    expect(a.consecutiveFailures).toBe(1)
  })

  it('let every call through when no member is known to answer: the first member back serves at once', async () => {
    const { g, advance } = setup(['a', 'b', 'c'])
    for (const x of g) expect(await call(x, down)).toBe('failed')
    advance(10)
    for (const x of g) expect(await call(x, down)).toBe('failed')
    advance(10)
    expect(await call(g[1]!, up)).toBe('ok')
    // b answers again: a and c, still within their pass-over, are passed over once more.
    expect(await call(g[0]!, up)).toBe('passed over')
    expect(await call(g[2]!, up)).toBe('passed over')
  })

  it('count the calls in flight when a member fails as one failure', async () => {
    const { g, advance } = setup(['a', 'b'])
    const rejects: (() => void)[] = []
    const inFlight = [0, 1, 2, 3, 4, 5, 6, 7].map(() =>
      call(g[0]!, () => new Promise<string>((_, reject) => rejects.push(() => reject(new Unavailable('reset'))))),
    )
    advance(5)
    for (const r of rejects) r()
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill('failed'))
    expect(g[0]!.consecutiveFailures).toBe(1)
    advance(500)
    expect(await call(g[0]!, up)).toBe('ok')
  })

  it('take an error that is etcd answering (not a member failure) as the member serving', async () => {
    const { g } = setup(['a', 'b'])
    expect(await call(g[0]!, down)).toBe('failed')
    expect(await call(g[1]!, () => Promise.reject(new Error('mvcc: required revision has been compacted')))).toBe('failed')
    expect(g[1]!.consecutiveFailures).toBe(0)
    expect(await call(g[0]!, up)).toBe('passed over')
  })

  it('say which member, how often it failed and why, when it is passed over', async () => {
    const { g } = setup(['https://10.0.0.1:2379', 'b'])
    await call(g[0]!, down)
    await expect(g[0]!.execute(up)).rejects.toThrow(
      /^etcd member https:\/\/10\.0\.0\.1:2379 failed 1 call in a row \(last: 14 UNAVAILABLE: No connection established\); not asked again for 500 ms while another member answers$/,
    )
  })
})
