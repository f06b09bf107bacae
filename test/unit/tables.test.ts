import { describe, expect, it } from 'vitest'
import { ageSince, humanDuration } from '../../src-cluster/api/age'
import type { KubeObject } from '../../src-cluster/api/object'
import { RESOURCES, findResource, type ResourceInfo } from '../../src-cluster/api/resources'
import { columnsFor, hasPrinter, rowFor, toTable } from '../../src-cluster/api/tables'

const NOW = new Date('2026-01-01T01:00:00Z')
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString()

function res(group: string, kind: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.kind === kind)
  if (!r) throw new Error(`resource ${group}/${kind} not served`)
  return r
}

/** Row cells keyed by column name (lower case), so assertions read like kubectl output. */
function cellsOf(r: ResourceInfo, obj: KubeObject): Record<string, unknown> {
  const cols = columnsFor(r)
  const { cells } = rowFor(r, obj, NOW, 'None')
  expect(cells).toHaveLength(cols.length)
  return Object.fromEntries(cols.map((c, i) => [c.name.toLowerCase(), cells[i]]))
}

describe('humanDuration (apimachinery HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [5_000, '5s'],
    [119_999, '119s'],
    [125_000, '2m5s'],
    [180_000, '3m'],
    [15 * 60_000, '15m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000, '3h'],
    [2.5 * 3600_000, '150m'],
    [5.5 * 3600_000, '5h30m'],
    [9 * 3600_000, '9h'],
    [47 * 3600_000, '47h'],
    [48 * 3600_000, '2d'],
    [(3 * 24 + 4) * 3600_000, '3d4h'],
    [8 * 24 * 3600_000, '8d'],
    [400 * 24 * 3600_000, '400d'],
    [730 * 24 * 3600_000, '2y'],
    [735 * 24 * 3600_000, '2y5d'],
    [9 * 365 * 24 * 3600_000, '9y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text)
  })

  it('says <unknown> for a missing timestamp', () => {
    expect(ageSince(undefined, NOW)).toBe('<unknown>')
    expect(ageSince('0001-01-01T00:00:00Z', NOW)).toBe('<unknown>')
    expect(ageSince(ago(300), NOW)).toBe('5m')
  })
})

describe('pods', () => {
  const P = res('', 'Pod')
  const base = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(600), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  })
  const running = { running: { startedAt: ago(500) } }

  it('prints a pending pod with wide defaults', () => {
    expect(cellsOf(P, base({ phase: 'Pending' }))).toEqual({
      name: 'web',
      ready: '0/1',
      status: 'Pending',
      restarts: '0',
      age: '10m',
      ip: '<none>',
      node: '<none>',
      'nominated node': '<none>',
      'readiness gates': '<none>',
    })
  })

  it('ContainerCreating while the image is pulled', () => {
    const pod = base(
      { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
      { nodeName: 'n1' },
    )
    expect(cellsOf(P, pod)).toMatchObject({ status: 'ContainerCreating', node: 'n1' })
  })

  it('Running and ready, with IP and readiness gates', () => {
    const pod = base(
      {
        phase: 'Running',
        podIP: '10.244.1.7',
        podIPs: [{ ip: '10.244.1.7' }],
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'example.com/gate', status: 'False' },
        ],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
      },
      { nodeName: 'n1', readinessGates: [{ conditionType: 'example.com/gate' }] },
    )
    expect(cellsOf(P, pod)).toMatchObject({ ready: '1/1', status: 'Running', restarts: '0', ip: '10.244.1.7', 'readiness gates': '0/1' })
  })

  it('CrashLoopBackOff with restarts and how long ago the last one was', () => {
    const pod = base({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
        },
      ],
    })
    expect(cellsOf(P, pod)).toMatchObject({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (30s ago)' })
  })

  it('Completed and Error for finished pods, with row conditions', () => {
    const done = base({
      phase: 'Succeeded',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    })
    expect(cellsOf(P, done)).toMatchObject({ status: 'Completed', ready: '0/1' })
    expect(rowFor(P, done, NOW, 'None').conditions).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ])
    const failed = base({
      phase: 'Failed',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }],
    })
    expect(cellsOf(P, failed)).toMatchObject({ status: 'Error' })
    expect(rowFor(P, failed, NOW, 'None').conditions?.[0]?.reason).toBe('Failed')
    const noReason = base({
      phase: 'Failed',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }],
    })
    expect(cellsOf(P, noReason)).toMatchObject({ status: 'Signal:9' })
  })

  it('Terminating once deletion started, Unknown when the node is lost', () => {
    const status = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }
    expect(cellsOf(P, base(status, {}, { deletionTimestamp: ago(2) }))).toMatchObject({ status: 'Terminating' })
    expect(cellsOf(P, base({ ...status, reason: 'NodeLost' }, {}, { deletionTimestamp: ago(2) }))).toMatchObject({ status: 'Unknown' })
    // A finished pod being deleted keeps its final status.
    const done = {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'app', restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    }
    expect(cellsOf(P, base(done, {}, { deletionTimestamp: ago(2) }))).toMatchObject({ status: 'Completed' })
  })

  const initSpec = {
    initContainers: [
      { name: 'migrate', image: 'busybox' },
      { name: 'seed', image: 'busybox' },
    ],
  }

  it('Init:0/2 while the first init container runs, Init:1/2 after it finished', () => {
    const first = base(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', ready: false, restartCount: 0, state: running },
          { name: 'seed', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      },
      initSpec,
    )
    expect(cellsOf(P, first)).toMatchObject({ status: 'Init:0/2', ready: '0/1' })
    const second = base(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'seed', ready: false, restartCount: 0, state: running },
        ],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
      initSpec,
    )
    expect(cellsOf(P, second)).toMatchObject({ status: 'Init:1/2' })
  })

  it('Init:Error and Init:CrashLoopBackOff count init restarts', () => {
    const err = base(
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'migrate', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      },
      initSpec,
    )
    expect(cellsOf(P, err)).toMatchObject({ status: 'Init:Error' })
    const loop = base(
      {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'migrate',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(12) } },
          },
        ],
      },
      initSpec,
    )
    expect(cellsOf(P, loop)).toMatchObject({ status: 'Init:CrashLoopBackOff', restarts: '3 (12s ago)' })
    const code = base(
      { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] },
      initSpec,
    )
    expect(cellsOf(P, code)).toMatchObject({ status: 'Init:ExitCode:3' })
  })

  it('PodInitializing once init containers are done', () => {
    const pod = base(
      {
        phase: 'Pending',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [
          { name: 'migrate', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'seed', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
      initSpec,
    )
    expect(cellsOf(P, pod)).toMatchObject({ status: 'PodInitializing', ready: '0/1' })
  })

  it('NotReady when one container completed and another still runs without pod readiness', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [
        { name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'app', ready: true, restartCount: 0, state: running },
      ],
    }
    const spec = { containers: [{ name: 'job' }, { name: 'app' }] }
    expect(cellsOf(P, base(status, spec))).toMatchObject({ status: 'NotReady', ready: '1/2' })
    const readyStatus = { ...status, conditions: [{ type: 'Ready', status: 'True' }] }
    expect(cellsOf(P, base(readyStatus, spec))).toMatchObject({ status: 'Running' })
  })

  it('counts started sidecars (restartable init containers) as containers', () => {
    const pod = base(
      {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        initContainerStatuses: [
          { name: 'proxy', ready: true, started: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(90) } } },
        ],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
      },
      { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] },
    )
    expect(cellsOf(P, pod)).toMatchObject({ status: 'Running', ready: '2/2', restarts: '1 (90s ago)' })
  })

  it('SchedulingGated from the PodScheduled condition', () => {
    const pod = base({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] })
    expect(cellsOf(P, pod)).toMatchObject({ status: 'SchedulingGated' })
  })

  it('has the upstream column names and priorities', () => {
    expect(columnsFor(P).map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0',
      'Ready:0',
      'Status:0',
      'Restarts:0',
      'Age:0',
      'IP:1',
      'Node:1',
      'Nominated Node:1',
      'Readiness Gates:1',
    ])
    expect(columnsFor(P)[0]).toMatchObject({ type: 'string', format: 'name' })
  })
})

describe('nodes', () => {
  const N = res('', 'Node')
  const node = (conds: { type: string; status: string }[], extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject => ({
    metadata: { name: 'n1', creationTimestamp: ago(3 * 86400 + 4 * 3600), labels },
    spec: extra,
    status: {
      conditions: conds,
      addresses: [
        { type: 'InternalIP', address: '192.168.64.10' },
        { type: 'Hostname', address: 'n1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0-kubelab',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'containerd://1.6.20',
      },
    },
  })

  it('Ready control-plane node, with wide cells', () => {
    const cells = cellsOf(
      N,
      node(
        [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        {},
        { 'node-role.kubernetes.io/control-plane': '' },
      ),
    )
    expect(cells).toEqual({
      name: 'n1',
      status: 'Ready',
      roles: 'control-plane',
      age: '3d4h',
      version: 'v1.32.0-kubelab',
      'internal-ip': '192.168.64.10',
      'external-ip': '<none>',
      'os-image': 'Debian GNU/Linux 12 (bookworm)',
      'kernel-version': '6.1.0',
      'container-runtime': 'containerd://1.6.20',
    })
  })

  it('NotReady, Unknown and SchedulingDisabled', () => {
    expect(cellsOf(N, node([{ type: 'Ready', status: 'False' }]))).toMatchObject({ status: 'NotReady', roles: '<none>' })
    expect(cellsOf(N, node([{ type: 'Ready', status: 'Unknown' }]))).toMatchObject({ status: 'NotReady' })
    expect(cellsOf(N, node([]))).toMatchObject({ status: 'Unknown' })
    expect(cellsOf(N, node([{ type: 'Ready', status: 'True' }], { unschedulable: true }))).toMatchObject({ status: 'Ready,SchedulingDisabled' })
  })

  it('sorts roles from both label styles', () => {
    const labels = { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/': 'x' }
    expect(cellsOf(N, node([{ type: 'Ready', status: 'True' }], {}, labels))).toMatchObject({ roles: 'edge,worker' })
  })
})

describe('services and endpoints', () => {
  const S = res('', 'Service')
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(45) },
    spec,
    status,
  })

  it('ClusterIP and NodePort', () => {
    expect(
      cellsOf(
        S,
        svc({
          type: 'ClusterIP',
          clusterIP: '10.96.0.20',
          clusterIPs: ['10.96.0.20'],
          ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
          selector: { app: 'web' },
        }),
      ),
    ).toEqual({
      name: 'web',
      type: 'ClusterIP',
      'cluster-ip': '10.96.0.20',
      'external-ip': '<none>',
      'port(s)': '80/TCP',
      age: '45s',
      selector: 'app=web',
    })
    const np = svc({
      type: 'NodePort',
      clusterIPs: ['10.96.0.21'],
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    })
    expect(cellsOf(S, np)).toMatchObject({ 'port(s)': '80:30080/TCP,53/UDP', selector: '<none>' })
  })

  it('LoadBalancer pending or with addresses, ExternalName, headless', () => {
    expect(cellsOf(S, svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.22'], ports: [] }))).toMatchObject({ 'external-ip': '<pending>', 'port(s)': '<none>' })
    expect(cellsOf(S, svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.22'] }, { loadBalancer: { ingress: [{ ip: '192.168.64.200' }] } }))).toMatchObject({
      'external-ip': '192.168.64.200',
    })
    expect(cellsOf(S, svc({ type: 'ExternalName', externalName: 'example.com' }))).toMatchObject({ 'external-ip': 'example.com', 'cluster-ip': '<none>' })
    expect(cellsOf(S, svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }))).toMatchObject({ 'cluster-ip': 'None' })
  })

  it('Endpoints list ip:port, three at most', () => {
    const E = res('', 'Endpoints')
    const ep = (subsets: unknown[]): KubeObject => ({ metadata: { name: 'web', creationTimestamp: ago(10) }, subsets })
    expect(cellsOf(E, ep([]))).toMatchObject({ endpoints: '<none>' })
    const addrs = ['10.244.1.2', '10.244.1.3', '10.244.2.4', '10.244.2.5'].map((ip) => ({ ip }))
    expect(cellsOf(E, ep([{ addresses: addrs.slice(0, 2), ports: [{ port: 8080, protocol: 'TCP' }] }]))).toMatchObject({
      endpoints: '10.244.1.2:8080,10.244.1.3:8080',
    })
    expect(cellsOf(E, ep([{ addresses: addrs, ports: [{ port: 8080 }] }]))).toMatchObject({
      endpoints: '10.244.1.2:8080,10.244.1.3:8080,10.244.2.4:8080 + 1 more...',
    })
    expect(cellsOf(E, ep([{ addresses: addrs.slice(0, 1) }]))).toMatchObject({ endpoints: '10.244.1.2' })
  })

  it('EndpointSlice ports and addresses', () => {
    const ES = res('discovery.k8s.io', 'EndpointSlice')
    const es: KubeObject = {
      metadata: { name: 'web-abc', creationTimestamp: ago(10) },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.244.1.2'] }, { addresses: ['10.244.1.3'] }],
    }
    expect(cellsOf(ES, es)).toMatchObject({ addresstype: 'IPv4', ports: '80', endpoints: '10.244.1.2,10.244.1.3' })
    expect(cellsOf(ES, { metadata: { name: 'e' }, addressType: 'IPv4' })).toMatchObject({ ports: '<unset>', endpoints: '<unset>' })
  })
})

describe('workloads', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'nginx', image: 'nginx:1.27' },
        { name: 'log', image: 'busybox' },
      ],
    },
  }

  it('Deployment READY UP-TO-DATE AVAILABLE and wide cells', () => {
    const d: KubeObject = {
      metadata: { name: 'web', creationTimestamp: ago(125) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    }
    expect(cellsOf(res('apps', 'Deployment'), d)).toEqual({
      name: 'web',
      ready: '2/3',
      'up-to-date': 3,
      available: 2,
      age: '2m5s',
      containers: 'nginx,log',
      images: 'nginx:1.27,busybox',
      selector: 'app=web',
    })
    expect(cellsOf(res('apps', 'Deployment'), { metadata: { name: 'x' }, spec: {}, status: {} })).toMatchObject({ ready: '0/1', 'up-to-date': 0 })
  })

  it('ReplicaSet, DaemonSet, StatefulSet', () => {
    const rs: KubeObject = {
      metadata: { name: 'web-7d4b9' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9' } }, template },
      status: { replicas: 2, readyReplicas: 1 },
    }
    expect(cellsOf(res('apps', 'ReplicaSet'), rs)).toMatchObject({
      desired: 2,
      current: 2,
      ready: 1,
      age: '<unknown>',
      selector: 'app=web,pod-template-hash=7d4b9',
    })
    const ds: KubeObject = {
      metadata: { name: 'proxy' },
      spec: { selector: { matchLabels: { k: 'p' } }, template: { spec: { containers: [], nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    }
    expect(cellsOf(res('apps', 'DaemonSet'), ds)).toMatchObject({ desired: 3, ready: 2, 'node selector': 'kubernetes.io/os=linux', selector: 'k=p' })
    const sts: KubeObject = { metadata: { name: 'db' }, spec: { replicas: 3, template }, status: { readyReplicas: 3 } }
    expect(cellsOf(res('apps', 'StatefulSet'), sts)).toMatchObject({ ready: '3/3', containers: 'nginx,log' })
  })

  it('ControllerRevision shows its controller as kind.group/name', () => {
    const cr: KubeObject = {
      metadata: { name: 'proxy-5d8f', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'proxy', controller: true, uid: 'u' }] },
      revision: 2,
    }
    expect(cellsOf(res('apps', 'ControllerRevision'), cr)).toMatchObject({ controller: 'daemonset.apps/proxy', revision: 2 })
  })

  it('Job STATUS COMPLETIONS DURATION', () => {
    const J = res('batch', 'Job')
    const running: KubeObject = {
      metadata: { name: 'pi', creationTimestamp: ago(20) },
      spec: { completions: 1, template },
      status: { startTime: ago(20), active: 1 },
    }
    expect(cellsOf(J, running)).toMatchObject({ status: 'Running', completions: '0/1', duration: '20s', age: '20s' })
    const done: KubeObject = {
      metadata: { name: 'pi', creationTimestamp: ago(600) },
      spec: { completions: 3, template },
      status: { startTime: ago(600), completionTime: ago(400), succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }] },
    }
    expect(cellsOf(J, done)).toMatchObject({ status: 'Complete', completions: '3/3', duration: '3m20s' })
    const failed: KubeObject = { metadata: { name: 'x' }, spec: { parallelism: 2 }, status: { conditions: [{ type: 'Failed', status: 'True' }] } }
    expect(cellsOf(J, failed)).toMatchObject({ status: 'Failed', completions: '0/1 of 2', duration: '' })
    const suspended: KubeObject = { metadata: { name: 'x' }, spec: {}, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }
    expect(cellsOf(J, suspended)).toMatchObject({ status: 'Suspended' })
  })

  it('CronJob SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE', () => {
    const cj: KubeObject = {
      metadata: { name: 'backup', creationTimestamp: ago(3600) },
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'backup-1' }], lastScheduleTime: ago(65) },
    }
    expect(cellsOf(res('batch', 'CronJob'), cj)).toMatchObject({
      schedule: '*/5 * * * *',
      timezone: '<none>',
      suspend: 'False',
      active: 1,
      'last schedule': '65s',
      age: '60m',
      selector: '<none>',
    })
    expect(cellsOf(res('batch', 'CronJob'), { metadata: { name: 'x' }, spec: { schedule: '@daily' } })).toMatchObject({
      suspend: '<unset>',
      'last schedule': '<none>',
    })
  })

  it('HPA targets like "cpu: 40%/80%"', () => {
    const H = res('autoscaling', 'HorizontalPodAutoscaler')
    const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }
    const hpa = (metrics: unknown[], current: unknown[] = []): KubeObject => ({
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics },
      status: { currentReplicas: 2, currentMetrics: current },
    })
    expect(cellsOf(H, hpa([cpu], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40, averageValue: '40m' } } }]))).toMatchObject({
      reference: 'Deployment/web',
      targets: 'cpu: 40%/80%',
      minpods: '1',
      maxpods: 5,
      replicas: 2,
    })
    expect(cellsOf(H, hpa([cpu]))).toMatchObject({ targets: 'cpu: <unknown>/80%' })
    const mem = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } }
    const pods = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }
    expect(cellsOf(H, hpa([cpu, mem, pods]))).toMatchObject({ targets: 'cpu: <unknown>/80%, memory: <unknown>/200Mi + 1 more...' })
    expect(cellsOf(H, hpa([]))).toMatchObject({ targets: '<none>' })
  })

  it('PodDisruptionBudget', () => {
    const pdb: KubeObject = { metadata: { name: 'web' }, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }
    expect(cellsOf(res('policy', 'PodDisruptionBudget'), pdb)).toMatchObject({ 'min available': '50%', 'max unavailable': 'N/A', 'allowed disruptions': 1 })
  })
})

describe('other kinds', () => {
  it('ConfigMap, Secret, ServiceAccount, Namespace', () => {
    expect(cellsOf(res('', 'ConfigMap'), { metadata: { name: 'cfg' }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toMatchObject({ data: 3 })
    expect(cellsOf(res('', 'Secret'), { metadata: { name: 's' }, type: 'Opaque', data: { a: 'MQ==' } })).toMatchObject({ type: 'Opaque', data: 1 })
    expect(cellsOf(res('', 'ServiceAccount'), { metadata: { name: 'default' } })).toMatchObject({ secrets: 0 })
    expect(cellsOf(res('', 'Namespace'), { metadata: { name: 'dev', creationTimestamp: ago(7200) }, status: { phase: 'Active' } })).toEqual({
      name: 'dev',
      status: 'Active',
      age: '120m',
    })
  })

  it('Event rows: LAST SEEN TYPE REASON OBJECT MESSAGE, wide extras', () => {
    const ev: KubeObject = {
      metadata: { name: 'web.17f', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container\n',
      type: 'Warning',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(20),
      count: 7,
    }
    expect(cellsOf(res('', 'Event'), ev)).toEqual({
      'last seen': '20s',
      type: 'Warning',
      reason: 'BackOff',
      object: 'pod/web',
      subobject: 'spec.containers{app}',
      source: 'kubelet, n1',
      message: 'Back-off restarting failed container',
      'first seen': '5m',
      count: 7,
      name: 'web.17f',
    })
    const fresh: KubeObject = { metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, eventTime: ago(4), reportingComponent: 'scheduler' }
    expect(cellsOf(res('', 'Event'), fresh)).toMatchObject({ 'last seen': '4s', 'first seen': '4s', count: 1, object: 'node', source: 'scheduler' })
    expect(columnsFor(res('', 'Event')).find((c) => c.name === 'Name')?.priority).toBe(1)
  })

  it('events.k8s.io shaped events print through the same columns', () => {
    const info: ResourceInfo = {
      group: 'events.k8s.io',
      version: 'v1',
      kind: 'Event',
      plural: 'events',
      singular: 'event',
      namespaced: true,
      schema: 'io.k8s.api.events.v1.Event',
    }
    expect(hasPrinter(info)).toBe(true)
    const ev: KubeObject = {
      metadata: { name: 'e' },
      regarding: { kind: 'Pod', name: 'p' },
      note: 'Scheduled',
      reason: 'Scheduled',
      type: 'Normal',
      eventTime: ago(3),
      reportingController: 'default-scheduler',
    }
    const { cells } = rowFor(info, ev, NOW, 'None')
    expect(cells.slice(0, 7)).toEqual(['3s', 'Normal', 'Scheduled', 'pod/p', '', 'default-scheduler', 'Scheduled'])
  })

  it('PV and PVC', () => {
    const pv: KubeObject = {
      metadata: { name: 'pv1', creationTimestamp: ago(60) },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'local',
      },
      status: { phase: 'Bound' },
    }
    expect(cellsOf(res('', 'PersistentVolume'), pv)).toMatchObject({
      capacity: '1Gi',
      'access modes': 'RWO,RWX',
      'reclaim policy': 'Retain',
      status: 'Bound',
      claim: 'default/data',
      storageclass: 'local',
      volumeattributesclass: '<unset>',
      volumemode: '<unset>',
    })
    const pvc: KubeObject = {
      metadata: { name: 'data' },
      spec: { storageClassName: 'local', resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    }
    expect(cellsOf(res('', 'PersistentVolumeClaim'), pvc)).toMatchObject({
      status: 'Pending',
      volume: '',
      capacity: '',
      'access modes': '',
      storageclass: 'local',
    })
    const bound = {
      ...pvc,
      spec: { ...(pvc['spec'] as object), volumeName: 'pv1' },
      status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    }
    expect(cellsOf(res('', 'PersistentVolumeClaim'), bound)).toMatchObject({ volume: 'pv1', capacity: '1Gi', 'access modes': 'RWO' })
  })

  it('RBAC bindings, ingress, policies, storage classes, leases', () => {
    const rb: KubeObject = {
      metadata: { name: 'read' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [
        { kind: 'User', name: 'ann' },
        { kind: 'Group', name: 'dev' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
        { kind: 'User', name: 'bob' },
      ],
    }
    expect(cellsOf(res('rbac.authorization.k8s.io', 'RoleBinding'), rb)).toMatchObject({
      role: 'Role/reader',
      users: 'ann, bob',
      groups: 'dev',
      serviceaccounts: 'tools/ci',
    })
    const ing: KubeObject = {
      metadata: { name: 'web' },
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a.test' }, { host: 'b.test' }], tls: [{ hosts: ['a.test'] }] },
    }
    expect(cellsOf(res('networking.k8s.io', 'Ingress'), ing)).toMatchObject({ class: 'nginx', hosts: 'a.test,b.test', address: '', ports: '80, 443' })
    expect(cellsOf(res('networking.k8s.io', 'Ingress'), { metadata: { name: 'x' }, spec: { rules: [{}] } })).toMatchObject({
      class: '<none>',
      hosts: '*',
      ports: '80',
    })
    expect(
      cellsOf(res('networking.k8s.io', 'IngressClass'), {
        metadata: { name: 'nginx' },
        spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } },
      }),
    ).toMatchObject({ parameters: 'IngressParameters.k8s.example.com/p' })
    expect(cellsOf(res('networking.k8s.io', 'NetworkPolicy'), { metadata: { name: 'deny' }, spec: { podSelector: {} } })).toMatchObject({
      'pod-selector': '<none>',
    })
    expect(
      cellsOf(res('networking.k8s.io', 'NetworkPolicy'), { metadata: { name: 'web' }, spec: { podSelector: { matchLabels: { app: 'web' } } } }),
    ).toMatchObject({ 'pod-selector': 'app=web' })
    const sc: KubeObject = {
      metadata: { name: 'local', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubelab.io/hostpath',
    }
    expect(cellsOf(res('storage.k8s.io', 'StorageClass'), sc)).toMatchObject({
      name: 'local (default)',
      reclaimpolicy: 'Delete',
      volumebindingmode: 'Immediate',
      allowvolumeexpansion: false,
    })
    expect(cellsOf(res('coordination.k8s.io', 'Lease'), { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1' } })).toMatchObject({ holder: 'n1' })
  })

  it('kinds without a printer get Name and Created At', () => {
    const R = res('rbac.authorization.k8s.io', 'Role')
    expect(hasPrinter(R)).toBe(false)
    expect(columnsFor(R)).toEqual([
      { name: 'Name', type: 'string', format: 'name', description: expect.any(String), priority: 0 },
      { name: 'Created At', type: 'date', format: '', description: expect.any(String), priority: 0 },
    ])
    expect(rowFor(R, { metadata: { name: 'reader', creationTimestamp: '2025-12-31T10:11:12.345Z' } }, NOW, 'None').cells).toEqual([
      'reader',
      '2025-12-31T10:11:12Z',
    ])
  })

  it('every served kind prints a minimal object with one cell per column', () => {
    for (const r of RESOURCES.filter((x) => !x.virtual)) {
      const cols = columnsFor(r)
      expect(cols.filter((c) => c.format === 'name').length, r.kind).toBeGreaterThanOrEqual(1)
      const { cells } = rowFor(r, { metadata: { name: 'x' } }, NOW, 'None')
      expect(cells, r.kind).toHaveLength(cols.length)
      for (const c of cells) expect(['string', 'number', 'boolean'], r.kind).toContain(typeof c)
    }
  })
})

describe('toTable', () => {
  const P = findResource('', 'v1', 'pods')!
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default', uid: 'u1', resourceVersion: '1005', creationTimestamp: ago(60), labels: { run: 'p1' } },
    spec: { containers: [{ name: 'p1', image: 'nginx' }] },
    status: { phase: 'Pending' },
  }

  it('builds a meta.k8s.io/v1 Table with partial object metadata by default', () => {
    const t = toTable(P, [pod], { now: NOW, includeObject: 'Metadata', resourceVersion: '1007' })
    expect(t.kind).toBe('Table')
    expect(t.apiVersion).toBe('meta.k8s.io/v1')
    expect(t.metadata).toEqual({ resourceVersion: '1007' })
    expect(t.columnDefinitions).toHaveLength(9)
    expect(t.rows[0]!.cells).toEqual(['p1', '0/1', 'Pending', '0', '60s', '<none>', '<none>', '<none>', '<none>'])
    expect(t.rows[0]!.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata })
    // It is plain JSON: what goes on the wire is what we built.
    expect(JSON.parse(JSON.stringify(t))).toEqual(t)
  })

  it('includeObject=Object embeds the object, None omits it', () => {
    expect(toTable(P, [pod], { now: NOW, includeObject: 'Object', resourceVersion: '1' }).rows[0]!.object).toBe(pod)
    expect('object' in toTable(P, [pod], { now: NOW, includeObject: 'None', resourceVersion: '1' }).rows[0]!).toBe(false)
  })

  it('carries paging fields and can leave out column definitions for later watch events', () => {
    const t = toTable(P, [pod], { now: NOW, includeObject: 'Metadata', resourceVersion: '9', continue: 'tok', remainingItemCount: 4, withColumns: false })
    expect(t.metadata).toEqual({ resourceVersion: '9', continue: 'tok', remainingItemCount: 4 })
    expect(t.columnDefinitions).toEqual([])
    expect(toTable(P, [], { now: NOW, includeObject: 'Metadata', resourceVersion: '9' }).rows).toEqual([])
  })
})
