// Preemption's choices (which node, which victims, when not to) and nominated pods, on plain
// objects and an in-memory scheduler cache. The API-level behaviour is in
// test/integration/scheduler-preemption.test.ts.
import { describe, expect, it } from 'vitest'
import { SchedulerCache } from '../../src-cluster/scheduler/cache'
import { FitError } from '../../src-cluster/scheduler/diagnosis'
import { Framework } from '../../src-cluster/scheduler/framework'
import { newPodInfo } from '../../src-cluster/scheduler/pod-info'
import { DEFAULT_FILTERS, DEFAULT_SCORES } from '../../src-cluster/scheduler/plugins'
import { MSG_POLICY_NEVER, MSG_TERMINATING, pdbView, preempt, type PreemptionOutcome } from '../../src-cluster/scheduler/preemption'
import type { CycleContext, PodInfo } from '../../src-cluster/scheduler/types'
import type { NodeObj, PodObj } from '../../src-cluster/kit/objects'

function node(name: string, cpu = '2', extra: Partial<NonNullable<NodeObj['spec']>> = {}): NodeObj {
  const alloc = { cpu, memory: '8Gi', pods: '110' }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: extra,
    status: { capacity: alloc, allocatable: alloc },
  }
}

function pod(
  name: string,
  cpu: string,
  priority: number,
  o: { labels?: Record<string, string>; spec?: Partial<NonNullable<PodObj['spec']>>; started?: string } = {},
): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: o.labels ?? {} },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], priority, ...o.spec },
    status: o.started ? { startTime: o.started } : {},
  }
}

function cluster(nodes: NodeObj[], bound: [PodObj, string][]): SchedulerCache {
  const c = new SchedulerCache()
  for (const n of nodes) c.setNode(n)
  for (const [p, n] of bound) c.addPod({ ...p, spec: { ...p.spec!, nodeName: n } })
  return c
}

const fw = (): Framework => new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES, random: () => 0 })

function attempt(
  cache: SchedulerCache,
  p: PodObj,
  o: { pdbs?: ReturnType<typeof pdbView>[]; nominated?: Map<string, PodInfo[]>; nominatedNode?: string } = {},
): PreemptionOutcome {
  const framework = fw()
  const ctx: CycleContext = { pod: newPodInfo(p), cache, nominatedPods: (n) => o.nominated?.get(n) ?? [] }
  let fit: FitError
  try {
    framework.schedule(ctx)
    throw new Error('the pod fits without preemption')
  } catch (e) {
    if (!(e instanceof FitError)) throw e
    fit = e
  }
  return preempt({ framework, ctx, fit, nominatedNode: o.nominatedNode, pdbs: (ns) => (o.pdbs ?? []).filter((b) => b.namespace === ns), random: () => 0 })
}

const victimsOf = (o: PreemptionOutcome): string[] => (o.candidate ? o.candidate.victims.map((v) => v.key) : [])

describe('preemption', () => {
  it('picks the node needing the fewest victims', () => {
    const cache = cluster(
      [node('a'), node('b')],
      [
        [pod('a1', '1', 10), 'a'],
        [pod('a2', '1', 10), 'a'],
        [pod('b1', '2', 10), 'b'],
      ],
    )
    const out = attempt(cache, pod('big', '2', 100))
    expect(out.candidate?.node).toBe('b')
    expect(victimsOf(out)).toEqual(['default/b1'])
  })

  it('evicts only what it must, lowest priority first, and leaves the cache as it was', () => {
    const cache = cluster(
      [node('a', '4')],
      [
        [pod('p1', '1', 1), 'a'],
        [pod('p5', '1', 5), 'a'],
        [pod('p10', '2', 10), 'a'],
      ],
    )
    cache.assumePod(newPodInfo({ ...pod('assumed', '0', 1000), spec: { ...pod('assumed', '0', 1000).spec!, nodeName: 'a' } }), 'a')
    const before = { ...cache.getNode('a')!.requested, pods: [...cache.getNode('a')!.pods.keys()].sort() }
    const out = attempt(cache, pod('crit', '1', 100))
    expect(victimsOf(out)).toEqual(['default/p1'])
    const ni = cache.getNode('a')!
    expect({ ...ni.requested, pods: [...ni.pods.keys()].sort() }).toEqual(before)
    expect(cache.isAssumed('default/assumed')).toBe(true)
  })

  it('prefers the node whose most important victim has the lowest priority', () => {
    const cache = cluster(
      [node('a'), node('b')],
      [
        [pod('a1', '2', 50), 'a'],
        [pod('b1', '2', 20), 'b'],
      ],
    )
    expect(attempt(cache, pod('crit', '1', 100)).candidate?.node).toBe('b')
  })

  it('spares pods a PodDisruptionBudget protects when another node will do (best effort)', () => {
    const cache = cluster(
      [node('a'), node('b')],
      [
        [pod('guarded', '2', 10, { labels: { app: 'guarded' } }), 'a'],
        [pod('free', '2', 50, { labels: { app: 'free' } }), 'b'],
      ],
    )
    const pdb = pdbView({
      metadata: { name: 'g', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'guarded' } } },
      status: { disruptionsAllowed: 0 },
    })
    const out = attempt(cache, pod('crit', '1', 100), { pdbs: [pdb] })
    expect(out.candidate).toMatchObject({ node: 'b', pdbViolations: 0 })
    // With the budget the only way, it still preempts, counting the violation.
    const only = cluster([node('a')], [[pod('guarded', '2', 10, { labels: { app: 'guarded' } }), 'a']])
    expect(attempt(only, pod('crit', '1', 100), { pdbs: [pdb] }).candidate).toMatchObject({ node: 'a', pdbViolations: 1 })
  })

  it('never evicts pods of equal or higher priority, nor helps where no eviction can', () => {
    const cache = cluster([node('a'), node('t', '2', { taints: [{ key: 'x', effect: 'NoSchedule' }] })], [[pod('peer', '2', 100), 'a']])
    const out = attempt(cache, pod('crit', '1', 100))
    expect(out).toEqual({
      message: '0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
      clearNomination: true,
    })
  })

  it('honours preemptionPolicy: Never', () => {
    const cache = cluster([node('a')], [[pod('low', '2', 1), 'a']])
    expect(attempt(cache, pod('polite', '1', 100, { spec: { preemptionPolicy: 'Never' } }))).toEqual({ message: MSG_POLICY_NEVER, clearNomination: false })
  })

  it('waits while its earlier victims terminate on the nominated node', () => {
    const low = pod('low', '2', 1)
    const victim: PodObj = {
      ...low,
      metadata: { ...low.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
      status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
    }
    const cache = cluster([node('a')], [[victim, 'a']])
    expect(attempt(cache, pod('crit', '1', 100), { nominatedNode: 'a' })).toEqual({ message: MSG_TERMINATING, clearNomination: false })
  })

  it('keeps a nominated node for its pod: lower priorities do not fit there, higher ones do', () => {
    const cache = cluster([node('a')], [[pod('half', '1', 0), 'a']])
    const nominee = newPodInfo(pod('nominee', '1', 100))
    const ctxFor = (p: PodObj): CycleContext => ({
      pod: newPodInfo(p),
      cache,
      nominatedPods: (n) => (n === 'a' ? [nominee].filter((x) => x.priority >= (p.spec?.priority ?? 0)) : []),
    })
    expect(() => fw().schedule(ctxFor(pod('sneaky', '1', 50)))).toThrow('0/1 nodes are available: 1 Insufficient cpu.')
    expect(fw().schedule(ctxFor(pod('urgent', '1', 200))).node).toBe('a')
    expect(cache.getNode('a')!.pods.size).toBe(1)
  })
})
