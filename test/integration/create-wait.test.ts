// `kubelab create`'s wait for Ready nodes (src-main/clusters/wait.ts) against a real API server:
// a node counts when its Ready condition is True and it showed life after the origin — a Ready
// heartbeat posted since then, or its Lease in kube-node-lease renewed since then (a kubelet
// re-posts an unchanged status only every 5 min; a resumed create adopts agents whose one Ready
// post predates the origin). A stale Lease, or a fresh Lease on a node not Ready, does not count.
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { Node } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { NODE_LEASE_NAMESPACE, RES } from '../../src-cluster/kit/resources'
import { microTime } from '../../src-cluster/kit/time'
import { waitForCluster } from '../../src-main/clusters/wait'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let api: TestApiServer
let client: ClosableClient

beforeAll(async () => {
  api = await startTestApiServer()
  client = createClient(loadKubeconfig(api.kubeconfig))
})

afterAll(async () => {
  client?.close()
  await api?.close()
})

const tenMinutesAgo = (): Date => new Date(Date.now() - 600_000)

/** A node as its kubelet left it: Ready (or not) posted at `posted`, its Lease renewed then too. */
async function node(name: string, ready: boolean, posted: Date): Promise<void> {
  await client.create<Node & KubeObject>(RES.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name } })
  const t = posted.toISOString().replace(/\.\d+Z$/, 'Z')
  await client.patch(
    RES.nodes,
    undefined,
    name,
    { status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'KubeletReady', lastHeartbeatTime: t, lastTransitionTime: t }] } },
    'merge',
    { subresource: 'status' },
  )
  await client.create<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(posted) },
  })
}

async function renewLease(name: string): Promise<void> {
  const lease = await client.get<Lease & KubeObject>(RES.leases, NODE_LEASE_NAMESPACE, name)
  await client.update(RES.leases, { ...lease!, spec: { ...lease!.spec, renewTime: microTime(new Date()) } })
}

describe('create waits for each node to be Ready with a heartbeat after the origin', () => {
  it('accepts a Ready posted before the origin once its Lease is renewed after it; not a stale Lease, nor a fresh Lease on a node not Ready', async () => {
    await node('renewed', true, tenMinutesAgo())
    await node('stale', true, tenMinutesAgo())
    await node('not-ready', false, tenMinutesAgo())
    const since = new Date()
    await node('posted', true, new Date(since.getTime() + 1000))
    // Seen by the wait in this order (one watch per resource, in resourceVersion order): when
    // `renewed` is reported, the fresh Lease of `not-ready` and the stale one of `stale` are known.
    await renewLease('not-ready')

    const lines: string[] = []
    let stop: string | undefined
    const waiting = waitForCluster({
      kubeconfig: api.kubeconfig,
      nodes: ['renewed', 'posted', 'stale', 'not-ready'],
      since,
      deadline: Date.now() + 30_000,
      // Once `renewed` is reported, every node was judged on what the wait knows: end it there.
      alive: () => stop,
      progress: (l) => {
        lines.push(l)
        if (/node renewed Ready/.test(l)) stop = 'stopped by the test'
      },
    })
    await renewLease('renewed')
    await expect(waiting).rejects.toThrow('stopped by the test')
    const ready = lines.filter((l) => / Ready \(/.test(l)).map((l) => l.split(' ')[1])
    expect(ready.sort()).toEqual(['posted', 'renewed'])
  })
})
