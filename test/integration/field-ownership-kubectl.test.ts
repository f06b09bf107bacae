// Field ownership (metadata.managedFields) and server-side apply with the real kubectl against
// an in-process cluster (API server, controllers, scheduler, one hollow node): the entries each
// kind of write leaves, what kubectl shows, apply conflicts / force / removal / shared
// ownership, the client-side → server-side apply upgrade, dry runs and diffs, bad manager names,
// and another bundled kubectl version run directly.
import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeManifest, type KubectlResult } from '../helpers/apiserver'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

interface Entry {
  manager: string
  operation: string
  apiVersion: string
  time: string
  fieldsType: string
  fieldsV1: Record<string, unknown>
  subresource?: string
}
type Obj = {
  metadata: { managedFields?: Entry[]; annotations?: Record<string, string>; labels?: Record<string, string> }
  spec?: any
  data?: Record<string, string>
} // eslint-disable-line @typescript-eslint/no-explicit-any -- test-only deep access

const BUNDLED = '/usr/lib/google-cloud-sdk/bin'

/** kubectl (or a bundled version, run directly) with extra environment, e.g. KUBE_EDITOR. */
function run(args: string[], o: { bin?: string; env?: Record<string, string>; input?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      o.bin ?? '/usr/bin/kubectl',
      ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, `cache-${(o.bin ?? 'kubectl').split('/').pop()}`), ...args],
      { env: { ...process.env, HOME: t.dir, ...(o.env ?? {}) }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    )
    child.stdin?.end(o.input ?? '')
  })
}

async function get(kind: string, name: string): Promise<Obj> {
  return JSON.parse(await t.k('get', kind, name, '-o', 'json', '--show-managed-fields')) as Obj
}

function entry(o: Obj, manager: string, subresource?: string): Entry | undefined {
  return o.metadata.managedFields?.find((e) => e.manager === manager && e.subresource === subresource)
}

/** A raw API request with the admin credentials: the Status bodies kubectl only summarizes. */
function api(method: string, path: string, body: string, contentType: string): Promise<{ code: number; body: Record<string, any> }> {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const s = t.cp.apiserver
  const url = new URL(path, s.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        ca: s.pki.ca.certPem,
        cert: s.admin.certPem,
        key: s.admin.keyPem,
        headers: { 'Content-Type': contentType, 'User-Agent': 'raw-test/1.0' },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: ${JSON.stringify(labels)}\ndata: ${JSON.stringify(data)}\n`

beforeAll(async () => {
  t = await startTestCluster({ nodes: 1 })
})
afterAll(async () => {
  await t?.close()
})

describe('managedFields on every write', () => {
  it('create, controllers, label, scale, edit and a status patch each leave their entry', async () => {
    await t.k('create', 'deployment', 'web', '--image=nginx:1.25', '--port=80')
    let d = await get('deploy', 'web')
    const created = entry(d, 'kubectl-create')!
    expect(created).toMatchObject({ operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' })
    expect(created.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    // Upstream's encoding: `.` for added maps and list items, `k:` items by their merge keys.
    const container = (created.fieldsV1 as any)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'] // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(container['.']).toEqual({})
    expect(container['f:image']).toEqual({})
    expect(container['f:ports']['k:{"containerPort":80,"protocol":"TCP"}']).toEqual({ '.': {}, 'f:containerPort': {}, 'f:protocol': {} })
    expect((created.fieldsV1 as any)['f:metadata']['f:labels']).toEqual({ '.': {}, 'f:app': {} }) // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(created.fieldsV1['f:status']).toBeUndefined()

    // The controller manager writes status through /status under its own name.
    d = await t.waitFor('deployment status by kube-controller-manager', async () => {
      const o = await get('deploy', 'web')
      return entry(o, 'kube-controller-manager', 'status') ? o : undefined
    })
    const status = entry(d, 'kube-controller-manager', 'status')!.fieldsV1 as Record<string, Record<string, unknown>>
    expect(status['f:status']!['f:observedGeneration']).toEqual({})
    expect(status['f:spec']).toBeUndefined()
    const pod = await t.waitFor('a pod whose status the kubelet wrote', async () => {
      const pods = JSON.parse(await t.k('get', 'pods', '-l', 'app=web', '-o', 'json', '--show-managed-fields')) as { items: Obj[] }
      return pods.items.find((p) => entry(p, 'kubelet', 'status'))
    })
    expect(entry(pod, 'kube-controller-manager')).toBeDefined() // the ReplicaSet controller created it

    await t.k('label', 'deploy', 'web', 'tier=front')
    await t.k('scale', 'deploy', 'web', '--replicas=2')
    const edit = await run(['edit', 'deploy', 'web'], { env: { KUBE_EDITOR: 'sed -i s/nginx:1.25/nginx:1.26/' } })
    expect(edit.code, edit.stderr).toBe(0)
    d = await get('deploy', 'web')
    expect(entry(d, 'kubectl-label')!.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } })
    expect(entry(d, 'kubectl', 'scale')!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } })
    const edited = entry(d, 'kubectl-edit')!
    expect(JSON.stringify(edited.fieldsV1)).toContain('f:image')
    // Fields another writer changed leave the creator's entry.
    const creator = JSON.stringify(entry(d, 'kubectl-create')!.fieldsV1)
    expect(creator).not.toContain('f:replicas')
    expect(creator).not.toContain('"f:image"')

    await t.k('create', 'service', 'clusterip', 'svc1', '--tcp=80:80')
    await t.k(
      'patch',
      'service',
      'svc1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Probe","status":"True","reason":"Test","message":"m","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}',
    )
    const svc = await get('service', 'svc1')
    expect(entry(svc, 'kubectl-patch', 'status')!.fieldsV1).toMatchObject({ 'f:status': { 'f:conditions': {} } })
    expect(entry(svc, 'kubectl-create')).toBeDefined()
  })

  it('kubectl shows managedFields only with --show-managed-fields; tables are unchanged', async () => {
    expect(await t.k('get', 'deploy', 'web', '-o', 'yaml')).not.toContain('managedFields')
    expect(await t.k('get', 'deploy', 'web', '-o', 'json')).not.toContain('managedFields')
    const shown = await t.k('get', 'deploy', 'web', '-o', 'yaml', '--show-managed-fields')
    expect(shown).toContain('managedFields:')
    expect(shown).toContain('manager: kubectl-create')
    expect(shown).toContain('fieldsType: FieldsV1')
    expect(await t.k('get', 'deploy', 'web')).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/)
  })

  it('rejects a bad field manager name with upstream message', async () => {
    const r = await t.kubectl(['create', 'configmap', 'bad', `--field-manager=${'m'.repeat(129)}`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('fieldManager: Too long: may not be more than 128 bytes')
    expect((await t.kubectl(['get', 'configmap', 'bad'])).code).not.toBe(0) // nothing stored
    const noManager = await api(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/bad',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad"}}',
      'application/apply-patch+yaml',
    )
    expect(noManager.code).toBe(422)
    expect(noManager.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    const force = await api('PATCH', '/api/v1/namespaces/default/services/svc1?force=true', '{}', 'application/merge-patch+json')
    expect(force.code).toBe(422)
    expect(force.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch')
    const ctl = await api('PATCH', '/api/v1/namespaces/default/services/svc1?fieldManager=a%01b', '{}', 'application/merge-patch+json')
    expect(ctl.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\u0001b": invalid character U+0001 (at position 1)')
  })
})

describe('server-side apply', () => {
  it('creates, removes what the applier dropped, shares equal values, conflicts and forces', async () => {
    const r1 = await t.kubectl(['apply', '--server-side', '-f', writeManifest(t.dir, 'cm1.yaml', cm('cfg', { a: '1', b: '2' }, { app: 'x' }))])
    expect(r1.stdout).toBe('configmap/cfg serverside-applied\n')
    let c = await get('configmap', 'cfg')
    expect(entry(c, 'kubectl')).toMatchObject({
      operation: 'Apply',
      fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    })

    // Another manager applies b with the same value: shared; then kubectl stops applying b and a label.
    await t.k('apply', '--server-side', '--field-manager=other', '-f', writeManifest(t.dir, 'cm-other.yaml', cm('cfg', { b: '2' })))
    await t.k('apply', '--server-side', '-f', writeManifest(t.dir, 'cm2.yaml', cm('cfg', { a: '1' })))
    c = await get('configmap', 'cfg')
    expect(c.data).toEqual({ a: '1', b: '2' }) // b stays: "other" still owns it
    expect(c.metadata.labels ?? {}).toEqual({}) // the label nobody else owned is gone
    expect(entry(c, 'kubectl')!.fieldsV1).toEqual({ 'f:data': { 'f:a': {} } })

    // A different value for a field another applier owns: 409 naming it, nothing stored.
    const conflict = await t.kubectl(['apply', '--server-side', '-f', writeManifest(t.dir, 'cm3.yaml', cm('cfg', { a: '1', b: '3' }))])
    expect(conflict.code).not.toBe(0)
    expect(conflict.stderr).toContain('error: Apply failed with 1 conflict: conflict with "other": .data.b')
    expect(conflict.stderr).toContain('--force-conflicts')
    expect((await get('configmap', 'cfg')).data!.b).toBe('2')
    const raw = await api(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/cfg?fieldManager=kubectl',
      cm('cfg', { a: '1', b: '3' }),
      'application/apply-patch+yaml',
    )
    expect(raw.code).toBe(409)
    expect(raw.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "other"', field: '.data.b' }] },
    })

    await t.k('apply', '--server-side', '--force-conflicts', '-f', writeManifest(t.dir, 'cm3.yaml', cm('cfg', { a: '1', b: '3' })))
    c = await get('configmap', 'cfg')
    expect(c.data!.b).toBe('3')
    expect(entry(c, 'kubectl')!.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } })
    expect(entry(c, 'other')).toBeUndefined() // it owned nothing else
  })

  it('conflicts with Update owners name the subresource and apiVersion', async () => {
    const m = writeManifest(
      t.dir,
      'web-ssa.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n',
    )
    const r = await t.kubectl(['apply', '--server-side', '-f', m])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(
      'Apply failed with 2 conflicts: conflicts with "kubectl" with subresource "scale" using apps/v1:\n- .spec.replicas\nconflicts with "kubectl-edit" using apps/v1:\n- .spec.template.spec.containers[name="nginx"].image',
    )
  })

  it('--dry-run=server and kubectl diff go through apply without storing anything', async () => {
    const before = await get('configmap', 'cfg')
    const m = writeManifest(t.dir, 'cm4.yaml', cm('cfg', { a: '9', b: '3' }))
    expect(await t.k('apply', '--server-side', '--dry-run=server', '-f', m)).toBe('configmap/cfg serverside-applied (server dry run)\n')
    const diff = await t.kubectl(['diff', '--server-side', '-f', m])
    expect(diff.code).toBe(1) // differences found
    expect(diff.stdout).toMatch(/-\s+a: "1"/)
    expect(diff.stdout).toMatch(/\+\s+a: "9"/)
    const diffConflict = await t.kubectl(['diff', '--server-side', '-f', writeManifest(t.dir, 'cm5.yaml', cm('cfg', { a: '1', b: '3' }))])
    expect(diffConflict.code).toBe(0)
    expect((await get('configmap', 'cfg')).metadata).toEqual(before.metadata)
    // A dry-run create answers the object with its entry but stores nothing.
    const dry = JSON.parse(
      await t.k(
        'apply',
        '--server-side',
        '--dry-run=server',
        '-o',
        'json',
        '--show-managed-fields',
        '-f',
        writeManifest(t.dir, 'cm6.yaml', cm('fresh', { k: 'v' })),
      ),
    ) as Obj
    expect(dry.metadata.managedFields?.[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply' })
    expect((await t.kubectl(['get', 'configmap', 'fresh'])).code).not.toBe(0)
  })

  it('upgrades client-side apply to server-side apply as kubectl does', async () => {
    const v1 = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgrade\ndata: {mode: one, keep: "yes"}\n'
    await t.k('apply', '-f', writeManifest(t.dir, 'up1.yaml', v1))
    let c = await get('configmap', 'upgrade')
    expect(entry(c, 'kubectl-client-side-apply')).toBeDefined()
    expect(c.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).toContain('"mode":"one"')
    // Same fields, a new value: no conflict with the client-side applier, and kubectl folds its entry.
    const v2 = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgrade\ndata: {mode: two, keep: "yes"}\n'
    const r = await t.kubectl(['apply', '--server-side', '-f', writeManifest(t.dir, 'up2.yaml', v2)])
    expect(r.code, r.stderr).toBe(0)
    c = await get('configmap', 'upgrade')
    expect(c.data).toEqual({ mode: 'two', keep: 'yes' })
    expect(entry(c, 'kubectl-client-side-apply')).toBeUndefined()
    expect(entry(c, 'kubectl')).toMatchObject({ operation: 'Apply' })
    expect(JSON.stringify(entry(c, 'kubectl')!.fieldsV1)).toContain('f:mode')
    const last = JSON.parse(c.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']!) as Obj
    expect(last.data).toEqual({ mode: 'two', keep: 'yes' })
    // From now on dropping a field removes it (kubectl owns it through apply).
    await t.k(
      'apply',
      '--server-side',
      '-f',
      writeManifest(t.dir, 'up3.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgrade\ndata: {mode: two}\n'),
    )
    expect((await get('configmap', 'upgrade')).data).toEqual({ mode: 'two' })
  })

  it('tracks custom resources through the same handlers, list-map keys from the CRD schema', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              parts:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items: {type: object, required: [name], properties: {name: {type: string}, count: {type: integer}}}
`
    await t.k('apply', '-f', writeManifest(t.dir, 'crd.yaml', crd))
    await t.waitFor('widgets served', async () => (await t.kubectl(['get', 'widgets'])).code === 0)
    const w = (size: number) =>
      writeManifest(
        t.dir,
        `w${size}.yaml`,
        `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec:\n  size: ${size}\n  parts: [{name: a, count: 1}]\n`,
      )
    await t.k('apply', '--server-side', '-f', w(1))
    const o = await get('widget', 'w1')
    expect(entry(o, 'kubectl')).toMatchObject({
      operation: 'Apply',
      apiVersion: 'example.com/v1',
      fieldsV1: { 'f:spec': { 'f:size': {}, 'f:parts': { 'k:{"name":"a"}': { '.': {}, 'f:name': {}, 'f:count': {} } } } },
    })
    await t.k('patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":2}}')
    expect(entry(await get('widget', 'w1'), 'kubectl-patch')!.fieldsV1).toEqual({ 'f:spec': { 'f:size': {} } })
    const r = await t.kubectl(['apply', '--server-side', '-f', w(3)])
    expect(r.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-patch" using example.com/v1: .spec.size')
  })

  it('works the same with kubectl 1.27, 1.31 and 1.33 run directly', async () => {
    for (const v of ['1.27', '1.31', '1.33']) {
      const bin = `${BUNDLED}/kubectl.${v}`
      const name = `v${v.replace('.', '')}`
      const m = writeManifest(t.dir, `${name}.yaml`, cm(name, { k: 'a' }))
      const created = await run(['apply', '--server-side', '-f', m], { bin })
      expect(created.stdout, created.stderr).toBe(`configmap/${name} serverside-applied\n`)
      await run(['apply', '--server-side', '--field-manager=other', '-f', writeManifest(t.dir, `${name}-o.yaml`, cm(name, { k: 'b' }))], { bin }).then((r) => {
        expect(r.code).not.toBe(0)
        expect(r.stderr).toContain(`Apply failed with 1 conflict: conflict with "kubectl": .data.k`)
      })
      const shown = await run(['get', 'configmap', name, '-o', 'yaml', '--show-managed-fields'], { bin })
      expect(shown.stdout).toContain('manager: kubectl')
      expect(shown.stdout).toContain('operation: Apply')
      expect((await run(['get', 'configmap', name, '-o', 'yaml'], { bin })).stdout).not.toContain('managedFields')
    }
  })
})
