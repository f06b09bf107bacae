// The real kubectl against our API server: every command learners type in the first hours.
import { spawn } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KUBECTL, startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import { until } from '../helpers/wait'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: blue
`

describe('discovery and version', () => {
  it('reports a 1.32 server so the dispatcher runs kubectl 1.32', async () => {
    const out = JSON.parse(await t.k('version', '-o', 'json'))
    expect(out.serverVersion.major).toBe('1')
    expect(out.serverVersion.minor).toBe('32')
    expect(out.clientVersion.minor).toMatch(/^32/)
  })

  it('lists resources with short names and groups', async () => {
    const out = await t.k('api-resources')
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m)
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m)
    expect(out).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m)
    expect(out).toMatch(/^clusterroles\s+rbac.authorization.k8s.io\/v1\s+false\s+ClusterRole$/m)
    const versions = await t.k('api-versions')
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'networking.k8s.io/v1', 'policy/v1', 'storage.k8s.io/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1']) {
      expect(versions.split('\n')).toContain(gv)
    }
  })

  it('starts with the standard namespaces and the kubernetes Service', async () => {
    const out = await t.k('get', 'ns', '-o', 'name')
    expect(out.trim().split('\n').sort()).toEqual(['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system'])
    const svc = JSON.parse(await t.k('get', 'svc', 'kubernetes', '-o', 'json'))
    expect(svc.spec.clusterIP).toBe('10.96.0.1')
  })

  it('answers requests without credentials as system:anonymous: 403, as upstream', async () => {
    const r = await fetch(`${t.server.url}/api/v1/namespaces`, { dispatcher: undefined } as RequestInit).catch((e: Error) => e)
    // fetch refuses our self-signed CA: talk to the server with the CA but no client identity.
    expect(r).toBeInstanceOf(Error)
    const https = await import('node:https')
    const code = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${t.server.url}/api/v1/namespaces`, { ca: t.server.pki.ca.certPem }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(code).toBe(403)
  })
})

describe('create, get and output formats', () => {
  it('creates objects with protobuf bodies (kubectl create ...)', async () => {
    await t.k('create', 'namespace', 'team-a')
    await t.k('create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=3', '--port=8080', '-n', 'team-a')
    await t.k('create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-n', 'team-a')
    await t.k('create', 'configmap', 'settings', '--from-literal=color=blue', '--from-literal=size=xl', '-n', 'team-a')
    await t.k('create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2', '-n', 'team-a')
    await t.k('create', 'serviceaccount', 'robot', '-n', 'team-a')
    await t.k('create', 'job', 'once', '--image=busybox', '-n', 'team-a', '--', 'echo', 'hi')
    const d = JSON.parse(await t.k('get', 'deploy', 'api', '-n', 'team-a', '-o', 'json'))
    expect(d.spec.replicas).toBe(3)
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }] })
    expect(d.spec.strategy.type).toBe('RollingUpdate')
    expect(d.metadata.generation).toBe(1)
    const s = JSON.parse(await t.k('get', 'secret', 'creds', '-n', 'team-a', '-o', 'json'))
    expect(Buffer.from(s.data.password, 'base64').toString()).toBe('hunter2')
    const svc = JSON.parse(await t.k('get', 'svc', 'api', '-n', 'team-a', '-o', 'json'))
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./)
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' })
    const cm = JSON.parse(await t.k('get', 'cm', 'settings', '-n', 'team-a', '-o', 'json'))
    expect(cm.data).toEqual({ color: 'blue', size: 'xl' })
  })

  it('applies a manifest, then applies a change as a strategic merge patch', async () => {
    const f = writeManifest(t.dir, 'web.yaml', DEPLOYMENT)
    expect(await t.k('apply', '-f', f)).toContain('deployment.apps/web created')
    const changed = writeManifest(t.dir, 'web2.yaml', DEPLOYMENT.replace('replicas: 2', 'replicas: 4').replace('value: blue', 'value: green'))
    expect(await t.k('apply', '-f', changed)).toContain('deployment.apps/web configured')
    const d = JSON.parse(await t.k('get', 'deploy', 'web', '-o', 'json'))
    expect(d.spec.replicas).toBe(4)
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'green' }])
    expect(d.metadata.generation).toBe(2)
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('green')
    expect(await t.k('apply', '-f', changed)).toContain('deployment.apps/web unchanged')
  })

  it('prints tables with the columns Kubernetes shows', async () => {
    await t.k('run', 'p1', '--image=busybox', '--labels=tier=front')
    const pods = await t.k('get', 'pods')
    expect(pods.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/)
    expect(pods).toMatch(/^p1\s+0\/1\s+Pending\s+0\s+\d+s$/m)
    const wide = await t.k('get', 'pods', '-o', 'wide')
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/)
    const deps = await t.k('get', 'deploy')
    expect(deps.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    expect(await t.k('get', 'pods', '--show-labels')).toMatch(/tier=front/)
    expect(await t.k('get', 'svc', '-n', 'team-a')).toMatch(/^api\s+ClusterIP\s+10\.\S+\s+<none>\s+80\/TCP\s+\d+s$/m)
    const all = await t.k('get', 'all', '-n', 'team-a')
    expect(all).toContain('deployment.apps/api')
    expect(all).toContain('service/api')
    expect(all).toContain('job.batch/once')
  })

  it('supports -o yaml, json, name, jsonpath and custom-columns', async () => {
    expect(await t.k('get', 'pod', 'p1', '-o', 'yaml')).toMatch(/^kind: Pod$/m)
    expect(JSON.parse(await t.k('get', 'pods', '-o', 'json')).kind).toBe('List')
    expect((await t.k('get', 'pods', '-o', 'name')).trim()).toBe('pod/p1')
    expect(await t.k('get', 'pod', 'p1', '-o', 'jsonpath={.spec.containers[0].image}')).toBe('busybox')
    const cc = await t.k('get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,PHASE:.status.phase')
    expect(cc).toMatch(/^p1\s+Pending$/m)
  })

  it('selects by label and field, and pages through long lists', async () => {
    for (let i = 0; i < 7; i++) await t.k('create', 'configmap', `page-${i}`, '--from-literal=i=' + i)
    expect((await t.k('get', 'pods', '-l', 'tier=front', '-o', 'name')).trim()).toBe('pod/p1')
    expect((await t.k('get', 'pods', '-l', 'tier!=front', '-o', 'name')).trim()).toBe('')
    expect((await t.k('get', 'pods', '--field-selector', 'status.phase=Pending', '-o', 'name')).trim()).toBe('pod/p1')
    expect((await t.k('get', 'pods', '--field-selector', 'metadata.name=nope', '-o', 'name')).trim()).toBe('')
    const paged = await t.k('get', 'cm', '--chunk-size=2', '-o', 'name')
    expect(
      paged
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('configmap/page-')),
    ).toHaveLength(7)
    const bad = await t.kubectl(['get', 'pods', '--field-selector', 'spec.bogus=1'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/field label not supported|not a known field selector/)
  })

  it('describes objects', async () => {
    const out = await t.k('describe', 'deploy', 'web')
    expect(out).toMatch(/^Name:\s+web$/m)
    expect(out).toMatch(/^Replicas:\s+4 desired/m)
    expect(out).toMatch(/MODE:\s+green/)
    const pod = await t.k('describe', 'pod', 'p1')
    expect(pod).toMatch(/^Status:\s+Pending$/m)
  })
})

describe('updates', () => {
  it('labels and annotates', async () => {
    await t.k('label', 'pod', 'p1', 'env=dev')
    await t.k('annotate', 'pod', 'p1', 'owner=alice')
    const p = JSON.parse(await t.k('get', 'pod', 'p1', '-o', 'json'))
    expect(p.metadata.labels).toMatchObject({ env: 'dev', tier: 'front' })
    expect(p.metadata.annotations.owner).toBe('alice')
    await t.k('label', 'pod', 'p1', 'env-')
    expect(JSON.parse(await t.k('get', 'pod', 'p1', '-o', 'json')).metadata.labels.env).toBeUndefined()
    const r = await t.kubectl(['label', 'pod', 'p1', 'tier=back'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("'tier' already has a value (front)")
  })

  it('patches with all three patch types', async () => {
    await t.k('patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}')
    await t.k('patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":5}]')
    await t.k('patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}')
    const d = JSON.parse(await t.k('get', 'deploy', 'web', '-o', 'json'))
    expect(d.metadata.labels.patched).toBe('merge')
    expect(d.spec.replicas).toBe(5)
    expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(['nginx', 'sidecar'])
    const bad = await t.kubectl(['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"remove","path":"/spec/nope"}]'])
    expect(bad.code).not.toBe(0)
  })

  it('sets images and scales', async () => {
    await t.k('set', 'image', 'deploy/web', 'nginx=nginx:1.28')
    await t.k('scale', 'deploy', 'web', '--replicas=3')
    const d = JSON.parse(await t.k('get', 'deploy', 'web', '-o', 'json'))
    expect(d.spec.template.spec.containers.find((c: { name: string }) => c.name === 'nginx').image).toBe('nginx:1.28')
    expect(d.spec.replicas).toBe(3)
    const scale = JSON.parse(await t.k('get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale'))
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 3 }, status: { selector: 'app=web' } })
  })

  it('edits with $EDITOR', async () => {
    const editor = join(t.dir, 'editor.sh')
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/color: blue/color: red/' "$1"\n`)
    chmodSync(editor, 0o755)
    const r = await t.kubectl(['edit', 'cm', 'settings', '-n', 'team-a'], { env: { EDITOR: editor, KUBE_EDITOR: editor } })
    expect(r.stderr + r.stdout).toContain('configmap/settings edited')
    expect(JSON.parse(await t.k('get', 'cm', 'settings', '-n', 'team-a', '-o', 'json')).data.color).toBe('red')
  })

  it('answers 409 for a stale resourceVersion', async () => {
    const cm = JSON.parse(await t.k('get', 'cm', 'page-0', '-o', 'json'))
    await t.k('patch', 'cm', 'page-0', '-p', '{"data":{"i":"changed"}}')
    cm.data.i = 'stale'
    const f = writeManifest(t.dir, 'stale.json', JSON.stringify(cm))
    const r = await t.kubectl(['replace', '-f', f])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again')
  })
})

describe('validation', () => {
  it('rejects unknown fields under strict validation and names them', async () => {
    const f = writeManifest(
      t.dir,
      'typo.yaml',
      DEPLOYMENT.replace('name: web', 'name: typo').replace('image: nginx:1.27', 'image: nginx:1.27\n        imagePullPolcy: Always'),
    )
    const r = await t.kubectl(['apply', '-f', f])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('unknown field "spec.template.spec.containers[0].imagePullPolcy"')
    expect((await t.kubectl(['get', 'deploy', 'typo'])).code).not.toBe(0)
  })

  it('answers 422 naming each invalid field', async () => {
    const f = writeManifest(t.dir, 'bad.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - name: c\n`)
    const r = await t.kubectl(['create', '-f', f])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('is invalid')
    expect(r.stderr).toContain('metadata.name')
    expect(r.stderr).toContain('spec.containers[0].image: Required value')
  })

  it('rejects a selector that does not match the template labels', async () => {
    const f = writeManifest(
      t.dir,
      'mismatch.yaml',
      DEPLOYMENT.replace('name: web', 'name: mismatch').replace('labels: { app: web }\n    spec:', 'labels: { app: other }\n    spec:'),
    )
    const r = await t.kubectl(['apply', '-f', f])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('spec.template.metadata.labels')
  })

  it('does not store anything on --dry-run=server', async () => {
    const out = await t.k('create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server', '-o', 'json')
    expect(JSON.parse(out).metadata.uid).toBeTruthy()
    expect((await t.kubectl(['get', 'cm', 'dry'])).code).not.toBe(0)
  })

  it('explains fields from the OpenAPI schema', async () => {
    const out = await t.k('explain', 'pods.spec.containers.image')
    expect(out).toMatch(/FIELD:\s+image/)
    const d = await t.k('explain', 'deployment.spec.strategy')
    expect(d).toContain('rollingUpdate')
  })
})

describe('watch and delete', () => {
  it('streams changes to kubectl get -w and deletes', async () => {
    await t.k('create', 'configmap', 'watched', '--from-literal=v=1')
    const child = spawn(KUBECTL, ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, 'kube-cache'), 'get', 'cm', '-w', '--output-watch-events'], {
      env: { ...process.env, HOME: t.dir },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const waitFor = async (re: RegExp) => {
      await until(`kubectl get -w printing ${re}`, () => re.test(out), { timeoutMs: 10_000, intervalMs: 50 })
      expect(out).toMatch(re)
    }
    await waitFor(/^ADDED\s+watched\s+1\s+/m)
    await t.k('patch', 'cm', 'watched', '-p', '{"data":{"v":"2"}}')
    await waitFor(/^MODIFIED\s+watched\s+1\s+/m)
    expect(await t.k('delete', 'cm', 'watched')).toContain('configmap "watched" deleted')
    await waitFor(/^DELETED\s+watched\s+1\s+/m)
    child.kill()
  })

  it('deletes pods and collections by label', async () => {
    await t.k('run', 'p2', '--image=busybox', '--labels=tier=front')
    expect(await t.k('delete', 'pods', '-l', 'tier=front')).toMatch(/pod "p1" deleted[\s\S]*pod "p2" deleted|pod "p2" deleted[\s\S]*pod "p1" deleted/)
    expect((await t.k('get', 'pods', '-o', 'name')).trim()).toBe('')
  })
})
