// RBAC escalation prevention, attacked through the real kubectl: a user who may only write RBAC
// objects must not be able to bind or write permissions it does not hold, unless it has the
// `bind` or `escalate` verb (upstream's "attempting to grant RBAC permissions not currently held").
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueClientCert } from '../../src-cluster/kit/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import { until } from '../helpers/wait'

let t: TestApiServer
let bobConfig: string
const NOT_HELD = 'user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:'

beforeAll(async () => {
  t = await startTestApiServer()
  const bob = issueClientCert(t.server.pki.ca, 'bob', ['devs'])
  bobConfig = join(t.dir, 'bob.kubeconfig')
  writeKubeconfig(bobConfig, { server: t.server.url, caPem: t.server.pki.ca.certPem, user: 'bob', certPem: bob.certPem, keyPem: bob.keyPem })
  await t.k('create', 'namespace', 'dev')
  await t.k('-n', 'dev', 'create', 'serviceaccount', 'app')
  // bob may write RBAC objects and read pods in dev: nothing else.
  await t.k(
    'create',
    'clusterrole',
    'rbac-writer',
    '--verb=get,list,create,update,patch,delete',
    '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io',
  )
  await t.k('create', 'clusterrolebinding', 'bob-rbac-writer', '--clusterrole=rbac-writer', '--user=bob')
  await t.k('-n', 'dev', 'create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods')
  await t.k('-n', 'dev', 'create', 'rolebinding', 'bob-pod-reader', '--role=pod-reader', '--user=bob')
  // The policy cache follows the store by a watch: wait until bob's grants are in effect.
  await until('bob can list pods in dev', async () => (await asBob(['auth', 'can-i', 'list', 'pods', '-n', 'dev'])).stdout.trim() === 'yes', {
    timeoutMs: 10_000,
    intervalMs: 100,
  })
})
afterAll(async () => {
  await t?.close()
})

const asBob = (args: string[]) => t.kubectl([...args, '--kubeconfig', bobConfig])

function expectRefused(r: { code: number; stderr: string }, text: string): void {
  expect(r.code).not.toBe(0)
  // kubectl apply/label print "Error from server (Forbidden)", kubectl create "error: failed to create …".
  expect(r.stderr).toMatch(/\(Forbidden\)|is forbidden/)
  expect(r.stderr).toContain(text)
}

describe('RBAC escalation prevention', () => {
  it('binding cluster-admin to oneself is refused, cluster-wide and in a namespace, also as a dry run', async () => {
    const crb = await asBob(['create', 'clusterrolebinding', 'mine', '--clusterrole=cluster-admin', '--user=bob'])
    expectRefused(crb, `clusterrolebindings.rbac.authorization.k8s.io "mine" is forbidden: ${NOT_HELD}`)
    expect(crb.stderr).toContain('{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')
    expectRefused(await asBob(['-n', 'dev', 'create', 'rolebinding', 'mine', '--clusterrole=cluster-admin', '--user=bob']), NOT_HELD)
    expectRefused(await asBob(['-n', 'dev', 'create', 'rolebinding', 'mine', '--clusterrole=cluster-admin', '--user=bob', '--dry-run=server']), NOT_HELD)
    // Impersonating bob is held to bob's permissions too.
    expectRefused(
      await t.kubectl(['create', 'clusterrolebinding', 'mine', '--clusterrole=cluster-admin', '--user=bob', '--as=bob', '--as-group=devs']),
      'is attempting to grant RBAC permissions not currently held',
    )
    expect((await t.kubectl(['get', 'clusterrolebinding', 'mine'])).code).not.toBe(0)
    expect((await asBob(['auth', 'can-i', 'delete', 'nodes'])).stdout.trim()).toBe('no')
  })

  it('a Role or ClusterRole with rules the writer lacks is refused; one within its rules is allowed and may be bound', async () => {
    const wide = writeManifest(
      t.dir,
      'wide-role.yaml',
      `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: everything, namespace: dev }
rules:
- { apiGroups: ["*"], resources: ["*"], verbs: ["*"] }
`,
    )
    expectRefused(await asBob(['apply', '-f', wide]), `roles.rbac.authorization.k8s.io "everything" is forbidden: ${NOT_HELD}`)
    const partly = await asBob(['-n', 'dev', 'create', 'role', 'pods-and-secrets', '--verb=get', '--resource=pods,secrets'])
    expectRefused(partly, '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}')
    expect(partly.stderr).not.toContain('Resources:["pods"]')
    expect((await asBob(['-n', 'dev', 'create', 'rolebinding', 'x', '--clusterrole=view', '--user=bob'])).stderr).toContain(
      '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "watch"]}',
    )
    // Within what bob holds: fine, and bob may bind it to an app's ServiceAccount.
    expect((await asBob(['-n', 'dev', 'create', 'role', 'pod-getter', '--verb=get', '--resource=pods'])).code).toBe(0)
    expect((await asBob(['-n', 'dev', 'create', 'rolebinding', 'app-pod-getter', '--role=pod-getter', '--serviceaccount=dev:app'])).code).toBe(0)
    // A role bob holds only in dev cannot be bound cluster-wide.
    expect((await asBob(['create', 'clusterrole', 'pod-getter', '--verb=get', '--resource=pods'])).code).not.toBe(0)
  })

  it('a ClusterRole labelled into view with everything, or with an aggregationRule, is refused; relabelling cluster-admin too', async () => {
    const sneaky = writeManifest(
      t.dir,
      'sneaky.yaml',
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: sneaky
  labels: { rbac.authorization.k8s.io/aggregate-to-view: "true" }
rules:
- { apiGroups: ["*"], resources: ["*"], verbs: ["*"] }
`,
    )
    expectRefused(await asBob(['apply', '-f', sneaky]), NOT_HELD)
    const gather = writeManifest(
      t.dir,
      'gather.yaml',
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: gather-all }
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: { rbac.authorization.k8s.io/aggregate-to-admin: "true" }
rules: []
`,
    )
    expectRefused(
      await asBob(['apply', '-f', gather]),
      'clusterroles.rbac.authorization.k8s.io "gather-all" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    )
    expectRefused(await asBob(['label', 'clusterrole', 'cluster-admin', 'rbac.authorization.k8s.io/aggregate-to-view=true']), NOT_HELD)
    expect(await t.k('get', 'clusterrole', 'cluster-admin', '-o', 'jsonpath={.metadata.labels}')).not.toContain('aggregate-to-view')
    // The cluster admin is not held back.
    expect((await t.kubectl(['apply', '-f', gather])).code).toBe(0)
  })

  it('the bind verb on a named role lets a user bind it; the escalate verb lets it write roles beyond its own rules', async () => {
    expectRefused(await asBob(['-n', 'dev', 'create', 'rolebinding', 'app-view', '--clusterrole=view', '--serviceaccount=dev:app']), NOT_HELD)
    await t.k('create', 'clusterrole', 'bind-view', '--verb=bind', '--resource=clusterroles.rbac.authorization.k8s.io', '--resource-name=view')
    await t.k('create', 'clusterrolebinding', 'bob-bind-view', '--clusterrole=bind-view', '--user=bob')
    await expect
      .poll(async () => (await asBob(['-n', 'dev', 'create', 'rolebinding', 'app-view', '--clusterrole=view', '--serviceaccount=dev:app'])).code, {
        timeout: 10_000,
      })
      .toBe(0)
    // bind on view is not bind on edit.
    expectRefused(await asBob(['-n', 'dev', 'create', 'rolebinding', 'app-edit', '--clusterrole=edit', '--serviceaccount=dev:app']), NOT_HELD)

    await t.k('-n', 'dev', 'create', 'role', 'escalator', '--verb=escalate', '--resource=roles.rbac.authorization.k8s.io')
    await t.k('-n', 'dev', 'create', 'rolebinding', 'bob-escalator', '--role=escalator', '--user=bob')
    await expect
      .poll(async () => (await asBob(['-n', 'dev', 'create', 'role', 'secret-reader', '--verb=get', '--resource=secrets'])).code, { timeout: 10_000 })
      .toBe(0)
    // Writing the role is not using it: bob still cannot read secrets.
    expect((await asBob(['auth', 'can-i', 'get', 'secrets', '-n', 'dev'])).stdout.trim()).toBe('no')
  })

  it('binding a role that does not exist is NotFound for a user without bind', async () => {
    const r = await asBob(['-n', 'dev', 'create', 'rolebinding', 'ghost', '--role=no-such-role', '--user=bob'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('roles.rbac.authorization.k8s.io "no-such-role" not found')
  })
})
