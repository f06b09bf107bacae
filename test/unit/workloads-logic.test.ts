// Pure pieces of the workload controllers: hashing, surge/unavailable arithmetic, deletion
// ranking, proportional scaling, daemon pod placement, progress deadlines, StatefulSet names.
import { describe, expect, it } from 'vitest'
import {
  defaultDaemonTolerations,
  fitsNodeAffinity,
  nodeShouldRunDaemonPod,
  pinToNode,
  targetNodeName,
  tolerates,
} from '../../src-cluster/controllers/workloads/daemonset-util'
import * as du from '../../src-cluster/controllers/workloads/deployment-util'
import { templatePatch, templateOfRevision } from '../../src-cluster/controllers/workloads/history'
import { calculateReplicaSetStatus, podsToDelete } from '../../src-cluster/controllers/workloads/replicaset'
import { claimName, ordinalOf } from '../../src-cluster/controllers/workloads/statefulset'
import { computeHash, fnv32a, labelsEqual, safeEncode, scaledValue, semanticEqual } from '../../src-cluster/controllers/workloads/util'
import type { DaemonSetObj, DeploymentObj, NodeObj, PodObj, ReplicaSetObj, RevisionObj } from '../../src-cluster/kit/objects'

const deploy = (
  replicas: number,
  surge?: number | string,
  unavailable?: number | string,
  extra: Partial<NonNullable<DeploymentObj['spec']>> = {},
): DeploymentObj => ({
  metadata: { name: 'web', generation: 1 },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a' }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    progressDeadlineSeconds: 600,
    ...extra,
  },
})

const rs = (name: string, replicas: number, opts: { available?: number; created?: string; ann?: Record<string, string> } = {}): ReplicaSetObj => ({
  metadata: { name, uid: name, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z', annotations: opts.ann ?? {} },
  spec: { replicas, selector: {}, template: {} },
  status: { replicas, availableReplicas: opts.available ?? replicas },
})

describe('hashing', () => {
  it('is FNV-1a and renders in the safe alphabet', () => {
    // Published FNV-1a test vectors.
    expect(fnv32a('')).toBe(0x811c9dc5)
    expect(fnv32a('a')).toBe(0xe40c292c)
    expect(fnv32a('foobar')).toBe(0xbf9cf968)
    // Digits map to the characters real pod-template-hash values use (e.g. "7d4b9c5f8").
    expect(safeEncode('0123456789')).toBe('456789bcdf')
  })
  it('is stable under key order and changes with the template or collision count', () => {
    const a = computeHash({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } })
    const b = computeHash({ spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { app: 'x' } } })
    expect(a).toBe(b)
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/)
    expect(computeHash({ spec: { containers: [{ name: 'c', image: 'j' }] } })).not.toBe(a)
    expect(computeHash({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }, 1)).not.toBe(a)
  })
})

describe('int-or-percent and fenceposts', () => {
  it('rounds surge up and unavailability down', () => {
    expect(scaledValue('25%', 10, true)).toBe(3)
    expect(scaledValue('25%', 10, false)).toBe(2)
    expect(scaledValue(2, 10, false)).toBe(2)
    expect(() => scaledValue('x', 10, true)).toThrow(/IntOrString/)
    expect(du.resolveFenceposts(deploy(10, '25%', '25%'))).toEqual({ surge: 3, unavailable: 2 })
    expect(du.resolveFenceposts(deploy(1, '25%', '25%'))).toEqual({ surge: 1, unavailable: 0 })
    // Both zero: one pod may be unavailable so the rollout can move.
    expect(du.resolveFenceposts(deploy(3, 0, 0))).toEqual({ surge: 0, unavailable: 1 })
    expect(du.maxUnavailable(deploy(2, 0, 5))).toBe(2)
    expect(du.maxSurge(deploy(4, 1, 1, { strategy: { type: 'Recreate' } }))).toBe(0)
  })
  it('grows the new ReplicaSet only within maxSurge', () => {
    const d = deploy(4, 1, 1)
    const oldRS = rs('old', 4)
    const newRS = rs('new', 0)
    expect(du.newRSNewReplicas(d, [oldRS, newRS], newRS)).toBe(1)
    expect(du.newRSNewReplicas(d, [rs('old', 3), rs('new', 1)], rs('new', 1))).toBe(2)
    expect(du.newRSNewReplicas(d, [rs('old', 3), rs('new', 2)], rs('new', 2))).toBe(2)
  })
})

describe('deployment bookkeeping', () => {
  it('finds the ReplicaSet whose template matches ignoring the hash label', () => {
    const d = deploy(1)
    const match: ReplicaSetObj = {
      ...rs('a', 1),
      spec: { selector: {}, template: { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'a' }] } } },
    }
    const other: ReplicaSetObj = {
      ...rs('b', 1),
      spec: { selector: {}, template: { metadata: { labels: { app: 'web', 'pod-template-hash': 'def' } }, spec: { containers: [{ name: 'c', image: 'b' }] } } },
    }
    expect(du.findNewReplicaSet(d, [other, match])?.metadata?.name).toBe('a')
  })
  it('raises the revision (remembering the old one) and copies change-cause', () => {
    const d = deploy(3, 1, 1)
    d.metadata!.annotations = { 'kubernetes.io/change-cause': 'undo', 'deployment.kubernetes.io/revision': '2' }
    const r = rs('a', 0, { ann: { 'deployment.kubernetes.io/revision': '1' } })
    expect(du.setNewReplicaSetAnnotations(d, r, 3, true)).toBe(true)
    expect(r.metadata?.annotations).toEqual({
      'kubernetes.io/change-cause': 'undo',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    })
    expect(du.setNewReplicaSetAnnotations(d, r, 3, true)).toBe(false)
    const fresh = rs('b', 0, { ann: {} })
    du.setNewReplicaSetAnnotations(d, fresh, 1, false)
    expect(fresh.metadata?.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' })
  })
  it('spreads a resize across ReplicaSets in proportion to their size', () => {
    // 10 replicas mid-rollout (6 old + 5 new = 11 = 10 + surge 1), resized to 20 (max 22).
    const d = deploy(20, 1, 0)
    const ann = { 'deployment.kubernetes.io/max-replicas': '11' }
    const oldRS = rs('old', 6, { ann })
    const newRS = rs('new', 5, { ann })
    // 11 more may be added: the old set gets round(6*21/11)-6 = 5, the new one the rest.
    const p1 = du.proportion(oldRS, d, 11, 0)
    expect(p1).toBe(5)
    expect(du.proportion(newRS, d, 11, p1)).toBe(5)
  })
  it('computes status and conditions', () => {
    const d = deploy(4, 1, 1)
    const now = new Date('2026-01-01T00:00:00Z')
    const st = du.calculateStatus([rs('old', 3, { available: 3 }), rs('new', 2, { available: 0 })], rs('new', 2, { available: 0 }), d, now)
    expect(st).toMatchObject({ replicas: 5, updatedReplicas: 2, availableReplicas: 3, unavailableReplicas: 2, observedGeneration: 1 })
    expect(du.getCondition(st, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' })
    expect(du.deploymentComplete(d, st)).toBe(false)
  })
  it('times out a rollout whose Progressing condition was not updated within the deadline', () => {
    const d = deploy(2, 1, 0, { progressDeadlineSeconds: 30 })
    const st: du.DeploymentStatus = { conditions: [du.newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'x', new Date('2026-01-01T00:00:00Z'))] }
    expect(du.deploymentTimedOut(d, st, new Date('2026-01-01T00:00:29Z'))).toBe(false)
    expect(du.deploymentTimedOut(d, st, new Date('2026-01-01T00:00:31Z'))).toBe(true)
    const done: du.DeploymentStatus = { conditions: [du.newCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'x', new Date('2026-01-01T00:00:00Z'))] }
    expect(du.deploymentTimedOut(d, done, new Date('2027-01-01T00:00:00Z'))).toBe(false)
  })
  it('keeps the transition time when only the reason changes', () => {
    const st: du.DeploymentStatus = {}
    du.setCondition(st, du.newCondition('Progressing', 'True', 'A', 'a', new Date('2026-01-01T00:00:00Z')))
    du.setCondition(st, du.newCondition('Progressing', 'True', 'B', 'b', new Date('2026-01-02T00:00:00Z')))
    expect(du.getCondition(st, 'Progressing')).toMatchObject({
      reason: 'B',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      lastUpdateTime: '2026-01-02T00:00:00Z',
    })
  })
})

describe('ReplicaSet deletion ranking and status', () => {
  const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; created?: string; restarts?: number; readySince?: string } = {}): PodObj => ({
    metadata: { name, uid: name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', labels: { app: 'x' } },
    spec: { containers: [{ name: 'c' }], nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions:
        o.ready === false
          ? [{ type: 'Ready', status: 'False' }]
          : [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: o.restarts ?? 0 }],
    },
  })
  it('deletes unscheduled, then pending, then not-ready, then crowded, then recently ready pods first', () => {
    const pods = [
      pod('ready-old', { node: 'a', readySince: '2026-01-01T00:00:00Z' }),
      pod('ready-new', { node: 'b', readySince: '2026-01-01T01:00:00Z' }),
      pod('not-ready', { node: 'c', ready: false }),
      pod('pending', { node: 'c', phase: 'Pending', ready: false }),
      pod('unscheduled', { phase: 'Pending', ready: false }),
    ]
    expect(podsToDelete(pods, pods, 4).map((p) => p.metadata?.name)).toEqual(['unscheduled', 'pending', 'not-ready', 'ready-new'])
    const crowded = [pod('alone', { node: 'a' }), pod('crowd1', { node: 'b' }), pod('crowd2', { node: 'b' })]
    expect(podsToDelete(crowded, crowded, 1)[0]?.metadata?.name).toMatch(/^crowd/)
    const restarts = [pod('calm', { node: 'a' }), pod('flappy', { node: 'b', restarts: 5 })]
    expect(podsToDelete(restarts, [], 1)[0]?.metadata?.name).toBe('flappy')
  })
  it('counts available pods only after minReadySeconds', () => {
    const set: ReplicaSetObj = {
      metadata: { name: 'x', generation: 3 },
      spec: { replicas: 2, minReadySeconds: 60, selector: {}, template: { metadata: { labels: { app: 'x', tier: 'a' } } } },
    }
    const pods = [pod('a', { readySince: '2026-01-01T00:00:00Z' }), pod('b', { readySince: '2026-01-01T00:00:50Z' })]
    const st = calculateReplicaSetStatus(set, pods, new Date('2026-01-01T00:01:10Z'))
    expect(st).toEqual({ replicas: 2, fullyLabeledReplicas: 0, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 })
    const failed = calculateReplicaSetStatus(set, [], new Date(), { kind: 'FailedCreate', message: 'quota' })
    expect(failed.conditions?.[0]).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' })
  })
  it('keeps the ReplicaFailure it reports while creates keep failing: a retry refused for another pod name changes no status', () => {
    const set: ReplicaSetObj = { metadata: { name: 'web', generation: 1 }, spec: { replicas: 1, selector: {}, template: {} } }
    const refused = (pod: string) => ({ kind: 'FailedCreate' as const, message: `pods "${pod}" is forbidden: exceeded quota: compute` })
    const first = calculateReplicaSetStatus(set, [], new Date('2026-01-01T00:00:00Z'), refused('web-abcde'))
    const retry = calculateReplicaSetStatus({ ...set, status: first }, [], new Date('2026-01-01T00:00:05Z'), refused('web-fghij'))
    // Equal, so the controller writes nothing: a write would sync the ReplicaSet again at once, past its back-off.
    expect(retry).toEqual(first)
    expect(retry.conditions).toEqual([
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'pods "web-abcde" is forbidden: exceeded quota: compute',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ])
    // A sync without a failure drops it; the next failure reports afresh.
    const cleared = calculateReplicaSetStatus({ ...set, status: retry }, [], new Date('2026-01-01T00:00:06Z'))
    expect(cleared.conditions).toBeUndefined()
    const again = calculateReplicaSetStatus({ ...set, status: cleared }, [], new Date('2026-01-01T00:00:07Z'), refused('web-klmno'))
    expect(again.conditions?.[0]?.message).toBe('pods "web-klmno" is forbidden: exceeded quota: compute')
  })
})

describe('DaemonSet placement', () => {
  const node = (name: string, labels: Record<string, string> = {}, taints: NonNullable<NodeObj['spec']>['taints'] = []): NodeObj => ({
    metadata: { name, labels },
    spec: { taints },
  })
  const ds = (spec: Record<string, unknown> = {}): DaemonSetObj => ({
    metadata: { name: 'd' },
    spec: { selector: {}, template: { spec: { containers: [{ name: 'c' }], ...spec } } },
  })
  it('matches tolerations as upstream', () => {
    expect(tolerates({ operator: 'Exists' }, { key: 'k', effect: 'NoSchedule' })).toBe(true)
    expect(tolerates({ key: 'k', value: 'v', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(true)
    expect(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'w', effect: 'NoSchedule' })).toBe(false)
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, { key: 'k', effect: 'NoSchedule' })).toBe(false)
    expect(defaultDaemonTolerations(true).map((t) => t.key)).toContain('node.kubernetes.io/network-unavailable')
    expect(defaultDaemonTolerations(false).map((t) => t.key)).not.toContain('node.kubernetes.io/network-unavailable')
  })
  it('runs where the selector, affinity and taints allow', () => {
    expect(nodeShouldRunDaemonPod(node('a'), ds())).toEqual({ shouldRun: true, shouldContinueRunning: true })
    expect(nodeShouldRunDaemonPod(node('a'), ds({ nodeSelector: { disk: 'ssd' } })).shouldRun).toBe(false)
    expect(nodeShouldRunDaemonPod(node('a', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } })).shouldRun).toBe(true)
    // Cordoned and not-ready nodes are tolerated by default.
    expect(
      nodeShouldRunDaemonPod(
        node('a', {}, [
          { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
        ]),
        ds(),
      ).shouldRun,
    ).toBe(true)
    // A NoSchedule taint stops new pods but lets existing ones stay; NoExecute evicts.
    expect(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'dedicated', effect: 'NoSchedule' }]), ds())).toEqual({ shouldRun: false, shouldContinueRunning: true })
    expect(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'dedicated', effect: 'NoExecute' }]), ds())).toEqual({ shouldRun: false, shouldContinueRunning: false })
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] },
          ],
        },
      },
    }
    expect(fitsNodeAffinity({ spec: { containers: [], affinity } }, node('a', { zone: 'z1' }))).toBe(true)
    expect(fitsNodeAffinity({ spec: { containers: [], affinity } }, node('b'))).toBe(true)
    expect(fitsNodeAffinity({ spec: { containers: [], affinity } }, node('c', { zone: 'z2' }))).toBe(false)
  })
  it('pins a pod to its node with matchFields', () => {
    const t = {
      spec: {
        containers: [],
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } },
        },
      },
    }
    pinToNode(t, 'n1')
    expect(t.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
    ])
    expect(targetNodeName(t)).toBe('n1')
  })
})

describe('history and StatefulSet names', () => {
  it('stores templates as replace patches and reads them back', () => {
    const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }
    const data = templatePatch(template)
    expect(data).toEqual({ spec: { template: { ...template, $patch: 'replace' } } })
    expect(templateOfRevision({ data, revision: 1 } as RevisionObj)).toEqual(template)
  })
  it('parses ordinals and names claims', () => {
    expect(ordinalOf('web', 'web-3')).toBe(3)
    expect(ordinalOf('web', 'web-x-3')).toBe(-1)
    expect(ordinalOf('web', 'webby-3')).toBe(-1)
    expect(claimName('data', 'web', 2)).toBe('data-web-2')
  })
})

describe('labelsEqual', () => {
  it('agrees with semanticEqual on label maps: absent, null and empty alike, order ignored', () => {
    const maps: (Record<string, string | null> | undefined)[] = [
      undefined,
      {},
      { app: 'web' },
      { app: 'web', tier: 'front' },
      { tier: 'front', app: 'web' },
      { app: 'web', tier: null },
      { app: 'db' },
      { app: '' },
      { tier: 'front' },
    ]
    for (const a of maps) for (const b of maps) expect([a, b, labelsEqual(a, b)]).toEqual([a, b, semanticEqual(a, b)])
  })
})
