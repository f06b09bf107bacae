// core/v1 LimitRange through the real kubectl against a whole simulated cluster: stored defaults
// (as upstream's SetDefaults), the LimitRanger admission filling container requests/limits and
// enforcing min/max/maxLimitRequestRatio with upstream's messages, claims, and the interplay
// with a ResourceQuota that demands requests and limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 1 })
})
afterAll(async () => {
  await t?.close()
})

const limitRange = (ns: string, limits: object[]) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: ns }, spec: { limits } })
const pod = (name: string, containers: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers } })
const create = (ns: string, input: string) => t.kubectl(['create', '-n', ns, '-f', '-'], { input })

describe('LimitRange', () => {
  it('stores upstream defaults, prints and describes as kubectl expects', async () => {
    await t.k('create', 'namespace', 'lr1')
    expect(
      (
        await create(
          'lr1',
          limitRange('lr1', [{ type: 'Container', max: { cpu: '1', memory: '1Gi' }, min: { cpu: '100m' }, defaultRequest: { memory: '256Mi' } }]),
        )
      ).stderr,
    ).toBe('')
    const stored = JSON.parse(await t.k('get', 'limits', 'limits', '-n', 'lr1', '-o', 'json')) as { spec: { limits: Record<string, unknown>[] } }
    // default ← max; defaultRequest ← default, else min.
    expect(stored.spec.limits[0]).toMatchObject({ default: { cpu: '1', memory: '1Gi' }, defaultRequest: { cpu: '1', memory: '256Mi' } })

    const table = await t.k('get', 'limitranges', '-n', 'lr1')
    expect(table).toMatch(/^NAME\s+CREATED AT$/m)
    expect(table).toMatch(/^limits\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m)
    const describe = await t.k('describe', 'limitrange', 'limits', '-n', 'lr1')
    expect(describe).toMatch(/^Type\s+Resource\s+Min\s+Max\s+Default Request\s+Default Limit\s+Max Limit\/Request Ratio$/m)
    expect(describe).toMatch(/^Container\s+cpu\s+100m\s+1\s+1\s+1\s+-$/m)
    expect(describe).toMatch(/^Container\s+memory\s+-\s+1Gi\s+256Mi\s+1Gi\s+-$/m)

    const bad = await create(
      'lr1',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'bad' },
        spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] },
      }),
    )
    expect(bad.stderr).toContain('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1')
  })

  it('fills container defaults and notes them in the kubernetes.io/limit-ranger annotation', async () => {
    await t.k('create', 'namespace', 'lr2')
    await create('lr2', limitRange('lr2', [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '200m', memory: '256Mi' } }]))
    expect(
      (
        await create(
          'lr2',
          pod('p', [
            { name: 'web', image: 'nginx' },
            { name: 'side', image: 'busybox', resources: { limits: { cpu: '1' } } },
          ]),
        )
      ).stderr,
    ).toBe('')
    const p = JSON.parse(await t.k('get', 'pod', 'p', '-n', 'lr2', '-o', 'json')) as {
      metadata: { annotations: Record<string, string> }
      spec: { containers: { resources: object }[] }
      status: { qosClass?: string }
    }
    expect(p.spec.containers[0]!.resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } })
    // The side container's own limit stays, and its request came from it (pod defaulting), not the LimitRange.
    expect(p.spec.containers[1]!.resources).toEqual({ requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } })
    expect(p.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; memory request for container side; memory limit for container side',
    )
    expect(p.status.qosClass).toBe('Burstable')
  })

  it('enforces min, max and maxLimitRequestRatio for containers and pods with upstream messages', async () => {
    await t.k('create', 'namespace', 'lr3')
    await create(
      'lr3',
      limitRange('lr3', [
        { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1', memory: '1Gi' }, maxLimitRequestRatio: { memory: '2' } },
        { type: 'Pod', max: { cpu: '1500m' } },
      ]),
    )
    const tooBig = await create(
      'lr3',
      pod('big', [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '2', memory: '512Mi' }, requests: { memory: '512Mi' } } }]),
    )
    expect(tooBig.stderr).toContain(
      'pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Pod is 1500m, but limit is 2]',
    )
    const tooSmall = await create(
      'lr3',
      pod('small', [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '50m', memory: '512Mi' }, limits: { cpu: '50m', memory: '512Mi' } } }]),
    )
    expect(tooSmall.stderr).toContain('pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m')
    const ratio = await create(
      'lr3',
      pod('ratio', [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '200m', memory: '512Mi' } } }]),
    )
    expect(ratio.stderr).toContain('pods "ratio" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 4.000000')
    const twoContainers = await create(
      'lr3',
      pod('pair', [
        { name: 'a', image: 'nginx', resources: { requests: { cpu: '800m', memory: '256Mi' }, limits: { cpu: '800m', memory: '256Mi' } } },
        { name: 'b', image: 'nginx', resources: { requests: { cpu: '800m', memory: '256Mi' }, limits: { cpu: '800m', memory: '256Mi' } } },
      ]),
    )
    expect(twoContainers.stderr).toContain('pods "pair" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m')
    expect(
      (
        await create(
          'lr3',
          pod('fits', [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } } }]),
        )
      ).stderr,
    ).toBe('')
  })

  it('bounds claim sizes', async () => {
    await t.k('create', 'namespace', 'lr4')
    await create('lr4', limitRange('lr4', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } }]))
    const claim = (name: string, size: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
      })
    expect((await create('lr4', claim('huge', '10Gi'))).stderr).toContain(
      'persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi',
    )
    expect((await create('lr4', claim('tiny', '100Mi'))).stderr).toContain(
      'persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi',
    )
    expect((await create('lr4', claim('ok', '2Gi'))).stderr).toBe('')
  })

  it('defaults satisfy a quota that demands requests and limits', async () => {
    await t.k('create', 'namespace', 'lr5')
    await t.k('create', 'quota', 'compute', '-n', 'lr5', '--hard=requests.cpu=1,limits.cpu=2')
    await t.waitFor(
      'quota status',
      async () => (JSON.parse(await t.k('get', 'quota', 'compute', '-n', 'lr5', '-o', 'json')) as { status?: { used?: object } }).status?.used,
    )
    const without = await create('lr5', pod('before', [{ name: 'c', image: 'nginx' }]))
    expect(without.stderr).toContain('pods "before" is forbidden: failed quota: compute: must specify limits.cpu for: c; requests.cpu for: c')
    await create('lr5', limitRange('lr5', [{ type: 'Container', default: { cpu: '400m' }, defaultRequest: { cpu: '300m' } }]))
    expect((await create('lr5', pod('after', [{ name: 'c', image: 'nginx' }]))).stderr).toBe('')
    await t.waitFor(
      'quota used',
      async () =>
        (JSON.parse(await t.k('get', 'quota', 'compute', '-n', 'lr5', '-o', 'json')) as { status?: { used?: Record<string, string> } }).status?.used?.[
          'requests.cpu'
        ] === '300m',
    )
  })
})
