// core/v1 ResourceQuota through the real kubectl against a whole simulated cluster (API server,
// controller manager with the quota controller, scheduler, hollow nodes): the controller fills
// status.hard/used, admission refuses over-quota creates with upstream's messages, demands
// requests/limits a quota covers, counts objects, and deletes give usage back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 1 })
})
afterAll(async () => {
  await t?.close()
})

interface QuotaView {
  status?: { hard?: Record<string, string>; used?: Record<string, string> }
}
const quota = async (ns: string, name: string): Promise<QuotaView> => JSON.parse(await t.k('get', 'quota', name, '-n', ns, '-o', 'json')) as QuotaView

/** Waits until the quota's status.used has these values. */
function usedIs(ns: string, name: string, want: Record<string, string>): Promise<QuotaView> {
  return t.waitFor(`quota ${ns}/${name} used ${JSON.stringify(want)}`, async () => {
    const q = await quota(ns, name)
    return Object.entries(want).every(([k, v]) => q.status?.used?.[k] === v) ? q : undefined
  })
}

const pod = (name: string, resources?: object) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] },
  })

describe('ResourceQuota', () => {
  it('counts objects, refuses the one too many with upstream message, and gives usage back on delete', async () => {
    await t.k('create', 'namespace', 'q1')
    await t.k('create', 'quota', 'objects', '-n', 'q1', '--hard=count/configmaps=3,services=1,secrets=10')
    // kube-root-ca.crt is a ConfigMap the service-account controller puts in every namespace.
    await t.waitFor('kube-root-ca.crt', async () => (await t.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'q1'])).code === 0)
    const q = await usedIs('q1', 'objects', { 'count/configmaps': '1', services: '0' })
    expect(q.status?.hard).toEqual({ 'count/configmaps': '3', services: '1', secrets: '10' })

    await t.k('create', 'configmap', 'a', '-n', 'q1')
    await t.k('create', 'configmap', 'b', '-n', 'q1')
    const third = await t.kubectl(['create', 'configmap', 'c', '-n', 'q1'])
    expect(third.code).not.toBe(0)
    expect(third.stderr).toContain(
      'error: failed to create configmap: configmaps "c" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=3, limited: count/configmaps=3',
    )

    await t.k('create', 'service', 'clusterip', 's1', '--tcp=80', '-n', 'q1')
    const svc = await t.kubectl(['create', 'service', 'clusterip', 's2', '--tcp=80', '-n', 'q1'])
    expect(svc.stderr).toContain('services "s2" is forbidden: exceeded quota: objects, requested: services=1, used: services=1, limited: services=1')

    // A dry run is checked but not charged.
    const dry = await t.kubectl(['create', 'configmap', 'd', '-n', 'q1', '--dry-run=server'])
    expect(dry.stderr).toContain('exceeded quota: objects')

    await t.k('delete', 'configmap', 'a', '-n', 'q1')
    await usedIs('q1', 'objects', { 'count/configmaps': '2' })
    await t.k('create', 'configmap', 'c', '-n', 'q1')
    await usedIs('q1', 'objects', { 'count/configmaps': '3', services: '1' })

    const table = await t.k('get', 'quota', '-n', 'q1')
    expect(table).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/m)
    expect(table).toMatch(/^objects\s+\S+\s+count\/configmaps: 3\/3, secrets: \d+\/10, services: 1\/1\s*$/m)
  })

  it('limits compute resources of pods, demands requests/limits it covers, and kubectl describe shows it', async () => {
    await t.k('create', 'namespace', 'q2')
    await t.k('create', 'quota', 'compute', '-n', 'q2', '--hard=pods=2,requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi')
    await usedIs('q2', 'compute', { pods: '0', 'requests.cpu': '0' })

    const bare = await t.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('bare') })
    expect(bare.stderr).toContain(
      'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app; requests.cpu for: app; requests.memory for: app',
    )

    const res = (cpu: string, mem: string) => ({ requests: { cpu, memory: mem }, limits: { cpu, memory: mem } })
    expect((await t.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('p1', res('600m', '512Mi')) })).code).toBe(0)
    const big = await t.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('p2', res('500m', '256Mi')) })
    expect(big.stderr).toContain(
      'pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1',
    )
    expect((await t.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('p3', res('400m', '512Mi')) })).code).toBe(0)
    await usedIs('q2', 'compute', { pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '1', 'limits.memory': '1Gi' })
    const third = await t.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('p4', res('0', '0')) })
    expect(third.stderr).toContain('exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2')

    const describe = await t.k('describe', 'quota', 'compute', '-n', 'q2')
    expect(describe).toMatch(/^Name:\s+compute$/m)
    expect(describe).toMatch(/^Namespace:\s+q2$/m)
    expect(describe).toMatch(/^Resource\s+Used\s+Hard$/m)
    expect(describe).toMatch(/^limits\.cpu\s+1\s+2$/m)
    expect(describe).toMatch(/^limits\.memory\s+1Gi\s+2Gi$/m)
    expect(describe).toMatch(/^pods\s+2\s+2$/m)
    expect(describe).toMatch(/^requests\.cpu\s+1\s+1$/m)
    expect(describe).toMatch(/^requests\.memory\s+1Gi\s+1Gi$/m)

    await t.k('delete', 'pod', 'p1', '-n', 'q2', '--wait=true')
    await usedIs('q2', 'compute', { pods: '1', 'requests.cpu': '400m', 'requests.memory': '512Mi' })
  })

  it('a Deployment under a quota stops at the limit and reports the refusal', async () => {
    await t.k('create', 'namespace', 'q3')
    await t.k('create', 'quota', 'two-pods', '-n', 'q3', '--hard=count/pods=2')
    await usedIs('q3', 'two-pods', { 'count/pods': '0' })
    await t.k('create', 'deployment', 'web', '--image=nginx', '--replicas=3', '-n', 'q3')
    const rs = await t.waitFor('ReplicaSet ReplicaFailure', async () => {
      const list = JSON.parse(await t.k('get', 'rs', '-n', 'q3', '-o', 'json')) as {
        items: { status?: { replicas?: number; conditions?: { type: string; message: string }[] } }[]
      }
      const cond = list.items[0]?.status?.conditions?.find((c) => c.type === 'ReplicaFailure')
      return cond && list.items[0]?.status?.replicas === 2 ? cond : undefined
    })
    expect(rs.message).toMatch(
      /^pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: two-pods, requested: count\/pods=1, used: count\/pods=2, limited: count\/pods=2$/,
    )
    await usedIs('q3', 'two-pods', { 'count/pods': '2' })
  })

  it('concurrent creates cannot slip past the limit together', async () => {
    await t.k('create', 'namespace', 'q4')
    await t.k('create', 'quota', 'three', '-n', 'q4', '--hard=count/secrets=3')
    await usedIs('q4', 'three', { 'count/secrets': '0' })
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => t.kubectl(['create', 'secret', 'generic', `s${i}`, '-n', 'q4', `--from-literal=k=${i}`])),
    )
    expect(results.filter((r) => r.code === 0)).toHaveLength(3)
    for (const r of results.filter((x) => x.code !== 0))
      expect(r.stderr).toContain('exceeded quota: three, requested: count/secrets=1, used: count/secrets=3, limited: count/secrets=3')
    await usedIs('q4', 'three', { 'count/secrets': '3' })
    expect(JSON.parse(await t.k('get', 'secrets', '-n', 'q4', '-o', 'json')).items).toHaveLength(3)
  })

  it('validates names and amounts', async () => {
    const bad = await t.kubectl(['create', 'quota', 'bad', '--hard=widgets=1'])
    expect(bad.stderr).toContain('spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota')
  })
})
