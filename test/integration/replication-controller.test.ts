// core/v1 ReplicationController and PodTemplate through the real kubectl against a whole
// simulated cluster (the controller manager runs the ReplicaSet controller's code for RCs):
// defaulting of selector and labels, pods made and replaced, `kubectl scale rc`, status, the
// Scale subresource, `get all`, garbage collection of its pods, and PodTemplates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 2 })
})
afterAll(async () => {
  await t?.close()
})

const RC = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] }
    status: { phase: string }
  }[]
}
const livePods = async (): Promise<PodList['items']> =>
  (JSON.parse(await t.k('get', 'pods', '-l', 'app=web', '-o', 'json')) as PodList).items.filter((p) => !p.metadata.deletionTimestamp)

function readyRc(want: number): Promise<boolean> {
  return t.waitFor(`rc web ${want}/${want} ready`, async () => {
    const rc = JSON.parse(await t.k('get', 'rc', 'web', '-o', 'json')) as {
      status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number }
    }
    const pods = await livePods()
    return (
      rc.status?.replicas === want &&
      rc.status.readyReplicas === want &&
      rc.status.availableReplicas === want &&
      pods.length === want &&
      pods.every((p) => p.status.phase === 'Running')
    )
  })
}

describe('ReplicationController', () => {
  it('defaults selector and labels from the template and runs its pods', async () => {
    expect((await t.kubectl(['apply', '-f', '-'], { input: RC })).stdout).toContain('replicationcontroller/web created')
    const rc = JSON.parse(await t.k('get', 'rc', 'web', '-o', 'json')) as { metadata: { labels: object }; spec: { selector: object; replicas: number } }
    expect(rc.spec.selector).toEqual({ app: 'web' })
    expect(rc.metadata.labels).toEqual({ app: 'web' })
    await readyRc(3)
    for (const p of await livePods())
      expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicationController', name: 'web', controller: true })])

    const table = await t.k('get', 'rc', '-o', 'wide')
    expect(table).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m)
    expect(table).toMatch(/^web\s+3\s+3\s+3\s+\S+\s+nginx\s+nginx:1\.27\s+app=web$/m)
    expect(await t.k('get', 'all')).toMatch(/^replicationcontroller\/web\s+3\s+3\s+3\s+/m)
    const describe = await t.k('describe', 'rc', 'web')
    expect(describe).toMatch(/^Selector:\s+app=web$/m)
    expect(describe).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m)
    expect(describe).toMatch(/SuccessfulCreate\s+\S+\s+replication-controller\s+Created pod: web-/)
  })

  it('scales with kubectl scale rc and the Scale subresource, and replaces deleted pods', async () => {
    expect(await t.k('scale', 'rc', 'web', '--replicas=5')).toContain('replicationcontroller/web scaled')
    await readyRc(5)
    const scale = JSON.parse(await t.k('get', '--raw', '/api/v1/namespaces/default/replicationcontrollers/web/scale')) as {
      kind: string
      spec: { replicas: number }
      status: { replicas: number; selector: string }
    }
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 5 }, status: { replicas: 5, selector: 'app=web' } })
    await t.k('scale', 'rc', 'web', '--replicas=2')
    await readyRc(2)
    const victim = (await livePods())[0]!.metadata.name
    await t.k('delete', 'pod', victim, '--wait=false')
    await t.waitFor('a replacement pod', async () => {
      const pods = await livePods()
      return pods.length === 2 && !pods.some((p) => p.metadata.name === victim)
    })
    await readyRc(2)
  })

  it('validates as upstream', async () => {
    const noLabels = await t.kubectl(['create', '-f', '-'], { input: RC.replace('name: web', 'name: bad').replace('labels: {app: web}', 'labels: {}') })
    expect(noLabels.stderr).toContain('spec.selector: Required value')
    const mismatch = await t.kubectl(['create', '-f', '-'], {
      input: RC.replace('name: web', 'name: bad').replace('  replicas: 3', '  replicas: 1\n  selector: {app: other}'),
    })
    expect(mismatch.stderr).toContain(
      'The ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    )
  })

  it('deleting the RC deletes its pods', async () => {
    await t.k('delete', 'rc', 'web')
    await t.waitFor('pods of web gone', async () => (await livePods()).length === 0)
  })
})

describe('PodTemplate', () => {
  it('is stored, printed and validated', async () => {
    const pt = {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { name: 'tpl' },
      template: { metadata: { labels: { tier: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } },
    }
    expect((await t.kubectl(['create', '-f', '-'], { input: JSON.stringify(pt) })).stdout).toContain('podtemplate/tpl created')
    const stored = JSON.parse(await t.k('get', 'podtemplate', 'tpl', '-o', 'json')) as {
      template: { spec: { restartPolicy: string; containers: { imagePullPolicy: string }[] } }
    }
    expect(stored.template.spec.restartPolicy).toBe('Always')
    expect(stored.template.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent')
    const table = await t.k('get', 'podtemplates')
    expect(table).toMatch(/^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS$/m)
    expect(table).toMatch(/^tpl\s+pg\s+postgres:16\s+tier=db$/m)
    const bad = await t.kubectl(['create', '-f', '-'], { input: JSON.stringify({ ...pt, metadata: { name: 'bad' }, template: { spec: { containers: [] } } }) })
    expect(bad.stderr).toContain('template.spec.containers: Required value')
  })
})
