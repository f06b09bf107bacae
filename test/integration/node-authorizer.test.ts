// The Node authorizer and NodeRestriction admission, attacked with a kubelet's own credentials
// (a client certificate for system:node:node-1 in system:nodes) through the real kubectl and raw
// HTTPS: a node reads only what its pods use and writes only its own Node, Lease and pods.
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueClientCert, type KeyPair } from '../../src-cluster/kit/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startTestApiServer, writeManifest, type KubectlResult, type TestApiServer } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

let t: TestApiServer
let node1: KeyPair
let node1Config: string
let p1Uid: string
const USER = 'User "system:node:node-1"'
const NO_RELATION = "no relationship found between node 'node-1' and this object"

const asNode = (args: string[], input?: string): Promise<KubectlResult> =>
  t.kubectl([...args, '--kubeconfig', node1Config], input === undefined ? {} : { input })

function expectForbidden(r: KubectlResult, text: string): void {
  expect(r.code, r.stdout).not.toBe(0)
  expect(r.stderr).toMatch(/\(Forbidden\)|is forbidden/)
  expect(r.stderr).toContain(text)
}

function callAsNode(method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  const u = new URL(t.server.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ca: t.server.pki.ca.certPem,
        cert: node1.certPem,
        key: node1.keyPem,
        headers: body ? { 'content-type': contentType } : {},
      },
      (res) => {
        let b = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (b += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const MERGE = 'application/merge-patch+json'

/** The graph follows the store by a watch: wait until the node's view settles. */
const eventually = (check: () => Promise<boolean>) => poll("the node authorizer's view", check, { timeoutMs: 10_000, intervalMs: 100 })

beforeAll(async () => {
  t = await startTestApiServer()
  node1 = issueClientCert(t.server.pki.ca, 'system:node:node-1', ['system:nodes'])
  node1Config = join(t.dir, 'node-1.kubeconfig')
  writeKubeconfig(node1Config, {
    server: t.server.url,
    caPem: t.server.pki.ca.certPem,
    user: 'system:node:node-1',
    certPem: node1.certPem,
    keyPem: node1.keyPem,
  })
  const setup = writeManifest(
    t.dir,
    'setup.yaml',
    `apiVersion: v1
kind: Namespace
metadata: { name: app }
---
apiVersion: v1
kind: Node
metadata: { name: node-2 }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-1 }
spec: { capacity: { storage: 1Gi }, accessModes: [ReadWriteOnce], hostPath: { path: /tmp/pv-1 } }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-2 }
spec: { capacity: { storage: 1Gi }, accessModes: [ReadWriteOnce], hostPath: { path: /tmp/pv-2 } }
`,
  )
  await t.k('apply', '-f', setup)
  const objects = writeManifest(
    t.dir,
    'objects.yaml',
    `apiVersion: v1
kind: ServiceAccount
metadata: { name: app-sa, namespace: app }
---
apiVersion: v1
kind: Secret
metadata: { name: s1, namespace: app }
stringData: { k: mine }
---
apiVersion: v1
kind: Secret
metadata: { name: s2, namespace: app }
stringData: { k: theirs }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: c1, namespace: app }
data: { k: mine }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: c2, namespace: app }
data: { k: theirs }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: claim1, namespace: app }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } }, volumeName: pv-1, storageClassName: "" }
---
apiVersion: v1
kind: Pod
metadata: { name: p1, namespace: app, labels: { app: p1 } }
spec:
  nodeName: node-1
  serviceAccountName: app-sa
  containers:
  - { name: c, image: busybox, envFrom: [{ configMapRef: { name: c1 } }] }
  volumes:
  - { name: s, secret: { secretName: s1 } }
  - { name: d, persistentVolumeClaim: { claimName: claim1 } }
---
apiVersion: v1
kind: Pod
metadata: { name: p2, namespace: app }
spec:
  nodeName: node-2
  containers:
  - { name: c, image: busybox, env: [{ name: X, valueFrom: { configMapKeyRef: { name: c2, key: k } } }] }
  volumes:
  - { name: s, secret: { secretName: s2 } }
`,
  )
  await t.k('apply', '-f', objects)
  p1Uid = (await t.k('-n', 'app', 'get', 'pod', 'p1', '-o', 'jsonpath={.metadata.uid}')).trim()
  await eventually(async () => (await asNode(['-n', 'app', 'get', 'secret', 's1'])).code === 0)
})
afterAll(async () => {
  await t?.close()
})

describe('Node authorizer: a node reads what its own pods use', () => {
  it("reads its pods' Secret, ConfigMap, claim and volume; not another node's, and cannot list them", async () => {
    expect((await asNode(['-n', 'app', 'get', 'secret', 's1', '-o', 'jsonpath={.data.k}'])).stdout).toBe(Buffer.from('mine').toString('base64'))
    expectForbidden(
      await asNode(['-n', 'app', 'get', 'secret', 's2']),
      `secrets "s2" is forbidden: ${USER} cannot get resource "secrets" in API group "" in the namespace "app": ${NO_RELATION}`,
    )
    expectForbidden(
      await asNode(['-n', 'app', 'get', 'secrets']),
      `secrets is forbidden: ${USER} cannot list resource "secrets" in API group "" in the namespace "app": No Object name found`,
    )
    expectForbidden(await asNode(['get', 'secrets', '-A']), 'cannot list resource "secrets" in API group "" at the cluster scope')
    expect((await asNode(['-n', 'app', 'get', 'configmap', 'c1'])).code).toBe(0)
    expectForbidden(await asNode(['-n', 'app', 'get', 'configmap', 'c2']), NO_RELATION)
    expect((await asNode(['-n', 'app', 'get', 'pvc', 'claim1'])).code).toBe(0)
    expect((await asNode(['get', 'pv', 'pv-1'])).code).toBe(0)
    expectForbidden(await asNode(['get', 'pv', 'pv-2']), NO_RELATION)
    // A single watch by name, as kubelets' ConfigMap managers use, counts as that object.
    expect((await callAsNode('GET', '/api/v1/namespaces/app/configmaps?fieldSelector=metadata.name%3Dc1')).status).toBe(200)
    const raw = await callAsNode('GET', '/api/v1/namespaces/app/secrets/s2')
    expect(raw.status).toBe(403)
    expect(JSON.parse(raw.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 })
  })

  it('lists pods only for its own node, and reads only pods bound to it', async () => {
    expectForbidden(await asNode(['get', 'pods', '-A']), 'can only list/watch pods with spec.nodeName field selector')
    const mine = await asNode(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-1', '-o', 'name'])
    expect(mine.stdout.trim()).toBe('pod/p1')
    expectForbidden(
      await asNode(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-2']),
      'can only list/watch pods with spec.nodeName field selector',
    )
    expect((await asNode(['-n', 'app', 'get', 'pod', 'p1'])).code).toBe(0)
    // A single pod by name through list/watch counts as that pod.
    expect((await callAsNode('GET', '/api/v1/namespaces/app/pods?fieldSelector=metadata.name%3Dp1')).status).toBe(200)
    const other = await callAsNode('GET', '/api/v1/namespaces/app/pods?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dp2')
    expect([other.status, JSON.parse(other.body).message]).toEqual([
      403,
      `pods "p2" is forbidden: ${USER} cannot watch resource "pods" in API group "" in the namespace "app": ${NO_RELATION}`,
    ])
    expectForbidden(await asNode(['-n', 'app', 'get', 'pod', 'p2']), NO_RELATION)
  })

  it("mints tokens only for its pods' ServiceAccounts, bound to a pod of its own", async () => {
    const ok = await asNode(['-n', 'app', 'create', 'token', 'app-sa', '--bound-object-kind', 'Pod', '--bound-object-name', 'p1', '--bound-object-uid', p1Uid])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.split('.')).toHaveLength(3)
    expectForbidden(await asNode(['-n', 'app', 'create', 'token', 'app-sa']), 'serviceaccounts "app-sa" is forbidden: node requested token not bound to a pod')
    expectForbidden(await asNode(['-n', 'app', 'create', 'token', 'default']), NO_RELATION)
    expectForbidden(await asNode(['-n', 'kube-system', 'create', 'token', 'default']), NO_RELATION)
  })

  it('loses access when its pod goes', async () => {
    await t.k('-n', 'app', 'create', 'secret', 'generic', 's3', '--from-literal=k=v')
    const pod = writeManifest(
      t.dir,
      'p3.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p3, namespace: app }\nspec: { nodeName: node-1, containers: [{ name: c, image: busybox }], volumes: [{ name: s, secret: { secretName: s3 } }] }\n',
    )
    await t.k('apply', '-f', pod)
    await eventually(async () => (await asNode(['-n', 'app', 'get', 'secret', 's3'])).code === 0)
    await t.k('-n', 'app', 'delete', 'pod', 'p3', '--grace-period=0', '--force')
    await eventually(async () => (await asNode(['-n', 'app', 'get', 'secret', 's3'])).code !== 0)
    expectForbidden(await asNode(['-n', 'app', 'get', 'secret', 's3']), NO_RELATION)
  })
})

describe('NodeRestriction: a node writes only its own Node, Lease and pods', () => {
  it('registers and labels itself, but not with restricted labels, taints or other nodes', async () => {
    const self = writeManifest(
      t.dir,
      'node-1.yaml',
      'apiVersion: v1\nkind: Node\nmetadata: { name: node-1, labels: { kubernetes.io/hostname: node-1 } }\nspec: { taints: [{ key: example.com/dedicated, value: x, effect: NoSchedule }] }\n',
    )
    expect((await asNode(['create', '-f', self])).code).toBe(0)
    const restricted = writeManifest(
      t.dir,
      'node-3.yaml',
      'apiVersion: v1\nkind: Node\nmetadata: { name: node-1b, labels: { node-restriction.kubernetes.io/secure: "true" } }\n',
    )
    expectForbidden(await asNode(['create', '-f', restricted]), 'nodes "node-1b" is forbidden: node "node-1" is not allowed to modify node "node-1b"')
    expect((await asNode(['label', 'node', 'node-1', 'example.com/team=a'])).code).toBe(0)
    expectForbidden(
      await asNode(['label', 'node', 'node-1', 'node-restriction.kubernetes.io/secure=true']),
      'nodes "node-1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/secure',
    )
    expectForbidden(
      await asNode(['label', 'node', 'node-1', 'node-role.kubernetes.io/control-plane=']),
      'is not allowed to modify labels: node-role.kubernetes.io/control-plane',
    )
    expectForbidden(
      await asNode(['taint', 'node', 'node-1', 'example.com/dedicated-']),
      'nodes "node-1" is forbidden: node "node-1" is not allowed to modify taints',
    )
    expectForbidden(await asNode(['label', 'node', 'node-2', 'evil=yes']), 'nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"')
    expectForbidden(
      await asNode(['delete', 'node', 'node-2']),
      `nodes "node-2" is forbidden: ${USER} cannot delete resource "nodes" in API group "" at the cluster scope`,
    )
    expectForbidden(await asNode(['delete', 'node', 'node-1']), 'cannot delete resource "nodes"')
    // Its own status, yes; another node's, no (a PATCH as the kubelet sends it: upstream's node
    // rules have no get on nodes/status, so kubectl patch --subresource=status cannot read it first).
    const status = JSON.stringify({ status: { phase: 'Running' } })
    expect((await callAsNode('PATCH', '/api/v1/nodes/node-1/status', status, MERGE)).status).toBe(200)
    const other = await callAsNode('PATCH', '/api/v1/nodes/node-2/status', status, MERGE)
    expect(other.status).toBe(403)
    expect(JSON.parse(other.body).message).toBe('nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"')
    // A node registering with a restricted label is refused too.
    const withRole = writeManifest(
      t.dir,
      'node-1-role.yaml',
      'apiVersion: v1\nkind: Node\nmetadata: { name: node-1, labels: { node-restriction.kubernetes.io/secure: "true" } }\n',
    )
    await t.k('delete', 'node', 'node-1')
    expectForbidden(await asNode(['create', '-f', withRole]), 'node "node-1" is not allowed to set the following labels: node-restriction.kubernetes.io/secure')
    expect((await asNode(['create', '-f', self])).code).toBe(0)
  })

  it('creates only mirror pods of its own: no hostPID pod on another node, no secrets in them', async () => {
    const hostPid = writeManifest(
      t.dir,
      'evil.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: evil, namespace: kube-system }\nspec: { nodeName: node-2, hostPID: true, containers: [{ name: c, image: busybox }] }\n',
    )
    expectForbidden(
      await asNode(['create', '-f', hostPid]),
      'pods "evil" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-1" can only create mirror pods',
    )
    const uid = (await t.k('get', 'node', 'node-1', '-o', 'jsonpath={.metadata.uid}')).trim()
    const mirror = (name: string, nodeName: string, extra = ''): string =>
      writeManifest(
        t.dir,
        `${name}.yaml`,
        `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: kube-system
  annotations: { kubernetes.io/config.mirror: "abc" }
  ownerReferences: [{ apiVersion: v1, kind: Node, name: node-1, uid: "${uid}", controller: true }]
spec: { nodeName: ${nodeName}, containers: [{ name: c, image: busybox }]${extra} }
`,
      )
    expectForbidden(await asNode(['create', '-f', mirror('elsewhere', 'node-2')]), 'node "node-1" can only create pods with spec.nodeName set to itself')
    expectForbidden(
      await asNode(['create', '-f', mirror('with-secret', 'node-1', ', volumes: [{ name: s, secret: { secretName: s2 } }]')]),
      'node "node-1" can not create pods that reference secrets',
    )
    const ok = await asNode(['create', '-f', mirror('static-web', 'node-1')])
    expect(ok.code, ok.stderr).toBe(0)
  })

  it('updates the status of and deletes only pods bound to it; evicts only those', async () => {
    const patchStatus = (pod: string, body: object) => callAsNode('PATCH', `/api/v1/namespaces/app/pods/${pod}/status`, JSON.stringify(body), MERGE)
    expect((await patchStatus('p1', { status: { phase: 'Running' } })).status).toBe(200)
    const other = await patchStatus('p2', { status: { phase: 'Failed' } })
    expect(other.status).toBe(403)
    expect(JSON.parse(other.body).message).toBe('pods "p2" is forbidden: node "node-1" can only update pod status for pods with spec.nodeName set to itself')
    expect(JSON.parse((await patchStatus('p1', { metadata: { labels: { app: 'other' } } })).body).message).toBe(
      'pods "p1" is forbidden: node "node-1" cannot update labels through pod status',
    )
    expect((await t.k('-n', 'app', 'get', 'pod', 'p2', '-o', 'jsonpath={.status.phase}')).trim()).not.toBe('Failed')
    expectForbidden(await asNode(['-n', 'app', 'label', 'pod', 'p1', 'x=y']), 'cannot patch resource "pods"')
    expectForbidden(
      await asNode(['-n', 'app', 'delete', 'pod', 'p2']),
      'pods "p2" is forbidden: node "node-1" can only delete pods with spec.nodeName set to itself',
    )
    const evict = await callAsNode(
      'POST',
      '/api/v1/namespaces/app/pods/p2/eviction',
      JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p2', namespace: 'app' } }),
    )
    expect(evict.status).toBe(403)
    expect(JSON.parse(evict.body).message).toBe('pods "p2" is forbidden: node "node-1" can only evict pods with spec.nodeName set to itself')
    expect((await t.k('-n', 'app', 'get', 'pod', 'p2', '-o', 'name')).trim()).toBe('pod/p2')
  })

  it('writes only its own Lease in kube-node-lease', async () => {
    const lease = (name: string, ns = 'kube-node-lease'): string =>
      writeManifest(
        t.dir,
        `lease-${name}-${ns}.yaml`,
        `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { holderIdentity: ${name} }\n`,
      )
    expect((await asNode(['create', '-f', lease('node-1')])).code).toBe(0)
    expectForbidden(
      await asNode(['create', '-f', lease('node-2')]),
      'leases.coordination.k8s.io "node-2" is forbidden: can only access node lease with the same name as the requesting node',
    )
    expectForbidden(await asNode(['create', '-f', lease('node-1', 'default')]), 'can only access leases in the "kube-node-lease" system namespace')
    await t.k('create', '-f', lease('node-2'))
    expectForbidden(
      await asNode(['-n', 'kube-node-lease', 'delete', 'lease', 'node-2']),
      'can only access node lease with the same name as the requesting node',
    )
  })

  it('kubectl auth can-i as the node answers from the same rules', async () => {
    expect((await asNode(['auth', 'can-i', 'get', 'secret/s1', '-n', 'app'])).stdout.trim()).toBe('yes')
    expect((await asNode(['auth', 'can-i', 'get', 'secret/s2', '-n', 'app'])).stdout.trim()).toBe(`no - ${NO_RELATION}`)
    expect((await asNode(['auth', 'can-i', 'delete', 'nodes'])).stdout.trim()).toBe('no')
  })
})
