// CustomResourceDefinitions through the real kubectl on an in-process API server: a CRD is
// served at once (discovery, OpenAPI/explain, Tables), its objects are validated, defaulted and
// pruned by the schema, status and scale subresources work, several versions share storage,
// deleting the CRD deletes its objects, and a restarted API server serves it again.
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

const WIDGETS = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]}
  versions:
  - name: v1beta1
    served: true
    storage: false
    deprecated: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget of the example shop.
        properties:
          spec:
            type: object
            description: What the widget should be.
            required: [color]
            properties:
              color: {type: string, enum: [red, blue], description: Paint of the widget.}
              replicas: {type: integer, minimum: 0, maximum: 10, default: 1}
              size: {type: string, pattern: '^[a-z]+$', maxLength: 5, default: small}
              port: {x-kubernetes-int-or-string: true}
              tags: {type: array, maxItems: 2, items: {type: string}}
              note: {type: string, nullable: true}
              template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
`

async function json(...args: string[]): Promise<Record<string, any>> {
  // eslint-disable-line @typescript-eslint/no-explicit-any -- test-only deep access
  return JSON.parse(await t.k(...args, '-o', 'json')) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function createWidgets(): Promise<void> {
  await t.k('apply', '-f', writeManifest(t.dir, 'widgets-crd.yaml', WIDGETS))
  await t.k('wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s')
}

/** Raw HTTPS against the API server with the admin certificate. */
function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const url = new URL(path, t.server.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        ca: t.server.pki.ca.certPem,
        cert: t.server.admin.certPem,
        key: t.server.admin.keyPem,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('CustomResourceDefinitions', () => {
  it('a created CRD is Established and served: api-resources, discovery, short names', async () => {
    await createWidgets()
    const crd = await json('get', 'crd', 'widgets.example.com')
    const cond = Object.fromEntries(crd.status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, `${c.status}/${c.reason}`]))
    expect(cond).toMatchObject({ NamesAccepted: 'True/NoConflicts', Established: 'True/InitialNamesAccepted' })
    expect(crd.status.acceptedNames).toMatchObject({ plural: 'widgets', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] })
    expect(crd.status.storedVersions).toEqual(['v1'])
    expect(crd.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io'])
    const ar = await t.k('api-resources', '--api-group=example.com', '--no-headers')
    expect(ar).toMatch(/^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget/m)
    const group = JSON.parse((await raw('GET', '/apis/example.com')).text)
    expect(group.preferredVersion.version).toBe('v1')
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1'])
    const list = JSON.parse((await raw('GET', '/apis/example.com/v1')).text)
    expect(list.resources.map((r: { name: string }) => r.name)).toEqual(['widgets', 'widgets/status', 'widgets/scale'])
  })

  it('apply -f a custom resource: defaults, pruning with a warning, printer columns, -o wide, get all', async () => {
    const cr = writeManifest(
      t.dir,
      'w1.yaml',
      `apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {color: red, port: http, bogus: 1, template: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {a: b}}}
`,
    )
    const out = await t.kubectl(['apply', '--validate=warn', '-f', cr])
    expect(out.code, out.stderr).toBe(0)
    expect(out.stderr).toContain('unknown field "spec.bogus"')
    const w = await json('get', 'widget', 'w1')
    expect(w.spec).toEqual({
      color: 'red',
      port: 'http',
      replicas: 1,
      size: 'small',
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } },
    })
    expect(w.metadata.generation).toBe(1)
    const table = await t.k('get', 'wd')
    expect(table).toMatch(/^NAME\s+COLOR\s+REPLICAS\s+AGE\n/)
    expect(table).toMatch(/^w1\s+red\s+1\s+\d+s\n/m)
    expect(await t.k('get', 'all', '--no-headers')).toMatch(/^widget\.example\.com\/w1\s+red/m)
    // apply again with a change: a merge patch (no strategic merge for custom resources)
    writeManifest(
      t.dir,
      'w1.yaml',
      `apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {color: blue, port: 8080, template: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}}
`,
    )
    await t.k('apply', '-f', cr)
    const w2 = await json('get', 'widget', 'w1')
    expect(w2.spec.color).toBe('blue')
    expect(w2.spec.port).toBe(8080)
    expect(w2.metadata.generation).toBe(2)
  })

  it('explain reads the structural schema from OpenAPI v3', async () => {
    const out = await t.k('explain', 'widgets.spec')
    expect(out).toMatch(/KIND:\s+Widget/)
    expect(out).toContain('What the widget should be.')
    expect(out).toMatch(/color\s+<string> -required-/)
    expect(await t.k('explain', 'widget.spec.color')).toContain('Paint of the widget.')
    // /openapi/v2 (kubectl 1.27/1.28) carries the custom resource too.
    const v2 = JSON.parse((await raw('GET', '/openapi/v2', undefined, { Accept: 'application/json' })).text) as {
      definitions: Record<string, { 'x-kubernetes-group-version-kind'?: unknown }>
    }
    expect(v2.definitions['com.example.v1.Widget']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', kind: 'Widget', version: 'v1' }])
  })

  it('invalid objects are a 422 with upstream messages', async () => {
    const bad = writeManifest(
      t.dir,
      'bad.yaml',
      `apiVersion: example.com/v1
kind: Widget
metadata: {name: bad}
spec: {color: pink, replicas: "three", size: ABCDEFG, tags: [a, b, c], port: true, template: {metadata: {name: y}}}
`,
    )
    const r = await t.kubectl(['create', '-f', bad])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('The Widget "bad" is invalid')
    expect(r.stderr).toContain('spec.color: Unsupported value: "pink": supported values: "red", "blue"')
    expect(r.stderr).toContain('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"')
    expect(r.stderr).toContain('spec.size: Invalid value: "ABCDEFG": spec.size in body should match \'^[a-z]+$\'')
    expect(r.stderr).toContain('spec.size: Too long: may not be more than 5 bytes')
    expect(r.stderr).toContain('spec.tags: Too many: 3: must have at most 2 items')
    expect(r.stderr).toContain('spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"')
    expect(r.stderr).toContain('spec.template.apiVersion: Required value')
    const missing = await t.kubectl(['create', '-f', '-'], {
      input: '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"m"},"spec":{"replicas":11}}',
    })
    expect(missing.stderr).toContain('spec.color: Required value')
    expect(missing.stderr).toContain('spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10')
    const strict = await t.kubectl(['create', '--validate=strict', '-f', '-'], {
      input: '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"s"},"spec":{"color":"red","nope":1}}',
    })
    expect(strict.stderr).toContain('unknown field "spec.nope"')
    expect((await t.kubectl(['get', 'widget', 's'])).code).not.toBe(0)
  })

  it('scale subresource: kubectl scale; status subresource: main writes ignore status', async () => {
    await t.k('scale', 'widget/w1', '--replicas=3')
    expect((await json('get', 'widget', 'w1')).spec.replicas).toBe(3)
    await t.k('patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":3,"selector":"app=w1"}}')
    await t.k('patch', 'widget', 'w1', '--type=merge', '-p', '{"status":{"replicas":99}}')
    const w = await json('get', 'widget', 'w1')
    expect(w.status).toEqual({ replicas: 3, selector: 'app=w1' })
    const scale = JSON.parse((await raw('GET', '/apis/example.com/v1/namespaces/default/widgets/w1/scale')).text)
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=w1' } })
    const smp = await raw('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1', '{"spec":{"color":"red"}}', {
      'Content-Type': 'application/strategic-merge-patch+json',
    })
    expect(smp.status).toBe(415)
  })

  it('two versions with None conversion share storage; the deprecated one warns', async () => {
    const r = await t.kubectl(['get', 'widgets.v1beta1.example.com', 'w1', '-o', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).apiVersion).toBe('example.com/v1beta1')
    expect(r.stderr).toContain('example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget')
    const stored = await t.server.store.get('/registry/example.com/widgets/default/w1')
    expect(JSON.parse(stored!.value).apiVersion).toBe('example.com/v1')
    // A version no longer served is gone from discovery and routing.
    await t.k('patch', 'crd', 'widgets.example.com', '--type=json', '-p', '[{"op":"replace","path":"/spec/versions/0/served","value":false}]')
    await t.server.crds.idle()
    expect((await raw('GET', '/apis/example.com/v1beta1/namespaces/default/widgets')).status).toBe(404)
    expect(JSON.parse((await raw('GET', '/apis/example.com')).text).versions.map((v: { version: string }) => v.version)).toEqual(['v1'])
    expect((await t.kubectl(['get', 'widgets', '-l', 'app!=x', '-o', 'name'])).stdout).toBe('widget.example.com/w1\n')
    expect((await t.kubectl(['get', 'widgets', '-l', 'app=x', '-o', 'name'])).stdout).toBe('')
  })

  it('server-side apply, describe, -A and RBAC work on custom resources', async () => {
    const w3 = writeManifest(
      t.dir,
      'w3.yaml',
      `apiVersion: example.com/v1
kind: Widget
metadata: {name: w3, namespace: kube-public}
spec: {color: blue, replicas: 2}
`,
    )
    const ssa = await t.kubectl(['apply', '--server-side', '-f', w3])
    expect(ssa.code, ssa.stderr).toBe(0)
    expect(ssa.stdout).toContain('widget.example.com/w3 serverside-applied')
    expect(await t.k('get', 'widgets', '-A', '--no-headers')).toMatch(/^kube-public\s+w3\s+blue\s+2\s+/m)
    expect(await t.k('describe', 'widget', 'w3', '-n', 'kube-public')).toMatch(/Kind:\s+Widget/)
    const asUser = ['--as=jane', '-n', 'kube-public']
    expect((await t.kubectl(['auth', 'can-i', 'list', 'widgets.example.com', ...asUser])).stdout.trim()).toBe('no')
    const denied = await t.kubectl(['get', 'widgets', ...asUser])
    expect(denied.stderr).toContain(
      'widgets.example.com is forbidden: User "jane" cannot list resource "widgets" in API group "example.com" in the namespace "kube-public"',
    )
    await t.k('create', 'role', 'widget-reader', '--verb=get,list', '--resource=widgets.example.com', '-n', 'kube-public')
    await t.k('create', 'rolebinding', 'jane-widgets', '--role=widget-reader', '--user=jane', '-n', 'kube-public')
    expect(await t.k('get', 'widgets', '-o', 'name', ...asUser)).toBe('widget.example.com/w3\n')
  })

  it('watch streams events of custom resources; field selectors on metadata.name', async () => {
    const res = await raw('GET', '/apis/example.com/v1/namespaces/default/widgets?fieldSelector=metadata.name%3Dw1')
    expect(JSON.parse(res.text).items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['w1'])
    const rv = JSON.parse(res.text).metadata.resourceVersion as string
    await t.k('label', 'widget', 'w1', 'watched=yes')
    const ev = await raw('GET', `/apis/example.com/v1/namespaces/default/widgets?watch=true&resourceVersion=${rv}&timeoutSeconds=1`)
    const events = ev.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { labels?: Record<string, string> } } })
    expect(events.some((e) => e.type === 'MODIFIED' && e.object.metadata.labels?.watched === 'yes')).toBe(true)
  })

  it('non-structural schemas and bad names are a 422 that says why; clashing names are not accepted', async () => {
    const bad = WIDGETS.replace('name: widgets.example.com', 'name: gadgets.example.com')
      .replace(/plural: widgets, singular: widget, kind: Widget, shortNames: \[wd\], categories: \[all\]/, 'plural: gadgets, kind: Gadget')
      .replace('replicas: {type: integer, minimum: 0, maximum: 10, default: 1}', 'replicas: {minimum: 0}')
    const r = await t.kubectl(['create', '-f', '-'], { input: bad })
    expect(r.stderr).toContain('The CustomResourceDefinition "gadgets.example.com" is invalid')
    expect(r.stderr).toContain(
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[replicas].type: Required value: must not be empty for specified object fields',
    )
    const wrongName = await t.kubectl(['create', '-f', '-'], { input: WIDGETS.replace('name: widgets.example.com', 'name: things.example.com') })
    expect(wrongName.stderr).toContain('metadata.name: Invalid value: "things.example.com": must be spec.names.plural+"."+spec.group')
    const apps = await t.kubectl(['create', '-f', '-'], {
      input: WIDGETS.replace('name: widgets.example.com', 'name: widgets.apps').replace('group: example.com', 'group: apps'),
    })
    expect(apps.stderr).toContain('spec.group: Invalid value: "apps": should be a domain with at least one dot')
    // Same kind in the group as an accepted CRD: created, but NamesAccepted=False and not served.
    const clash = WIDGETS.replace('name: widgets.example.com', 'name: widgets2.example.com')
      .replace('plural: widgets, singular: widget,', 'plural: widgets2, singular: widget2,')
      .replace('shortNames: [wd]', 'shortNames: [wd2]')
    await t.kubectl(['create', '-f', '-'], { input: clash })
    await t.server.crds.idle()
    const c = await json('get', 'crd', 'widgets2.example.com')
    const names = c.status.conditions.find((x: { type: string }) => x.type === 'NamesAccepted')
    expect(names).toMatchObject({ status: 'False', reason: 'KindConflict', message: '"Widget" is already in use' })
    expect((await raw('GET', '/apis/example.com/v1/widgets2')).status).toBe(404)
    await t.k('delete', 'crd', 'widgets2.example.com')
  })
})

describe('lifecycle', () => {
  it('a restarted API server serves stored CRDs at once', async () => {
    const dataDir = `${t.dir}/data`
    await t.server.close()
    const { startApiServer } = await import('../../src-cluster/apiserver/server')
    const again = await startApiServer({ dataDir, securePort: t.server.port, adminKubeconfig: t.kubeconfig, log: () => {} })
    ;(t as { server: typeof again }).server = again
    expect(await t.k('get', 'widget', 'w1', '-o', 'jsonpath={.spec.color}')).toBe('blue')
  })

  it('a CRD held by another finalizer is Terminating: its objects are gone and creates are refused', async () => {
    const crd = WIDGETS.replace('name: widgets.example.com', 'name: gizmos.example.com\n  finalizers: [example.com/hold]').replace(
      'plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]',
      'plural: gizmos, kind: Gizmo',
    )
    const made = await t.kubectl(['create', '-f', '-'], { input: crd })
    expect(made.code, made.stderr).toBe(0)
    await t.k('wait', '--for=condition=Established', 'crd/gizmos.example.com', '--timeout=20s')
    const gizmo = (name: string): string => JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name }, spec: { color: 'red' } })
    expect((await t.kubectl(['create', '-f', '-'], { input: gizmo('g1') })).code).toBe(0)
    await t.k('delete', 'crd', 'gizmos.example.com', '--wait=false')
    await t.k('wait', '--for=condition=Terminating=False', 'crd/gizmos.example.com', '--timeout=20s')
    const c = await json('get', 'crd', 'gizmos.example.com')
    expect(c.status.conditions.find((x: { type: string }) => x.type === 'Terminating')).toMatchObject({
      reason: 'InstanceDeletionCompleted',
      message: 'removed all instances',
    })
    expect(c.metadata.finalizers).toEqual(['example.com/hold'])
    expect(await t.server.store.get('/registry/example.com/gizmos/default/g1')).toBeUndefined()
    const refused = await t.kubectl(['create', '-f', '-'], { input: gizmo('g2') })
    expect(refused.stderr).toContain('create not allowed while custom resource definition is terminating')
    const list = JSON.parse((await raw('GET', '/apis/example.com/v1')).text) as { resources: { name: string; verbs: string[] }[] }
    expect(list.resources.find((r) => r.name === 'gizmos')?.verbs).toEqual(['delete', 'deletecollection', 'get', 'list', 'watch'])
    await t.k('patch', 'crd', 'gizmos.example.com', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]')
    await t.server.crds.idle()
    expect((await t.kubectl(['get', 'crd', 'gizmos.example.com'])).code).not.toBe(0)
  })

  it("deleting a CRD waits for its objects' own finalizers", async () => {
    const crd = WIDGETS.replace('name: widgets.example.com', 'name: holders.example.com').replace(
      'plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]',
      'plural: holders, kind: Holder',
    )
    expect((await t.kubectl(['create', '-f', '-'], { input: crd })).code).toBe(0)
    await t.k('wait', '--for=condition=Established', 'crd/holders.example.com', '--timeout=20s')
    const holder = (name: string, finalizers: string[]) =>
      JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Holder', metadata: { name, finalizers }, spec: { color: 'red' } })
    expect((await t.kubectl(['create', '-f', '-'], { input: holder('held', ['example.com/keep']) })).code).toBe(0)
    expect((await t.kubectl(['create', '-f', '-'], { input: holder('free', []) })).code).toBe(0)
    await t.k('delete', 'crd', 'holders.example.com', '--wait=false')
    await t.k('wait', '--for=delete', 'holder/free', '--timeout=20s')
    // The held object is deleting, not deleted; the CRD waits for it.
    await t.k('wait', '--for=jsonpath={.metadata.deletionTimestamp}', 'holder/held', '--timeout=20s')
    expect(await t.k('get', 'crd', 'holders.example.com', '-o', 'name')).toBe('customresourcedefinition.apiextensions.k8s.io/holders.example.com\n')
    // Its finalizer's owner can still remove the finalizer (update and patch stay open).
    await t.k('patch', 'holder', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}')
    await t.k('wait', '--for=delete', 'crd/holders.example.com', '--timeout=20s')
    expect(await t.server.store.get('/registry/example.com/holders/default/held')).toBeUndefined()
  })

  it('deleting the CRD deletes its objects and stops serving it', async () => {
    await t.k('delete', 'crd', 'widgets.example.com', '--timeout=20s')
    expect(await t.server.store.get('/registry/example.com/widgets/default/w1')).toBeUndefined()
    expect((await raw('GET', '/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404)
    const groups = JSON.parse((await raw('GET', '/apis')).text)
    expect(groups.groups.map((g: { name: string }) => g.name)).not.toContain('example.com')
  })
})
