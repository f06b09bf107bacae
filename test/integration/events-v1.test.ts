// events.k8s.io/v1 Events through the real kubectl against a whole simulated cluster: the same
// stored objects as core/v1 Events, converted as upstream (note ⇄ message, regarding ⇄
// involvedObject, reportingController ⇄ reportingComponent, deprecatedSource/FirstTimestamp/
// LastTimestamp/Count ⇄ source/firstTimestamp/lastTimestamp/count), in lists, gets, watches and
// field selectors, with upstream's strict validation for new-style events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 1 })
})
afterAll(async () => {
  await t?.close()
})

type Ev = Record<string, unknown> & {
  metadata: { name: string }
  regarding?: { kind?: string; name?: string }
  involvedObject?: { kind?: string; name?: string }
}
const list = async (what: string, ...extra: string[]): Promise<Ev[]> => (JSON.parse(await t.k('get', what, '-o', 'json', ...extra)) as { items: Ev[] }).items

const NEW_EVENT = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'lab-check.1', namespace: 'default' },
  eventTime: '2026-12-06T23:00:00.000000Z',
  reportingController: 'example.com/lab-checker',
  reportingInstance: 'lab-checker-1',
  action: 'Check',
  reason: 'Checked',
  note: 'the deployment is ready',
  type: 'Normal',
  regarding: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' },
}

describe('events.k8s.io/v1 Events', () => {
  it('serves the events controllers record (core/v1) in the events.k8s.io shape', async () => {
    await t.k('create', 'deployment', 'web', '--image=nginx', '--replicas=1')
    const created = await t.waitFor('SuccessfulCreate in events.k8s.io/v1', async () =>
      (await list('events.v1.events.k8s.io')).find((e) => e.reason === 'SuccessfulCreate' && e.regarding?.kind === 'ReplicaSet'),
    )
    expect(created.apiVersion).toBe('events.k8s.io/v1')
    expect(created.note).toMatch(/^Created pod: web-/)
    expect(created.deprecatedSource).toEqual({ component: 'replicaset-controller' })
    expect(created.deprecatedCount).toBe(1)
    expect(created.deprecatedFirstTimestamp).toEqual(expect.any(String))
    for (const k of ['message', 'involvedObject', 'source', 'count', 'firstTimestamp', 'reportingComponent']) expect(created).not.toHaveProperty(k)

    // The same object through core/v1.
    const core = JSON.parse(await t.k('get', '--raw', `/api/v1/namespaces/default/events/${created.metadata.name}`)) as Ev
    expect(core).toMatchObject({ apiVersion: 'v1', message: created.note, involvedObject: created.regarding, count: 1 })

    const table = await t.k('get', 'events.events.k8s.io')
    expect(table).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m)
    expect(table).toMatch(/Normal\s+SuccessfulCreate\s+replicaset\/web-\S+\s+Created pod: web-/)
  })

  it('stores an events.k8s.io/v1 Event as a core Event, and back', async () => {
    const made = await t.kubectl(['create', '-f', '-'], { input: JSON.stringify(NEW_EVENT) })
    expect(made.stdout).toContain('event.events.k8s.io/lab-check.1 created')
    const core = JSON.parse(await t.k('get', 'events', 'lab-check.1', '-o', 'json')) as Ev
    expect(core).toMatchObject({
      apiVersion: 'v1',
      message: 'the deployment is ready',
      involvedObject: NEW_EVENT.regarding,
      reportingComponent: 'example.com/lab-checker',
      reportingInstance: 'lab-checker-1',
      action: 'Check',
      reason: 'Checked',
      type: 'Normal',
    })
    expect(core.eventTime).toBe('2026-12-06T23:00:00.000000Z')
    const back = JSON.parse(await t.k('get', 'events.v1.events.k8s.io', 'lab-check.1', '-o', 'json')) as Ev
    expect(back).toMatchObject({ ...NEW_EVENT, metadata: { name: 'lab-check.1', namespace: 'default' } })
    expect(await t.k('get', 'events', '--field-selector', 'involvedObject.name=web,involvedObject.kind=Deployment')).toMatch(
      /Normal\s+Checked\s+deployment\/web\s+the deployment is ready/,
    )

    // A core update (what `kubectl annotate`/count bumps do) shows through the new API.
    await t.k('patch', 'events', 'lab-check.1', '--type=merge', '-p', '{"message":"ready again"}')
    const patched = JSON.parse(await t.k('get', 'events.v1.events.k8s.io', 'lab-check.1', '-o', 'json')) as Ev
    expect(patched.note).toBe('ready again')
  })

  it('selects by regarding.* and watches in the new shape', async () => {
    const only = await list('events.v1.events.k8s.io', '--field-selector', 'regarding.kind=Deployment,regarding.name=web')
    // The lab event and the Deployment controller's ScalingReplicaSet, nothing about other objects.
    expect(only.map((e) => e.metadata.name)).toContain('lab-check.1')
    expect(only.map((e) => e.reason).sort()).toEqual(['Checked', 'ScalingReplicaSet'])
    for (const e of only) expect(e.regarding).toMatchObject({ kind: 'Deployment', name: 'web' })
    const watched = await t.k(
      'get',
      '--raw',
      '/apis/events.k8s.io/v1/namespaces/default/events?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dlab-check.1',
    )
    const ev = JSON.parse(watched.trim().split('\n')[0]!) as { type: string; object: Ev }
    expect(ev.type).toBe('ADDED')
    expect(ev.object).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', note: 'ready again', regarding: { name: 'web' } })
  })

  it('validates new-style events as upstream', async () => {
    const { action: _a, ...noAction } = NEW_EVENT
    const missing = await t.kubectl(['create', '-f', '-'], { input: JSON.stringify({ ...noAction, metadata: { name: 'bad.1' } }) })
    expect(missing.stderr).toContain('The Event "bad.1" is invalid: action: Required value')
    const old = await t.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ ...NEW_EVENT, metadata: { name: 'bad.2' }, deprecatedCount: 3, type: 'Loud' }),
    })
    expect(old.stderr).toContain('type: Invalid value: "": has invalid value: Loud')
    expect(old.stderr).toContain('deprecatedCount: Invalid value: "": needs to be unset')
  })
})
