// RBAC enforced, through the real kubectl: what a learner does in an RBAC lab (a ServiceAccount
// with a Role, `kubectl auth can-i --as`, Forbidden errors), the bootstrap roles, aggregation,
// impersonation rights, and access reviews.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueClientCert } from '../../src-cluster/kit/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer
let bobConfig: string

beforeAll(async () => {
  t = await startTestApiServer()
  const bob = issueClientCert(t.server.pki.ca, 'bob', ['devs'])
  bobConfig = join(t.dir, 'bob.kubeconfig')
  writeKubeconfig(bobConfig, { server: t.server.url, caPem: t.server.pki.ca.certPem, user: 'bob', certPem: bob.certPem, keyPem: bob.keyPem })
  await t.k('create', 'namespace', 'dev')
  await t.k('-n', 'dev', 'create', 'serviceaccount', 'viewer')
})
afterAll(async () => {
  await t?.close()
})

const SA = 'system:serviceaccount:dev:viewer'
const asBob = (args: string[]) => t.kubectl([...args, '--kubeconfig', bobConfig])

describe('RBAC through kubectl', () => {
  it('starts with upstream-named roles and bindings', async () => {
    const roles = await t.k('get', 'clusterroles', '-o', 'name')
    for (const r of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:node', 'system:kube-scheduler'])
      expect(roles).toContain(`clusterrole.rbac.authorization.k8s.io/${r}\n`)
    expect(await t.k('get', 'clusterrolebinding', 'cluster-admin', '-o', 'jsonpath={.subjects[0].name}')).toBe('system:masters')
  })

  it('a ServiceAccount without bindings may do nothing: bare "no" and a Forbidden error', async () => {
    const r = await t.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'dev', `--as=${SA}`])
    expect(r.code).toBe(1)
    expect(r.stdout.trim()).toBe('no')
    const g = await t.kubectl(['get', 'pods', '-n', 'dev', `--as=${SA}`])
    expect(g.code).not.toBe(0)
    expect(g.stderr).toContain(
      `Error from server (Forbidden): pods is forbidden: User "${SA}" cannot list resource "pods" in API group "" in the namespace "dev"`,
    )
  })

  it('a Role and RoleBinding grant exactly their verbs, in their namespace, and removing the binding takes them back', async () => {
    await t.k('-n', 'dev', 'create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods')
    await t.k('-n', 'dev', 'create', 'rolebinding', 'viewer-reads', '--role=pod-reader', '--serviceaccount=dev:viewer')
    expect((await t.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'dev', `--as=${SA}`])).stdout.trim()).toBe('yes')
    expect((await t.kubectl(['auth', 'can-i', 'delete', 'pods', '-n', 'dev', `--as=${SA}`])).stdout.trim()).toBe('no')
    expect((await t.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'default', `--as=${SA}`])).stdout.trim()).toBe('no')
    expect((await t.kubectl(['get', 'pods', '-n', 'dev', `--as=${SA}`])).code).toBe(0)
    const del = await t.kubectl(['delete', 'pod', 'web', '-n', 'dev', `--as=${SA}`])
    expect(del.stderr).toContain(`pods "web" is forbidden: User "${SA}" cannot delete resource "pods"`)
    const list = await t.k('auth', 'can-i', '--list', '-n', 'dev', `--as=${SA}`)
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m)
    await t.k('-n', 'dev', 'delete', 'rolebinding', 'viewer-reads')
    await expect.poll(async () => (await t.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'dev', `--as=${SA}`])).stdout.trim(), { timeout: 10_000 }).toBe('no')
  })

  it('edit ⊇ view through aggregation, and a learner-made aggregated ClusterRole gathers labelled roles', async () => {
    await t.k('-n', 'dev', 'create', 'rolebinding', 'viewer-edits', '--clusterrole=edit', '--serviceaccount=dev:viewer')
    expect((await t.kubectl(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'dev', `--as=${SA}`])).stdout.trim()).toBe('yes')
    expect((await t.kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', 'dev', `--as=${SA}`])).stdout.trim()).toBe('yes')
    expect((await t.kubectl(['auth', 'can-i', 'create', 'roles', '-n', 'dev', `--as=${SA}`])).stdout.trim()).toBe('no')
    const file = writeManifest(
      t.dir,
      'agg.yaml',
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: monitoring }
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: { example.com/aggregate-to-monitoring: "true" }
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-nodes
  labels: { example.com/aggregate-to-monitoring: "true" }
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list]
`,
    )
    await t.k('apply', '-f', file)
    await t.k('create', 'clusterrolebinding', 'bob-monitoring', '--clusterrole=monitoring', '--user=bob')
    await expect.poll(async () => (await asBob(['get', 'nodes'])).code, { timeout: 10_000 }).toBe(0)
    expect((await asBob(['auth', 'can-i', 'delete', 'nodes'])).stdout.trim()).toBe('no')
  })

  it('impersonation needs the impersonate verb; an admin has it', async () => {
    const r = await asBob(['get', 'pods', '-n', 'dev', `--as=${SA}`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(
      `serviceaccounts "viewer" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev"`,
    )
    expect(await t.k('auth', 'whoami', '--as=alice', '--as-group=qa', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}')).toBe(
      'alice ["qa","system:authenticated"]',
    )
  })

  // `create --raw`: kubectl's schema check of a kind without PATCH falls back to /openapi/v2,
  // which KubeLab does not serve (only v3).
  it('answers SubjectAccessReviews for another user', async () => {
    const review = (spec: object) => JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec })
    const file = writeManifest(t.dir, 'sar.json', review({ user: 'bob', groups: ['devs'], resourceAttributes: { verb: 'list', resource: 'nodes' } }))
    const sar = '/apis/authorization.k8s.io/v1/subjectaccessreviews'
    expect(JSON.parse(await t.k('create', '--raw', sar, '-f', file)).status.allowed).toBe(true)
    const denied = writeManifest(t.dir, 'sar2.json', review({ user: 'carol', resourceAttributes: { verb: 'list', resource: 'nodes' } }))
    expect(JSON.parse(await t.k('create', '--raw', sar, '-f', denied)).status.allowed).toBe(false)
  })

  it('every authenticated user may discover the API and check itself', async () => {
    expect((await asBob(['version', '-o', 'json'])).code).toBe(0)
    expect((await asBob(['api-resources', '-o', 'name'])).stdout).toContain('pods')
    expect((await asBob(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe('bob')
  })
})
