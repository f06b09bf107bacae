// /openapi/v2 through the kubectl binaries that need it: the bundled 1.27 (which downloads it
// eagerly for validation, apply, diff and explain) and 1.33 (explain's openapiv2 output), run
// directly rather than through the dispatcher; and its JSON form checked for what client-go's
// proto model parser requires (every $ref resolves, GVK lists on definitions, PATCH
// operations with fieldValidation). One API server for the file.
import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'

const BIN = '/usr/lib/google-cloud-sdk/bin'
let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

function kubectlAt(version: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(BIN, `kubectl.${version}`),
      ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, `cache-${version}`), ...args],
      { env: { ...process.env, HOME: t.dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        })
      },
    )
  })
}

function get(path: string, headers: Record<string, string>): Promise<{ code: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(t.server.url + path, { ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const deployment = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports: [{ containerPort: 80 }]${extra}
`

describe('kubectl 1.27 (downloads /openapi/v2 as protobuf)', () => {
  it('applies, diffs and applies again (strategic merge through the v2 patch metadata)', async () => {
    const f = writeManifest(t.dir, 'd27.yaml', deployment('web27', 'nginx:1.27'))
    expect(await kubectlAt('1.27', ['apply', '-f', f])).toMatchObject({ code: 0, stdout: 'deployment.apps/web27 created\n' })
    writeManifest(t.dir, 'd27.yaml', deployment('web27', 'nginx:1.28'))
    const diff = await kubectlAt('1.27', ['diff', '-f', f])
    expect(diff.code).toBe(1) // differences found
    expect(diff.stdout).toMatch(/^-.*image: nginx:1\.27$/m)
    expect(diff.stdout).toMatch(/^\+.*image: nginx:1\.28$/m)
    expect(await kubectlAt('1.27', ['apply', '-f', f])).toMatchObject({ code: 0, stdout: 'deployment.apps/web27 configured\n' })
    const live = JSON.parse((await kubectlAt('1.27', ['get', 'deployment', 'web27', '-o', 'json'])).stdout)
    expect(live.spec.template.spec.containers).toHaveLength(1)
    expect(live.spec.template.spec.containers[0].image).toBe('nginx:1.28')
  })

  it('validates strictly on the server (the v2 PATCH operation declares fieldValidation)', async () => {
    const f = writeManifest(t.dir, 'bad27.yaml', deployment('bad27', 'nginx', '\n        colour: blue'))
    const r = await kubectlAt('1.27', ['apply', '-f', f])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('unknown field "spec.template.spec.containers[0].colour"')
  })

  it('explains a field', async () => {
    const r = await kubectlAt('1.27', ['explain', 'deployment.spec.replicas'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/replicas\s+<integer>/)
  })
})

describe('kubectl 1.33', () => {
  it('explains from v2 with --output=plaintext-openapiv2 and applies/diffs', async () => {
    const ex = await kubectlAt('1.33', ['explain', 'pods.spec.containers.ports', '--output=plaintext-openapiv2'])
    expect(ex.code).toBe(0)
    expect(ex.stdout).toMatch(/RESOURCE: ports <\[\]Object>/)
    expect(ex.stdout).toMatch(/containerPort\s+<integer> -required-/)
    const f = writeManifest(t.dir, 'd33.yaml', deployment('web33', 'nginx:1.27'))
    expect((await kubectlAt('1.33', ['apply', '-f', f])).stdout).toBe('deployment.apps/web33 created\n')
    writeManifest(t.dir, 'd33.yaml', deployment('web33', 'nginx:1.29'))
    const diff = await kubectlAt('1.33', ['diff', '-f', f])
    expect(diff.stdout).toMatch(/^\+.*image: nginx:1\.29$/m)
  })
})

describe('the document', () => {
  it('JSON: every $ref resolves, definitions carry GVK lists, PATCH operations a GVK and fieldValidation', async () => {
    const r = await get('/openapi/v2', { Accept: 'application/json' })
    expect(r.code).toBe(200)
    const doc = JSON.parse(r.body.toString())
    expect(doc.swagger).toBe('2.0')
    const refs = new Set<string>()
    JSON.stringify(doc, (k, v) => {
      if (k === '$ref') refs.add(v as string)
      return v
    })
    for (const ref of refs) {
      expect(ref.startsWith('#/definitions/')).toBe(true)
      expect(doc.definitions[ref.slice('#/definitions/'.length)], ref).toBeDefined()
    }
    expect(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }])
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' })
    expect(patch.consumes).toContain('application/strategic-merge-patch+json')
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation')
    const containers = doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name')
  })

  it('protobuf when asked, with an ETag that revalidates to 304; other types are a 406', async () => {
    const pb = await get('/openapi/v2', { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' })
    expect(pb.code).toBe(200)
    expect(pb.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf')
    expect(pb.body.subarray(0, 5)).toEqual(Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30])) // field 1: "2.0"
    const etag = String(pb.headers.etag)
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/)
    expect((await get('/openapi/v2', { Accept: 'application/json', 'If-None-Match': etag })).code).toBe(304)
    expect((await get('/openapi/v2', { Accept: 'text/html' })).code).toBe(406)
  })
})
