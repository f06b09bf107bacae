// The EventRecorder's correlation as upstream's client-go EventCorrelator does it, read back
// through the API server and kubectl: the 10th different message about the same object and reason
// goes into one "(combined from similar events): …" Event, and the spam filter lets 25 through at
// once, then one per 5 minutes.
import type { ConfigMap } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, EventRecorder, resourceRef, type ClosableClient } from '../../src-cluster/client'
import type { KubeObject } from '../../src-cluster/api/object'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

const CM = resourceRef('v1', 'configmaps')
const EVENTS = resourceRef('v1', 'events')

interface EventObj extends KubeObject {
  reason?: string
  message?: string
  count?: number
  involvedObject?: { name?: string }
}

describe('event correlation', () => {
  let t: TestApiServer
  let c: ClosableClient
  beforeAll(async () => {
    t = await startTestApiServer()
    const s = t.server
    c = createClient({ server: s.url, caPem: s.pki.ca.certPem, certPem: s.admin.certPem, keyPem: s.admin.keyPem, userAgent: 'event-test' })
  })
  afterAll(async () => {
    c.close()
    await t.close()
  })

  const eventsAbout = async (name: string): Promise<EventObj[]> =>
    (await c.list<EventObj>(EVENTS, { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === name)

  it('combines the 10th different message and drops what passes the spam limit', async () => {
    const clock = new FakeClock(new Date('2026-01-01T10:00:00Z'))
    const target = await c.create<ConfigMap & KubeObject>(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scaled' } })
    const rec = new EventRecorder(c, 'replicaset-controller', clock)
    for (let i = 1; i <= 30; i++) rec.event(target, 'Normal', 'SuccessfulCreate', `Created pod: p-${i}`)
    await rec.flush()
    let evs = await eventsAbout('scaled')
    // 9 Events of their own, then one combined Event for the 10th to the 25th; 26–30 dropped.
    expect(evs.filter((e) => !e.message?.startsWith('(combined')).map((e) => e.message)).toEqual(
      Array.from({ length: 9 }, (_, i) => `Created pod: p-${i + 1}`).sort(),
    )
    const combined = evs.filter((e) => e.message?.startsWith('(combined'))
    expect(combined).toHaveLength(1)
    expect(combined[0]).toMatchObject({ count: 16, message: '(combined from similar events): Created pod: p-25' })

    // Five minutes later one more token: it goes into the combined Event.
    clock.advance(300_000)
    rec.event(target, 'Normal', 'SuccessfulCreate', 'Created pod: p-31')
    rec.event(target, 'Normal', 'SuccessfulCreate', 'Created pod: p-32')
    await rec.flush()
    evs = await eventsAbout('scaled')
    expect(evs).toHaveLength(10)
    expect(evs.find((e) => e.message?.startsWith('(combined'))).toMatchObject({ count: 17, message: '(combined from similar events): Created pod: p-31' })

    // Another reason about the same object has a budget of its own; what a learner reads.
    rec.event(target, 'Warning', 'FailedCreate', 'Error creating: quota')
    await rec.flush()
    const described = await t.k('describe', 'configmap', 'scaled')
    expect(described).toMatch(/Warning\s+FailedCreate\s+.*replicaset-controller\s+Error creating: quota/)
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*\(x17 over [^)]+\)\s+replicaset-controller\s+\(combined from similar events\): Created pod: p-31/)
  })
})
