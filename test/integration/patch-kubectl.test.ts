// The real kubectl patching objects on an in-process API server: the patch bodies it sends for
// set image, label, apply (client- and server-side), cordon, patch --type=json|merge|strategic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

function deploymentYaml(env: string, ports: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env: ${env}
        ports: ${ports}
      - name: sidecar
        image: busybox:1.36
        command: [sleep, infinity]
`
}

async function json(...args: string[]): Promise<Record<string, any>> {
  // eslint-disable-line @typescript-eslint/no-explicit-any -- test-only deep access
  return JSON.parse(await t.k(...args, '-o', 'json')) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('kubectl patches', () => {
  it('apply -f twice: env and ports merge by key (strategic merge patch)', async () => {
    const first = writeManifest(t.dir, 'web1.yaml', deploymentYaml('[{name: A, value: "1"}, {name: B, value: "2"}]', '[{containerPort: 80}]'))
    await t.k('apply', '-f', first)
    const second = writeManifest(
      t.dir,
      'web2.yaml',
      deploymentYaml('[{name: B, value: "2"}, {name: C, value: "3"}]', '[{containerPort: 80}, {containerPort: 443, name: https}]'),
    )
    await t.k('apply', '-f', second)
    const d = await json('get', 'deploy', 'web')
    const c = d.spec.template.spec.containers
    expect(c.map((x: { name: string }) => x.name)).toEqual(['nginx', 'sidecar'])
    expect(c[0].env).toEqual([
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ])
    expect(c[0].ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([80, 443])
  })

  it('set image changes one container and keeps the order', async () => {
    await t.k('set', 'image', 'deploy/web', 'nginx=nginx:1.27')
    const d = await json('get', 'deploy', 'web')
    expect(d.spec.template.spec.containers.map((x: { image: string }) => x.image)).toEqual(['nginx:1.27', 'busybox:1.36'])
  })

  it('label and unlabel (merge patch)', async () => {
    await t.k('label', 'deploy', 'web', 'tier=front')
    expect((await json('get', 'deploy', 'web')).metadata.labels).toEqual({ app: 'web', tier: 'front' })
    await t.k('label', 'deploy', 'web', 'tier-')
    expect((await json('get', 'deploy', 'web')).metadata.labels).toEqual({ app: 'web' })
  })

  it('patch --type=json applies, and a failing test op is refused with 422', async () => {
    await t.k('patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]')
    expect((await json('get', 'deploy', 'web')).spec.replicas).toBe(3)
    const r = await t.kubectl(['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('/spec/replicas')
  })

  it('patch --type=strategic removes a container and a finalizer', async () => {
    await t.k('patch', 'deploy', 'web', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}')
    expect((await json('get', 'deploy', 'web')).spec.template.spec.containers.map((x: { name: string }) => x.name)).toEqual(['nginx'])
    await t.k('create', 'configmap', 'cfg', '--from-literal=k=v')
    await t.k('patch', 'configmap', 'cfg', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/a","example.com/b"]}}')
    await t.k('patch', 'configmap', 'cfg', '--type=strategic', '-p', '{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"]}}')
    expect((await json('get', 'configmap', 'cfg')).metadata.finalizers).toEqual(['example.com/b'])
    await t.k('patch', 'configmap', 'cfg', '--type=merge', '-p', '{"metadata":{"finalizers":null}}')
  })

  it('cordon sets spec.unschedulable on a node', async () => {
    const node = writeManifest(t.dir, 'node.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n')
    await t.k('apply', '-f', node)
    await t.k('cordon', 'n1')
    expect((await json('get', 'node', 'n1')).spec.unschedulable).toBe(true)
  })

  it('apply --server-side creates, then merges into the live object', async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {a: "1"}\ndata: ${data}\n`
    await t.k('apply', '--server-side', '-f', writeManifest(t.dir, 'ssa1.yaml', cm('{k1: "1"}')))
    await t.k('apply', '--server-side', '-f', writeManifest(t.dir, 'ssa2.yaml', cm('{k2: "2"}')))
    const got = await json('get', 'configmap', 'ssa')
    expect(got.data.k2).toBe('2')
    expect(got.metadata.labels).toEqual({ a: '1' })
  })
})
