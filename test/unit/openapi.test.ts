import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildOpenapiV3Document, openapiV3Document, openapiV3Index } from '../../src-cluster/api/openapi/v3'
import { listStructFor } from '../../src-cluster/api/schema/lists'
import { RESOURCES, type ResourceInfo } from '../../src-cluster/api/resources'
import { FakeApiServer, hasKubectl } from './fixtures/fake-apiserver'
import { WIDGET, fixtureForKind, fixtureLookup } from './fixtures/structs'
import { tempDir } from '../helpers/temp-dir'

type J = Record<string, any> // test-only: walking generated JSON

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out))
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x)
      else refsIn(x, out)
    }
  }
  return out
}

describe('listStructFor', () => {
  it('builds <Kind>List with ListMeta and items of the kind', () => {
    const l = listStructFor(WIDGET)
    expect(l.name).toBe('test.WidgetList')
    expect(l.gvk).toEqual({ group: 'example.com', version: 'v1', kind: 'WidgetList' })
    expect(l.fields.items.type).toEqual({ t: 'list', of: { t: 'ref', name: 'test.Widget' } })
    expect(l.fields.metadata.type).toEqual({ t: 'ref', name: 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' })
  })
})

describe('buildOpenapiV3Document with fixture structs', () => {
  const res: ResourceInfo = {
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    schema: 'test.Widget',
    subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  }
  const lookup = (name: string) =>
    name === 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' ? { name, doc: 'List metadata.', fields: {} } : fixtureLookup(name)
  const doc = buildOpenapiV3Document('example.com', 'v1', [res], lookup, fixtureForKind) as J

  it('has collection, item, status and all-namespaces paths with the verbs as operations', () => {
    const coll = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets']
    expect(Object.keys(coll).sort()).toEqual(['delete', 'get', 'parameters', 'post'])
    const item = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'parameters', 'patch', 'put'])
    expect(doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status'].patch).toBeDefined()
    expect(doc.paths['/apis/example.com/v1/widgets'].get['x-kubernetes-action']).toBe('list')
  })

  it('PATCH declares the GVK, fieldValidation and every patch content type (what kubectl checks)', () => {
    const patch = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'example.com', version: 'v1', kind: 'Widget' })
    expect(patch.parameters.map((p: J) => p.name)).toEqual(expect.arrayContaining(['dryRun', 'fieldManager', 'fieldValidation', 'force']))
    expect(Object.keys(patch.requestBody.content).sort()).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ])
  })

  it('describes fields with types, formats, refs, defaults and patch extensions', () => {
    const s = doc.components.schemas
    expect(s['test.Widget']['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', kind: 'Widget', version: 'v1' }])
    expect(s['test.WidgetList']['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', kind: 'WidgetList', version: 'v1' }])
    const spec = s['test.WidgetSpec']
    expect(spec.required).toEqual(['containers'])
    expect(spec.properties.replicas).toMatchObject({ type: 'integer', format: 'int32', description: 'Replicas.' })
    expect(spec.properties.big).toMatchObject({ type: 'integer', format: 'int64' })
    expect(spec.properties.blob).toMatchObject({ type: 'string', format: 'byte' })
    expect(spec.properties.mode).toMatchObject({ type: 'string', enum: ['Fast', 'Slow'], default: 'Slow' })
    expect(spec.properties.containers).toMatchObject({
      type: 'array',
      items: { allOf: [{ $ref: '#/components/schemas/test.Container' }] },
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    })
    expect(spec.properties.maxSurge.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString')
    expect(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ format: 'int-or-string', 'x-kubernetes-int-or-string': true })
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime']).toMatchObject({ type: 'string', format: 'date-time' })
    expect(s['io.k8s.apimachinery.pkg.runtime.RawExtension']['x-kubernetes-preserve-unknown-fields']).toBe(true)
    expect(s['test.Resources'].properties.limits.additionalProperties.allOf[0].$ref).toContain('resource.Quantity')
  })

  it('every $ref points at a component of the same document', () => {
    for (const r of refsIn(doc)) expect(doc.components.schemas[r.replace('#/components/schemas/', '')], r).toBeDefined()
  })
})

describe('served documents (real schema)', () => {
  const index = openapiV3Index()

  it('indexes every group-version of RESOURCES plus autoscaling/v1, with content hashes', () => {
    const keys = Object.keys(index.paths)
    for (const r of RESOURCES) expect(keys).toContain(r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`)
    expect(keys).toContain('apis/autoscaling/v1')
    for (const [key, entry] of Object.entries(index.paths)) {
      const doc = openapiV3Document(key)!
      expect(entry.serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${doc.hash}`)
      expect(doc.hash).toMatch(/^[0-9A-F]{128}$/)
    }
    expect(openapiV3Document('apis/nope/v1')).toBeUndefined()
  })

  it('documents are self-contained and carry the kinds, lists and Scale', () => {
    for (const key of Object.keys(index.paths)) {
      const doc = JSON.parse(openapiV3Document(key)!.json) as J
      expect(doc.openapi).toBe('3.0.0')
      for (const r of refsIn(doc)) expect(doc.components.schemas[r.replace('#/components/schemas/', '')], `${key}: ${r}`).toBeDefined()
    }
    const apps = JSON.parse(openapiV3Document('apis/apps/v1')!.json) as J
    expect(apps.components.schemas['io.k8s.api.apps.v1.DeploymentList']).toBeDefined()
    expect(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    })
    const core = JSON.parse(openapiV3Document('api/v1')!.json) as J
    const containers = core.components.schemas['io.k8s.api.core.v1.PodSpec'].properties.containers
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name')
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge')
  })
})

describe.skipIf(!hasKubectl)('kubectl explain reads our OpenAPI v3', () => {
  let server: FakeApiServer
  beforeAll(async () => {
    server = new FakeApiServer({
      openapi: { index: openapiV3Index, document: (key) => openapiV3Document(key)?.json },
      answer: (req) => JSON.parse(req.body.toString('utf8')),
    })
    await server.start()
  })
  afterAll(() => server.stop())

  it('explain pods.spec.containers prints our descriptions and fields', async () => {
    const r = await server.kubectl(['explain', 'pods.spec.containers'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const core = JSON.parse(openapiV3Document('api/v1')!.json) as J
    const doc = core.components.schemas['io.k8s.api.core.v1.PodSpec'].properties.containers.description as string
    expect(r.stdout).toContain('KIND:       Pod')
    expect(r.stdout).toContain('FIELD: containers <[]Container>')
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(doc.split(' ').slice(0, 5).join(' '))
    expect(r.stdout).toMatch(/image\s+<string>/)
  })

  it('explain deployments --recursive lists nested fields', async () => {
    const r = await server.kubectl(['explain', 'deployments', '--recursive'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('GROUP:      apps')
    expect(r.stdout).toMatch(/strategy\s+<DeploymentStrategy>/)
    expect(r.stdout).toMatch(/limits\s+<map\[string\]Quantity>/)
    expect(r.stdout).toMatch(/maxSurge\s+<IntOrString>/)
    expect(r.stdout).toMatch(/containers\s+<\[\]Container> -required-/)
  })

  it('kubectl apply finds fieldValidation in our PATCH operations and asks for strict validation', async () => {
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const file = join(tempDir('apply-'), 'cm.yaml')
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  a: b\n')
    const r = await server.kubectl(['apply', '-f', file])
    expect(r.stderr).toBe('')
    const post = server.captured.find((c) => c.method === 'POST' && c.url.includes('/configmaps'))
    expect(post?.url).toContain('fieldValidation=Strict')
  })

  it('explain deploy.spec.strategy follows refs into the strategy struct', async () => {
    const r = await server.kubectl(['explain', 'deploy.spec.strategy'])
    expect(r.stderr).toBe('')
    const apps = JSON.parse(openapiV3Document('apis/apps/v1')!.json) as J
    const typeDoc = apps.components.schemas['io.k8s.api.apps.v1.DeploymentStrategy'].properties.type.description as string
    expect(r.stdout).toContain('FIELD: strategy <DeploymentStrategy>')
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(typeDoc.split(' ').slice(0, 4).join(' '))
    expect(r.stdout).toMatch(/rollingUpdate\s+<RollingUpdateDeployment>/)
  })
})
