// The scheduler cache: incremental per-node totals, assumed pods, live match counters, and the
// default spreading selector built from Services and owners.
import { describe, expect, it } from 'vitest'
import { labelSelectorFromObject, selectorToString } from '../../src-cluster/api/selectors'
import { SchedulerCache } from '../../src-cluster/scheduler/cache'
import { defaultSelector } from '../../src-cluster/scheduler/default-selector'
import { newPodInfo } from '../../src-cluster/scheduler/pod-info'
import type { NodeObj, PodObj } from '../../src-cluster/kit/objects'

function node(name: string, zone: string): NodeObj {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, zone } }, status: { allocatable: { cpu: '2', memory: '2Gi', pods: '10' } } }
}
function pod(name: string, nodeName: string | undefined, labels: Record<string, string>, cpu = '250m', hostPort?: number): PodObj {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu } }, ports: hostPort ? [{ containerPort: 1, hostPort }] : undefined }] },
  }
}

describe('SchedulerCache', () => {
  it('keeps per-node totals as pods come and go, and confirms assumed pods', () => {
    const c = new SchedulerCache()
    c.setNode(node('n1', 'a'))
    c.addPod(pod('a', 'n1', {}, '500m', 80))
    const info = newPodInfo(pod('b', undefined, {}, '250m'))
    c.assumePod(info, 'n1')
    const n1 = c.getNode('n1')!
    expect(n1.requested.milliCPU).toBe(750)
    expect(n1.pods.size).toBe(2)
    expect(n1.portConflicts({ protocol: 'TCP', port: 80, hostIP: '0.0.0.0' })).toBe(true)
    expect(c.isAssumed(info.key)).toBe(true)
    // The API reports the binding: the assumption becomes a bound pod, counted once.
    c.addPod(pod('b', 'n1', {}, '250m'))
    expect(c.isAssumed(info.key)).toBe(false)
    expect(n1.requested.milliCPU).toBe(750)
    c.forgetPod(info.key) // no effect on a confirmed pod
    expect(n1.pods.size).toBe(2)
    c.removePod('default/a')
    expect(n1.requested.milliCPU).toBe(250)
    expect(n1.portConflicts({ protocol: 'TCP', port: 80, hostIP: '0.0.0.0' })).toBe(false)
  })

  it('match counters follow pod changes and rebuild after node label changes', () => {
    const c = new SchedulerCache()
    c.setNode(node('n1', 'a'))
    c.setNode(node('n2', 'b'))
    c.addPod(pod('w1', 'n1', { app: 'web' }))
    const zone = c.counter(new Set(['default']), labelSelectorFromObject({ matchLabels: { app: 'web' } }), 'zone')
    expect(Object.fromEntries(zone.counts)).toEqual({ a: 1 })
    c.addPod(pod('w2', 'n2', { app: 'web' }))
    c.addPod(pod('db', 'n2', { app: 'db' }))
    expect(Object.fromEntries(zone.counts)).toEqual({ a: 1, b: 1 })
    c.removePod('default/w1')
    expect(Object.fromEntries(zone.counts)).toEqual({ b: 1 })
    // n2 moves to zone c: counters are rebuilt from the pods.
    c.setNode(node('n2', 'c'))
    const again = c.counter(new Set(['default']), labelSelectorFromObject({ matchLabels: { app: 'web' } }), 'zone')
    expect(Object.fromEntries(again.counts)).toEqual({ c: 1 })
  })

  it('reports a node change only when something a pending pod cares about changed', () => {
    const c = new SchedulerCache()
    const n = node('n1', 'a')
    expect(c.setNode(n)).toBe(true)
    expect(c.setNode({ ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' }] } })).toBe(false)
    expect(c.setNode({ ...n, spec: { unschedulable: true } })).toBe(true)
  })
})

describe('defaultSelector', () => {
  it('merges the selectors of matching Services and the controlling ReplicaSet', () => {
    const p = newPodInfo({
      metadata: {
        name: 'web-1',
        namespace: 'default',
        labels: { app: 'web', 'pod-template-hash': 'abc' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u', controller: true }],
      },
      spec: { containers: [] },
    })
    const sel = defaultSelector(p, {
      services: () => [{ spec: { selector: { app: 'web' } } }, { spec: { selector: { app: 'other' } } }],
      replicationController: () => undefined,
      replicaSet: (ns, name) =>
        name === 'web-abc' ? { spec: { selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, template: {} } } : undefined,
      statefulSet: () => undefined,
    })
    expect(sel && selectorToString(sel)).toBe('app=web,pod-template-hash=abc')
    const lone = newPodInfo({ metadata: { name: 'x', namespace: 'default', labels: { a: 'b' } }, spec: { containers: [] } })
    expect(
      defaultSelector(lone, { services: () => [], replicationController: () => undefined, replicaSet: () => undefined, statefulSet: () => undefined }),
    ).toBeUndefined()
  })
})
