// The scheduling queue: priority then FIFO, back-off 1 s doubling to 10 s, unschedulable pods
// parked until a relevant event or the 5-minute flush — all on a FakeClock.
import { describe, expect, it } from 'vitest'
import { SchedulingQueue, type ClusterEvent } from '../../src-cluster/scheduler/queue'
import { newPodInfo } from '../../src-cluster/scheduler/pod-info'
import type { PodInfo } from '../../src-cluster/scheduler/types'
import { FakeClock } from '../../src-cluster/util/clock'

function info(name: string, priority = 0): PodInfo {
  return newPodInfo({ metadata: { name, namespace: 'default' }, spec: { priority, containers: [{ name: 'c' }] } })
}

const NODE_ADDED: ClusterEvent = { name: 'NodeAdd', plugins: 'all' }
const POD_DELETED: ClusterEvent = { name: 'AssignedPodDelete', plugins: new Set(['NodeResourcesFit']) }

async function popName(q: SchedulingQueue): Promise<string> {
  const qp = await q.pop()
  return qp!.info.key
}

describe('SchedulingQueue', () => {
  it('pops by priority, then first in first out', async () => {
    const q = new SchedulingQueue(new FakeClock())
    q.add(info('low-1'))
    q.add(info('high', 100))
    q.add(info('low-2'))
    expect([await popName(q), await popName(q), await popName(q)]).toEqual(['default/high', 'default/low-1', 'default/low-2'])
  })

  it('wakes a waiting pop when a pod arrives, and ends it on close', async () => {
    const q = new SchedulingQueue(new FakeClock())
    const waiting = q.pop()
    q.add(info('p'))
    expect((await waiting)?.info.key).toBe('default/p')
    const ended = q.pop()
    q.close()
    expect(await ended).toBeUndefined()
  })

  it('parks unschedulable pods until a relevant event, then honours the back-off', async () => {
    const clock = new FakeClock()
    const q = new SchedulingQueue(clock)
    q.add(info('p'))
    const qp = (await q.pop())!
    q.addUnschedulable(qp, new Set(['TaintToleration']))
    expect(q.stats().unschedulable).toBe(1)
    q.moveAllToActiveOrBackoff(POD_DELETED) // irrelevant to a taint
    expect(q.stats().unschedulable).toBe(1)
    q.moveAllToActiveOrBackoff(NODE_ADDED)
    expect(q.stats()).toMatchObject({ unschedulable: 0, backoff: 1, active: 0 })
    clock.advance(999)
    expect(q.stats().backoff).toBe(1)
    clock.advance(1)
    expect(q.stats()).toMatchObject({ backoff: 0, active: 1 })
  })

  it('doubles the back-off per attempt up to 10 s', () => {
    const q = new SchedulingQueue(new FakeClock())
    expect([1, 2, 3, 4, 5, 6].map((a) => q.backoffMs(a))).toEqual([1000, 2000, 4000, 8000, 10000, 10000])
  })

  it('a relevant event during the attempt sends the pod to back-off instead of parking it', async () => {
    const clock = new FakeClock()
    const q = new SchedulingQueue(clock)
    q.add(info('p'))
    const qp = (await q.pop())!
    q.moveAllToActiveOrBackoff(POD_DELETED)
    q.addUnschedulable(qp, new Set(['NodeResourcesFit']))
    expect(q.stats()).toMatchObject({ unschedulable: 0, backoff: 1 })
  })

  it('flushes pods parked for 5 minutes without any event', async () => {
    const clock = new FakeClock()
    const q = new SchedulingQueue(clock)
    q.add(info('p'))
    q.addUnschedulable((await q.pop())!, new Set(['NodeAffinity']))
    clock.advance(4 * 60_000)
    expect(q.stats().unschedulable).toBe(1)
    clock.advance(60_000 + 30_000)
    expect(q.stats()).toMatchObject({ unschedulable: 0, active: 1 })
  })

  it('forgets deleted pods wherever they are', async () => {
    const q = new SchedulingQueue(new FakeClock())
    q.add(info('a'))
    q.add(info('b'))
    q.delete('default/a')
    expect(await popName(q)).toBe('default/b')
    expect(q.stats().active).toBe(0)
  })
})
