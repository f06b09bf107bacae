// The core controllers against a real in-process API server, driven and checked through the
// client and the real kubectl: endpoints, namespace deletion, garbage collection (background,
// foreground, orphan), service accounts, volume provisioning, node lifecycle + taint eviction,
// node IPAM. Time-based behaviour runs on a FakeClock shared with the API server.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, type ClosableClient } from '../../src-cluster/client'
import { defaultTolerationsAdmission } from '../../src-cluster/apiserver/admission/default-tolerations'
import { coreControllers } from '../../src-cluster/controllers/core'
import { createControllerContext, type Controller, type ControllerContext } from '../../src-cluster/controllers/framework'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { RES } from '../../src-cluster/kit/resources'

const clock = new FakeClock(Date.now())
let t: TestApiServer
let client: ClosableClient
let ctx: ControllerContext
const controllers: Controller[] = coreControllers()
const RS = RES.replicasets

const eventually = <T>(fn: () => Promise<T> | T, timeout = 20_000) => vi.waitFor(fn, { timeout, interval: 50 })

async function node(name: string, ready = true): Promise<void> {
  await client.create(RES.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } })
  const now = clock.now().toISOString()
  await client.patch(
    RES.nodes,
    undefined,
    name,
    {
      status: {
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      },
    },
    'merge',
    { subresource: 'status' },
  )
}

async function runningPod(
  ns: string,
  name: string,
  opts: { labels?: Record<string, string>; ip: string; nodeName: string; ready?: boolean; extra?: Record<string, unknown> },
): Promise<KubeObject> {
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: opts.labels ?? {} },
    spec: { nodeName: opts.nodeName, containers: [{ name: 'app', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }], ...(opts.extra ?? {}) },
  }
  await client.create(RES.pods, ns, body)
  return setPodStatus(ns, name, opts.ip, opts.ready ?? true)
}

async function setPodStatus(ns: string, name: string, ip: string, ready: boolean): Promise<KubeObject> {
  const now = clock.now().toISOString()
  return client.patch(
    RES.pods,
    ns,
    name,
    { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] } },
    'merge',
    { subresource: 'status' },
  )
}

async function namespace(name: string): Promise<void> {
  await client.create(RES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
}

beforeAll(async () => {
  t = await startTestApiServer({ now: () => clock.now() })
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  ctx = createControllerContext({ client, clock, options: { nodeMonitorGracePeriodSeconds: 40 }, log: () => {} })
  for (const c of controllers) await c.start(ctx)
  await node('n1')
}, 60_000)

afterAll(async () => {
  for (const c of controllers) c.stop()
  ctx?.informers.stopAll()
  client?.close()
  await t?.close()
})

describe('endpoints and endpoint slices', () => {
  it('follow ready pods and resolve named target ports', async () => {
    await namespace('ep')
    await runningPod('ep', 'web-1', { labels: { app: 'web' }, ip: '10.244.0.11', nodeName: 'n1' })
    await runningPod('ep', 'web-2', { labels: { app: 'web' }, ip: '10.244.0.12', nodeName: 'n1', ready: false })
    await runningPod('ep', 'other', { labels: { app: 'db' }, ip: '10.244.0.13', nodeName: 'n1' })
    await client.create(RES.services, 'ep', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    })

    await eventually(async () => {
      const ep = await client.get(RES.endpoints, 'ep', 'web')
      expect(ep?.subsets).toEqual([
        {
          addresses: [expect.objectContaining({ ip: '10.244.0.11', nodeName: 'n1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-1' }) })],
          notReadyAddresses: [expect.objectContaining({ ip: '10.244.0.12' })],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ])
    })
    await eventually(async () => {
      const slices = (await client.list(RES.slices, { namespace: 'ep', labelSelector: 'kubernetes.io/service-name=web' })).items
      expect(slices).toHaveLength(1)
      const s = slices[0] as KubeObject & { endpoints: { addresses: string[]; conditions: { ready: boolean } }[]; ports: unknown[] }
      expect(s.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/)
      expect(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io')
      expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
      expect(s.endpoints.map((e) => [e.addresses[0], e.conditions.ready])).toEqual([
        ['10.244.0.11', true],
        ['10.244.0.12', false],
      ])
    })

    // The second pod becomes ready; the first goes away.
    await setPodStatus('ep', 'web-2', '10.244.0.12', true)
    await client.delete(RES.pods, 'ep', 'web-1', { gracePeriodSeconds: 0 })
    await eventually(async () => {
      const out = await t.k('get', 'endpoints', 'web', '-n', 'ep', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')
      expect(out).toBe('10.244.0.12')
    })
    await eventually(async () => {
      const s = (await client.list(RES.slices, { namespace: 'ep', labelSelector: 'kubernetes.io/service-name=web' })).items as (KubeObject & {
        endpoints: { addresses: string[] }[]
      })[]
      expect(s.flatMap((x) => x.endpoints.map((e) => e.addresses[0]))).toEqual(['10.244.0.12'])
    })
  })

  it("mirrors the API server's kubernetes Endpoints into a slice without fighting over the Endpoints", async () => {
    await eventually(async () => {
      const s = (await client.get(RES.slices, 'default', 'kubernetes')) as (KubeObject & { endpoints: { addresses: string[] }[] }) | undefined
      expect(s?.endpoints?.[0]?.addresses?.[0]).toBeTruthy()
      expect(s?.metadata?.labels?.['kubernetes.io/service-name']).toBe('kubernetes')
    })
    const ep = await client.get(RES.endpoints, 'default', 'kubernetes')
    expect(ep?.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe('true')
  })
})

describe('service accounts', () => {
  it('a new namespace gets the default ServiceAccount and kube-root-ca.crt, recreated when deleted', async () => {
    await namespace('sa-test')
    await eventually(async () => {
      expect(await client.get(RES.serviceaccounts, 'sa-test', 'default')).toBeTruthy()
      const cm = (await client.get(RES.configmaps, 'sa-test', 'kube-root-ca.crt')) as (KubeObject & { data?: Record<string, string> }) | undefined
      expect(cm?.data?.['ca.crt']).toBe(t.server.pki.ca.certPem)
    })
    await t.k('delete', 'serviceaccount', 'default', '-n', 'sa-test')
    await eventually(async () => expect(await client.get(RES.serviceaccounts, 'sa-test', 'default')).toBeTruthy())
  })
})

describe('namespace deletion', () => {
  it('kubectl delete ns removes the content, then the namespace', async () => {
    await namespace('doomed')
    await client.create(RES.configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '1' } })
    await client.create(RES.pods, 'doomed', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { containers: [{ name: 'a', image: 'nginx' }] } })
    const r = await t.kubectl(['delete', 'ns', 'doomed', '--timeout=60s'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('namespace "doomed" deleted')
    expect(await client.get(RES.namespaces, undefined, 'doomed')).toBeUndefined()
    expect((await client.list(RES.configmaps, { namespace: 'doomed' })).items).toHaveLength(0)
  })

  it('custom resources in the namespace are deleted too (found by discovery)', async () => {
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'notes.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'notes', kind: 'Note' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    })
    await t.server.crds.idle()
    const NOTES = { group: 'example.com', version: 'v1', plural: 'notes', namespaced: true, kind: 'Note' }
    await namespace('doomed-cr')
    await client.create(NOTES, 'doomed-cr', { apiVersion: 'example.com/v1', kind: 'Note', metadata: { name: 'n1' }, text: 'hello' })
    const r = await t.kubectl(['delete', 'ns', 'doomed-cr', '--timeout=60s'])
    expect(r.code, r.stderr).toBe(0)
    expect(await client.get(RES.namespaces, undefined, 'doomed-cr')).toBeUndefined()
    expect(await client.get(NOTES, 'doomed-cr', 'n1')).toBeUndefined()
  })
})

describe('garbage collector', () => {
  async function replicaSetWithPods(ns: string, name: string): Promise<string> {
    const rs = await client.create(RS, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name },
      spec: {
        replicas: 2,
        selector: { matchLabels: { rs: name } },
        template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: 'a', image: 'nginx' }] } },
      },
    })
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: rs.metadata!.uid!, controller: true, blockOwnerDeletion: true }
    for (const i of [1, 2]) {
      await client.create(RES.pods, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-${i}`, labels: { rs: name }, ownerReferences: [owner] },
        spec: { containers: [{ name: 'a', image: 'nginx' }] },
      })
    }
    return rs.metadata!.uid!
  }
  const podsOf = async (ns: string, name: string) => (await client.list(RES.pods, { namespace: ns, labelSelector: `rs=${name}` })).items

  beforeAll(() => namespace('gc'))

  it('background: dependents are deleted after the owner', async () => {
    await replicaSetWithPods('gc', 'bg')
    await t.k('delete', 'rs', 'bg', '-n', 'gc', '--cascade=background')
    await eventually(async () => expect(await podsOf('gc', 'bg')).toHaveLength(0))
  })

  it('foreground: the owner goes only after its blocking dependents', async () => {
    await replicaSetWithPods('gc', 'fg')
    const r = await t.kubectl(['delete', 'rs', 'fg', '-n', 'gc', '--cascade=foreground', '--timeout=60s'])
    expect(r.code, r.stderr).toBe(0)
    // kubectl waits for the owner to disappear, which the GC allows only once the pods are gone.
    expect(await podsOf('gc', 'fg')).toHaveLength(0)
    expect(await client.get(RS, 'gc', 'fg')).toBeUndefined()
  })

  it('orphan: dependents stay, without the owner reference', async () => {
    const uid = await replicaSetWithPods('gc', 'or')
    const r = await t.kubectl(['delete', 'rs', 'or', '-n', 'gc', '--cascade=orphan', '--timeout=60s'])
    expect(r.code, r.stderr).toBe(0)
    expect(await client.get(RS, 'gc', 'or')).toBeUndefined()
    const pods = await podsOf('gc', 'or')
    expect(pods).toHaveLength(2)
    for (const p of pods) expect((p.metadata?.ownerReferences ?? []).some((o) => o.uid === uid)).toBe(false)
  })
})

describe('garbage collector and custom resources', () => {
  const WIDGETS = { group: 'gc.kubelab.test', version: 'v1', plural: 'widgets', namespaced: true, kind: 'Widget' }
  const widget = (name: string, ownerReferences?: Record<string, unknown>[]) =>
    client.create(WIDGETS, 'crgc', { apiVersion: 'gc.kubelab.test/v1', kind: 'Widget', metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) } })
  const ref = (o: KubeObject, extra: Record<string, unknown> = {}) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata!.name,
    uid: o.metadata!.uid,
    ...extra,
  })

  beforeAll(async () => {
    await namespace('crgc')
    await client.create(RES.crds, undefined, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.gc.kubelab.test' },
      spec: {
        group: 'gc.kubelab.test',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    })
    await t.k('wait', '--for=condition=Established', 'crd/widgets.gc.kubelab.test')
  })

  it('deletes the dependents of a deleted custom resource, and custom resources whose owner is gone', async () => {
    const owner = await widget('owner')
    await client.create(RES.configmaps, 'crgc', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'of-widget', ownerReferences: [ref(owner)] } })
    const cm = await client.create(RES.configmaps, 'crgc', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owns-widget' } })
    await widget('of-configmap', [ref(cm)])
    await t.k('delete', 'widget', 'owner', '-n', 'crgc')
    await t.k('delete', 'configmap', 'owns-widget', '-n', 'crgc')
    await eventually(async () => {
      expect(await client.get(RES.configmaps, 'crgc', 'of-widget')).toBeUndefined()
      expect(await client.get(WIDGETS, 'crgc', 'of-configmap')).toBeUndefined()
    })
  })

  it('foreground and orphan deletion of a custom resource', async () => {
    const fg = await widget('fg')
    await widget('fg-child', [ref(fg, { blockOwnerDeletion: true })])
    const r = await t.kubectl(['delete', 'widget', 'fg', '-n', 'crgc', '--cascade=foreground', '--timeout=60s'])
    expect(r.code, r.stderr).toBe(0)
    expect(await client.get(WIDGETS, 'crgc', 'fg-child')).toBeUndefined()

    const or = await widget('or')
    await widget('or-child', [ref(or)])
    expect((await t.kubectl(['delete', 'widget', 'or', '-n', 'crgc', '--cascade=orphan', '--timeout=60s'])).code).toBe(0)
    const child = await client.get(WIDGETS, 'crgc', 'or-child')
    expect(child?.metadata?.ownerReferences ?? []).toEqual([])
  })
})

describe('volumes', () => {
  it('a claim that waited without a volume binds when a matching volume appears later', async () => {
    await namespace('late')
    await client.create(RES.pvcs, 'late', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    })
    await eventually(async () => {
      const ev = await t.k('get', 'events', '-n', 'late', '--field-selector', 'reason=FailedBinding', '-o', 'name')
      expect(ev).not.toBe('')
    })
    await client.create(RES.pvs, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'late-pv' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: '/tmp/late-pv' } },
    })
    await eventually(async () => {
      const pvc = (await client.get(RES.pvcs, 'late', 'data')) as KubeObject & { spec: { volumeName?: string }; status: { phase?: string } }
      expect(pvc.status.phase).toBe('Bound')
      expect(pvc.spec.volumeName).toBe('late-pv')
    })
  })

  it('the default class exists; a WaitForFirstConsumer claim binds to a provisioned local volume once its pod is on a node; Delete reclaims it', async () => {
    await eventually(async () => {
      const sc = await client.get(RES.storageclasses, undefined, 'standard')
      expect(sc?.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true')
      expect(sc?.volumeBindingMode).toBe('WaitForFirstConsumer')
    })
    await namespace('vol')
    await client.create(RES.pvcs, 'vol', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    })
    await eventually(async () => {
      const ev = await t.k('get', 'events', '-n', 'vol', '--field-selector', 'reason=WaitForFirstConsumer', '-o', 'name')
      expect(ev).not.toBe('')
    })
    expect(((await client.get(RES.pvcs, 'vol', 'data'))?.status as { phase?: string }).phase).toBe('Pending')

    await client.create(RES.pods, 'vol', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user' },
      spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'nginx' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
    })
    let pvName = ''
    await eventually(async () => {
      const pvc = (await client.get(RES.pvcs, 'vol', 'data')) as KubeObject & { spec: { volumeName?: string }; status: { phase?: string } }
      expect(pvc.status.phase).toBe('Bound')
      expect(pvc.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe('n1')
      pvName = pvc.spec.volumeName!
    })
    expect(pvName).toMatch(/^pvc-/)
    const pv = (await client.get(RES.pvs, undefined, pvName)) as KubeObject & { spec: Record<string, any>; status: { phase: string } }
    expect(pv.spec.local.path).toBe(`/var/lib/kubelab/volumes/${pvName}`)
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['n1'])
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Delete')
    expect(pv.spec.claimRef.name).toBe('data')
    await eventually(async () => expect(((await client.get(RES.pvs, undefined, pvName))?.status as { phase?: string }).phase).toBe('Bound'))

    await client.delete(RES.pods, 'vol', 'user', { gracePeriodSeconds: 0 })
    await t.k('delete', 'pvc', 'data', '-n', 'vol')
    await eventually(async () => expect(await client.get(RES.pvs, undefined, pvName)).toBeUndefined())
  })
})

describe('node IPAM', () => {
  it('gives each node its own podCIDR from 10.244.0.0/16', async () => {
    await node('n2')
    await eventually(async () => {
      const cidrs = await Promise.all(
        ['n1', 'n2'].map(async (n) => (await client.get(RES.nodes, undefined, n))?.spec as { podCIDR?: string; podCIDRs?: string[] }),
      )
      for (const c of cidrs) {
        expect(c.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/)
        expect(c.podCIDRs).toEqual([c.podCIDR])
      }
      expect(cidrs[0]!.podCIDR).not.toBe(cidrs[1]!.podCIDR)
    })
  })
})

describe('node lifecycle', () => {
  it('a node whose lease stops becomes Ready=Unknown with unreachable taints; its pods go after tolerationSeconds', async () => {
    await node('n3')
    const renew = () =>
      clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, '.000000Z')
    const lease = await client.create(RES.leases, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n3' },
      spec: { holderIdentity: 'n3', leaseDurationSeconds: 40, renewTime: renew() },
    })
    await namespace('life')
    const tolerant = defaultTolerationsAdmission(
      { metadata: { name: 'tolerant', namespace: 'life' }, spec: { nodeName: 'n3', containers: [{ name: 'a', image: 'nginx' }] } },
      30,
    )
    await client.create(RES.pods, 'life', { apiVersion: 'v1', kind: 'Pod', ...tolerant } as KubeObject)
    await setPodStatus('life', 'tolerant', '10.244.9.9', true)
    await client.create(RES.pods, 'life', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'forever' },
      spec: { nodeName: 'n3', containers: [{ name: 'a', image: 'nginx' }], tolerations: [{ operator: 'Exists' }] },
    })
    // Let the controllers see the node (IPAM assigns it a range) before time moves.
    await eventually(async () => expect(((await client.get(RES.nodes, undefined, 'n3'))?.spec as { podCIDR?: string }).podCIDR).toBeTruthy())

    // The lease is renewed 30 s later: still healthy at 60 s.
    clock.advance(30_000)
    await client.update(RES.leases, {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: undefined },
      spec: { ...(lease.spec as object), renewTime: renew() },
    })
    await new Promise((r) => setTimeout(r, 300))
    clock.advance(30_000)
    await new Promise((r) => setTimeout(r, 300))
    const mid = (await client.get(RES.nodes, undefined, 'n3'))!
    expect((mid.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')?.status).toBe('True')

    // Then silence: 40 s after the last renewal the node is Unknown and tainted.
    clock.advance(11_000)
    await eventually(async () => {
      const n = (await client.get(RES.nodes, undefined, 'n3'))!
      const ready = (n.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find(
        (c) => c.type === 'Ready',
      )!
      expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' })
      const taints = ((n.spec as { taints?: { key: string; effect: string; timeAdded?: string }[] }).taints ?? []).map((x) => `${x.key}:${x.effect}`)
      expect(taints.sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule'])
    })
    const nodeEvents = await t.k(
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.name=n3,reason=NodeNotReady',
      '-o',
      'jsonpath={.items[*].message}',
    )
    expect(nodeEvents).toContain('Node n3 status is now: NodeNotReady')
    await new Promise((r) => setTimeout(r, 300))
    expect(await client.get(RES.pods, 'life', 'tolerant')).toBeTruthy()

    // tolerationSeconds (30) later the taint manager deletes it; the pod GC force-deletes it
    // once its grace period passes (the node's kubelet will never confirm).
    clock.advance(31_000)
    await eventually(async () => expect((await client.get(RES.pods, 'life', 'tolerant'))?.metadata?.deletionTimestamp).toBeTruthy())
    const ev = await t.k('get', 'events', '-n', 'life', '--field-selector', 'reason=TaintManagerEviction', '-o', 'jsonpath={.items[*].message}')
    expect(ev).toContain('Marking for deletion Pod life/tolerant')
    clock.advance(31_000)
    await eventually(async () => expect(await client.get(RES.pods, 'life', 'tolerant')).toBeUndefined())
    // A pod tolerating everything forever stays.
    expect(await client.get(RES.pods, 'life', 'forever')).toBeTruthy()
  }, 60_000)
})
