// The all-in-one control plane's components each write as their own identity, as on a kubeadm
// cluster: ValidatingAdmissionPolicies (which see request.userInfo) admit a ReplicaSet's pod only
// from system:kube-controller-manager, its binding only from system:kube-scheduler and its status
// only from system:node:<its node>; the pod still runs. And a node's identity is held to its
// own Node by the Node authorizer and NodeRestriction.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import { createClient, resourceRef, type ClosableClient } from '../../src-cluster/client'
import { issueClientCert } from '../../src-cluster/kit/pki'
import type { NodeObj, PodObj } from '../../src-cluster/kit/objects'
import { RES } from '../../src-cluster/kit/resources'
import { until } from '../helpers/wait'

const dir = mkdtempSync(join(tmpdir(), 'kl-cp-id-'))
let cp: ControlPlane
const NS = 'identities'
const VAP = resourceRef('admissionregistration.k8s.io/v1', 'validatingadmissionpolicies')
const VAPB = resourceRef('admissionregistration.k8s.io/v1', 'validatingadmissionpolicybindings')

/** A policy and its Deny binding: in namespace NS, `resource` may be written only when `expression` holds. */
async function onlyBy(name: string, resource: string, operations: string[], expression: string): Promise<void> {
  await cp.client.create(VAP, undefined, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations, resources: [resource] }],
      },
      validations: [{ expression, messageExpression: `'${name}: written by ' + request.userInfo.username` }],
    },
  })
  await cp.client.create(VAPB, undefined, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: ['Deny'] },
  })
}

function clientAs(user: string, groups: string[]): ClosableClient {
  const pair = issueClientCert(cp.apiserver.pki.ca, user, groups)
  return createClient({ server: cp.apiserver.url, caPem: cp.apiserver.pki.ca.certPem, certPem: pair.certPem, keyPem: pair.keyPem })
}

beforeAll(async () => {
  cp = await startControlPlane({
    dataDir: dir,
    securePort: 0,
    nodes: { count: 2, startDelayMs: 100, heartbeatMs: 60_000 },
    log: () => {},
  })
})

afterAll(async () => {
  await cp?.close()
  rmSync(dir, { recursive: true, force: true })
})

it('creates, binds and runs a pod as the controller manager, the scheduler and the node', async () => {
  await cp.client.create(RES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })
  await onlyBy('pods-by-kcm', 'pods', ['CREATE'], "request.userInfo.username == 'system:kube-controller-manager'")
  await onlyBy('bindings-by-scheduler', 'pods/binding', ['CREATE'], "request.userInfo.username == 'system:kube-scheduler'")
  await onlyBy('pod-status-by-its-node', 'pods/status', ['UPDATE'], "request.userInfo.username == 'system:node:' + object.spec.nodeName")
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }
  // The policies are in force (the admin may no longer create pods here) before the ReplicaSet.
  const refusal = await until('the pods-by-kcm policy to refuse the admin', () =>
    cp.client.create(RES.pods, NS, pod, { dryRun: true }).then(
      () => undefined,
      (e: Error) => e.message.includes('pods-by-kcm') && e.message,
    ),
  )
  expect(refusal).toContain('written by kubernetes-admin')
  await cp.client.create(RES.replicasets, NS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  })
  let events = ''
  const running = await until(
    'the ReplicaSet pod to run',
    async () => {
      const evs = await cp.client.list<{ reason?: string; message?: string } & PodObj>(RES.events, { namespace: NS })
      events = evs.items.map((e) => `${e.reason}: ${e.message}`).join('\n')
      const pods = await cp.client.list<PodObj>(RES.pods, { namespace: NS })
      return pods.items.find((p) => p.status?.phase === 'Running')
    },
    { context: () => `events in ${NS}:\n${events}` },
  )
  expect(running.spec?.nodeName).toMatch(/^node-[12]$/)
})

it("refuses a node's identity another node's status and labels, and allows its own", async () => {
  const node1 = clientAs('system:node:node-1', ['system:nodes'])
  try {
    const other = await cp.client.get<NodeObj>(RES.nodes, undefined, 'node-2')
    const err = await node1.update(RES.nodes, other!, { subresource: 'status' }).then(
      () => undefined,
      (e: { code?: number; message: string }) => e,
    )
    expect(err?.code).toBe(403)
    expect(err?.message).toContain('node "node-1" is not allowed to modify node "node-2"')
    const own = await node1.get<NodeObj>(RES.nodes, undefined, 'node-1')
    await expect(node1.update(RES.nodes, own!, { subresource: 'status' })).resolves.toBeTruthy()
  } finally {
    node1.close()
  }
})
