// Filters and scores of the scheduler framework, on plain objects and an in-memory cache.
import { describe, expect, it } from 'vitest'
import { SchedulerCache } from '../../src-cluster/scheduler/cache'
import { Framework, numFeasibleNodesToFind } from '../../src-cluster/scheduler/framework'
import { FitError, fitErrorMessage } from '../../src-cluster/scheduler/diagnosis'
import { newPodInfo, podRequests } from '../../src-cluster/scheduler/pod-info'
import { DEFAULT_FILTERS, DEFAULT_SCORES } from '../../src-cluster/scheduler/plugins'
import { balancedScore } from '../../src-cluster/scheduler/plugins/balanced-allocation'
import { leastRequested } from '../../src-cluster/scheduler/plugins/node-resources-fit'
import type { CycleContext } from '../../src-cluster/scheduler/types'
import { labelSelectorFromObject } from '../../src-cluster/api/selectors'
import type { NodeObj, PodObj } from '../../src-cluster/kit/objects'

function node(
  name: string,
  o: {
    cpu?: string
    memory?: string
    pods?: string
    labels?: Record<string, string>
    taints?: NodeObj['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never
    unschedulable?: boolean
  } = {},
): NodeObj {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', 'ephemeral-storage': '100Gi' }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { capacity: alloc, allocatable: alloc },
  }
}

type Spec = NonNullable<PodObj['spec']>
function pod(name: string, spec: Partial<Spec> & { cpu?: string; memory?: string } = {}, labels: Record<string, string> = {}, ns = 'default'): PodObj {
  const { cpu, memory, ...rest } = spec
  const requests: Record<string, string> = {}
  if (cpu) requests.cpu = cpu
  if (memory) requests.memory = memory
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, uid: `uid-${name}` },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...rest },
  }
}

function cluster(nodes: NodeObj[], bound: [PodObj, string][] = []): SchedulerCache {
  const c = new SchedulerCache()
  for (const n of nodes) c.setNode(n)
  for (const [p, n] of bound) c.addPod({ ...p, spec: { ...p.spec!, nodeName: n } })
  return c
}

function run(cache: SchedulerCache, p: PodObj, random = () => 0.5): string {
  const fw = new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES, random })
  return fw.schedule({ pod: newPodInfo(p), cache }).node
}

function failure(cache: SchedulerCache, p: PodObj): FitError {
  const fw = new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES })
  try {
    fw.schedule({ pod: newPodInfo(p), cache })
  } catch (e) {
    if (e instanceof FitError) return e
    throw e
  }
  throw new Error('pod was scheduled, expected it not to fit')
}

describe('pod requests', () => {
  it('sums containers, takes the largest init container, adds overhead', () => {
    const p = pod('p')
    p.spec!.containers = [
      { name: 'a', resources: { requests: { cpu: '200m', memory: '100Mi' } } },
      { name: 'b', resources: { requests: { cpu: '300m' } } },
    ]
    p.spec!.initContainers = [{ name: 'i', resources: { requests: { cpu: '1', memory: '50Mi' } } }]
    p.spec!.overhead = { cpu: '100m' }
    const r = podRequests(p)
    expect(r.milliCPU).toBe(1100)
    expect(r.memory).toBe(100 * 1024 * 1024)
  })
  it('uses upstream defaults for scoring pods without requests', () => {
    const info = newPodInfo(pod('p'))
    expect(info.requests.milliCPU).toBe(0)
    expect(info.nonZeroCPU).toBe(100)
    expect(info.nonZeroMemory).toBe(200 * 1024 * 1024)
  })
})

describe('filters', () => {
  it('NodeResourcesFit counts bound pods and reports every insufficient resource', () => {
    const c = cluster([node('n1', { cpu: '1', memory: '1Gi' })], [[pod('old', { cpu: '800m', memory: '900Mi' }), 'n1']])
    const e = failure(c, pod('new', { cpu: '500m', memory: '500Mi' }))
    expect(e.message).toBe('0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.')
    expect(run(cluster([node('n1', { cpu: '1', memory: '1Gi' })]), pod('new', { cpu: '500m' }))).toBe('n1')
  })

  it('NodeResourcesFit keeps pods that request CPU off a node that reports no CPU', () => {
    const noCpu: NodeObj = { ...node('nocpu'), status: { capacity: { memory: '8Gi', pods: '110' }, allocatable: { memory: '8Gi', pods: '110' } } }
    expect(failure(cluster([noCpu]), pod('p', { cpu: '100m' })).message).toBe('0/1 nodes are available: 1 Insufficient cpu.')
    const bare: NodeObj = { ...node('bare'), status: {} }
    expect(failure(cluster([bare]), pod('p', { cpu: '100m' })).message).toBe('0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods.')
    // A pod that asks for no CPU still fits where there is room for pods.
    expect(run(cluster([noCpu]), pod('q'))).toBe('nocpu')
  })

  it('NodeResourcesFit honours the pods count', () => {
    const c = cluster([node('n1', { pods: '1' })], [[pod('old'), 'n1']])
    expect(failure(c, pod('new')).message).toBe('0/1 nodes are available: 1 Too many pods.')
  })

  it('assumed pods take resources before they are bound', () => {
    const c = cluster([node('n1', { cpu: '1' }), node('n2', { cpu: '1' })])
    const a = newPodInfo(pod('a', { cpu: '700m' }))
    c.assumePod(a, run(c, a.pod))
    const second = run(c, pod('b', { cpu: '700m' }))
    expect(second).not.toBe(c.nodeOfPod(a.key))
    c.forgetPod(a.key)
    expect(c.getNode('n1')!.requested.milliCPU + c.getNode('n2')!.requested.milliCPU).toBe(0)
  })

  it('taints: NoSchedule and NoExecute must be tolerated; the message names the taint', () => {
    const cp = node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })
    const c = cluster([cp, node('w1', { cpu: '1' }), node('w2', { cpu: '1' })])
    const e = failure(c, pod('big', { cpu: '2' }))
    expect(e.message).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.')
    const tolerant = pod('t', { cpu: '2', tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] })
    expect(run(c, tolerant)).toBe('cp')
    const ne = cluster([node('n', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] })])
    expect(failure(ne, pod('p')).message).toBe('0/1 nodes are available: 1 node(s) had untolerated taint {k: v}.')
    expect(run(ne, pod('p', { tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] }))).toBe('n')
  })

  it('cordoned nodes are skipped unless the unschedulable taint is tolerated', () => {
    const c = cluster([node('n', { unschedulable: true })])
    expect(failure(c, pod('p')).message).toBe('0/1 nodes are available: 1 node(s) were unschedulable.')
    expect(run(c, pod('ds', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }))).toBe('n')
  })

  it('nodeSelector and required node affinity (terms ORed, expressions ANDed, Gt/Lt, matchFields)', () => {
    const c = cluster([node('a', { labels: { disk: 'ssd', gen: '3' } }), node('b', { labels: { disk: 'hdd', gen: '5' } }), node('c')])
    expect(run(c, pod('p', { nodeSelector: { disk: 'ssd' } }))).toBe('a')
    const gt = pod('q', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }] },
        },
      },
    })
    expect(run(c, gt)).toBe('b')
    const or = pod('r', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] },
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['zzz'] }] },
            ],
          },
        },
      },
    })
    expect(run(c, or)).toBe('c')
    expect(failure(c, pod('s', { nodeSelector: { disk: 'nvme' } })).message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    )
  })

  it('host ports conflict on the same protocol and port', () => {
    const withPort = (name: string, hostIP?: string) => {
      const p = pod(name)
      p.spec!.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080, hostIP }]
      return p
    }
    const c = cluster([node('n1'), node('n2')], [[withPort('a'), 'n1']])
    expect(run(c, withPort('b'))).toBe('n2')
    c.addPod({ ...withPort('c'), spec: { ...withPort('c').spec!, nodeName: 'n2' } })
    expect(failure(c, withPort('d', '10.0.0.1')).message).toBe("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.")
  })

  it('required anti-affinity spreads replicas one per host, then fits nowhere', () => {
    const anti = (name: string) =>
      pod(
        name,
        {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
            },
          },
        },
        { app: 'web' },
      )
    const c = cluster([node('n1'), node('n2'), node('n3')])
    const used = new Set<string>()
    for (const name of ['w1', 'w2', 'w3']) {
      const p = anti(name)
      const n = run(c, p)
      used.add(n)
      c.addPod({ ...p, spec: { ...p.spec!, nodeName: n } })
    }
    expect(used.size).toBe(3)
    expect(failure(c, anti('w4')).message).toBe("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")
    // A pod without anti-affinity of its own is still kept away by the existing pods' terms.
    expect(failure(c, pod('plain', {}, { app: 'web' })).message).toBe("0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.")
  })

  it('required affinity follows matching pods across a zone; the first pod of a group may go anywhere', () => {
    const c = cluster([
      node('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
      node('a2', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
      node('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } }),
    ])
    const aff = (name: string) =>
      pod(
        name,
        {
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' },
              ],
            },
          },
        },
        { app: 'cache' },
      )
    const first = run(c, aff('c1'))
    expect(['a1', 'a2', 'b1']).toContain(first)
    c.addPod({ ...pod('db', {}, { app: 'cache' }), spec: { ...pod('db').spec!, nodeName: 'b1' } })
    // Now a pod matches, in zone b only.
    expect(run(c, aff('c2'))).toBe('b1')
    const other = pod('o', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'none' } }, topologyKey: 'topology.kubernetes.io/zone' }],
        },
      },
    })
    expect(failure(c, other).message).toBe("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.")
  })

  it('topology spread DoNotSchedule bounds the skew', () => {
    const spread = (name: string) =>
      pod(
        name,
        {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } } },
          ],
        },
        { app: 's' },
      )
    const c = cluster([node('n1'), node('n2')], [[pod('x', {}, { app: 's' }), 'n1']])
    expect(run(c, spread('p'))).toBe('n2')
    // nodeAffinityPolicy Ignore: n2 counts as an (empty) domain although the pod may not go there.
    const x = (name: string) => pod(name, {}, { app: 's' })
    const ignore = pod(
      'q',
      {
        nodeSelector: { disk: 'ssd' },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            nodeAffinityPolicy: 'Ignore',
            labelSelector: { matchLabels: { app: 's' } },
          },
        ],
      },
      { app: 's' },
    )
    const bare: NodeObj = { ...node('bare'), metadata: { name: 'bare', labels: { disk: 'ssd' } } }
    const d = cluster([node('n1', { labels: { disk: 'ssd' } }), node('n2'), bare], [[x('x1'), 'n1']])
    expect(failure(d, ignore).message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label).",
    )
  })
})

describe('scores', () => {
  it('least allocated and balanced allocation follow upstream arithmetic', () => {
    expect(leastRequested(1000, 4000)).toBe(75)
    expect(leastRequested(5000, 4000)).toBe(0)
    expect(balancedScore([0.5, 0.5])).toBe(100)
    expect(balancedScore([0.2, 0.6])).toBe(80)
  })

  it('prefers the emptier node', () => {
    const c = cluster([node('busy'), node('idle')], [[pod('x', { cpu: '3', memory: '6Gi' }), 'busy']])
    expect(run(c, pod('p', { cpu: '100m', memory: '100Mi' }))).toBe('idle')
  })

  it('PreferNoSchedule taints and preferred node affinity steer placement', () => {
    const c = cluster([node('tainted', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }), node('clean')])
    for (let i = 0; i < 5; i++) expect(run(c, pod(`p${i}`), () => (i % 2 ? 0.1 : 0.9))).toBe('clean')
    const d = cluster([node('a', { labels: { tier: 'gold' } }), node('b')])
    const pref = pod('q', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 50, preference: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } },
          ],
        },
      },
    })
    expect(run(d, pref)).toBe('a')
  })

  it('preferred pod anti-affinity and default spreading keep a workload apart', () => {
    const c = cluster([node('n1'), node('n2')], [[pod('w0', {}, { app: 'web' }), 'n1']])
    const pref = pod(
      'w1',
      {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
            ],
          },
        },
      },
      { app: 'web' },
    )
    expect(run(c, pref)).toBe('n2')
    // Default spreading: with a selector for the workload, the node without its pods wins.
    const ctx: CycleContext = {
      pod: newPodInfo(pod('w2', {}, { app: 'web' })),
      cache: c,
      defaultSpreadSelector: () => labelSelectorFromObject({ matchLabels: { app: 'web' } }),
    }
    const fw = new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES })
    expect(fw.schedule(ctx).node).toBe('n2')
  })

  it('ties are broken by the random source', () => {
    const c = cluster([node('n1'), node('n2'), node('n3')])
    const seen = new Set<string>()
    for (const r of [0, 0.4, 0.99]) seen.add(run(c, pod('p'), () => r))
    expect(seen.size).toBeGreaterThan(1)
  })
})

describe('sampling and messages', () => {
  it('finds all nodes below 100, then an adaptive share with a floor of 100', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50)
    expect(numFeasibleNodesToFind(100)).toBe(100) // 50% of 100 nodes is below the floor of 100
    expect(numFeasibleNodesToFind(1000)).toBe(420)
    expect(numFeasibleNodesToFind(5000)).toBe(500)
    expect(numFeasibleNodesToFind(1000, 10)).toBe(100)
  })

  it('evaluates only the sample on large clusters, rotating the start', () => {
    const c = cluster(Array.from({ length: 1000 }, (_, i) => node(`n${String(i).padStart(4, '0')}`)))
    const fw = new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES })
    const r1 = fw.schedule({ pod: newPodInfo(pod('a')), cache: c })
    expect(r1.evaluatedNodes).toBe(420)
    expect(r1.feasibleNodes).toBe(420)
  })

  it('sorts reason counts as strings and says when there are no nodes', () => {
    const m = new Map<string, string[]>([
      ['a', ['Insufficient memory', 'Insufficient cpu']],
      ['b', ['Insufficient cpu']],
    ])
    expect(fitErrorMessage(2, m)).toBe('0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.')
    expect(fitErrorMessage(0, new Map())).toBe('no nodes available to schedule pods')
  })
})

describe('VolumeBinding', () => {
  const withClaim = (claim: string): PodObj => pod('db-0', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] })
  function volumes(c: SchedulerCache): void {
    c.volumes = {
      claim: (ns, name) =>
        ns === 'default' && name === 'data-db-0'
          ? { metadata: { name }, spec: { volumeName: 'pvc-1' } }
          : name === 'fresh'
            ? { metadata: { name }, spec: {} }
            : undefined,
      volume: (name) =>
        name === 'pvc-1'
          ? {
              metadata: { name },
              spec: {
                local: { path: '/v' },
                nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } },
              },
            }
          : undefined,
    }
  }

  it('sends a pod to the node its bound local volume is pinned to', () => {
    const c = cluster([node('n1'), node('n2'), node('n3')])
    volumes(c)
    for (let i = 0; i < 5; i++) expect(run(c, withClaim('data-db-0'), () => i / 5)).toBe('n2')
  })

  it('keeps a pod whose claim does not exist pending, and lets unbound claims go anywhere', () => {
    const c = cluster([node('n1'), node('n2')])
    volumes(c)
    expect(failure(c, withClaim('missing')).message).toContain('persistentvolumeclaim "missing" not found')
    expect(['n1', 'n2']).toContain(run(c, withClaim('fresh')))
  })
})
