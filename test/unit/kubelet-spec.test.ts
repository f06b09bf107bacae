import { describe, expect, it } from 'vitest'
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1'
import { RestartBackoff } from '../../src-cluster/kubelet/backoff'
import { readyCondition } from '../../src-cluster/kubelet/node'
import { buildEnv, ConfigError, expandVars, type ObjectSource } from '../../src-cluster/kubelet/env'
import { ProbeState } from '../../src-cluster/kubelet/probes'
import { containerConfig, linuxResources, podDnsConfig, sandboxConfig } from '../../src-cluster/kubelet/spec'
import { buildPodStatus, containerStatus, podPhase } from '../../src-cluster/kubelet/status'
import type { ContainerStatus as CriStatus } from '../../src-cluster/kubelet/cri/types'

const pod: Pod = {
  metadata: { name: 'p', namespace: 'team', uid: 'u1', labels: { app: 'x' } },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'c', image: 'kubelab.local/busybox:1', ports: [{ containerPort: 80, hostPort: 8080 }] }],
  },
}

const source = (cms: Record<string, ConfigMap>, secrets: Record<string, Secret> = {}): ObjectSource => ({
  configMap: async (_ns, n) => cms[n],
  secret: async (_ns, n) => secrets[n],
})

describe('pod → CRI translation', () => {
  it('gives ClusterFirst pods the cluster DNS with the namespace search path and ndots:5', () => {
    expect(podDnsConfig(pod, { clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local' })).toEqual({
      servers: ['10.96.0.10'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5'],
    })
    expect(
      podDnsConfig({ ...pod, spec: { ...pod.spec!, dnsPolicy: 'Default' } }, { clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local' }),
    ).toBeUndefined()
  })

  it('builds the sandbox with hostname, log directory, host ports and pod labels', () => {
    const s = sandboxConfig(pod, {
      logDirBase: '/var/log/pods',
      dns: { clusterDns: [], clusterDomain: 'cluster.local' },
      cgroupParent: '/kubelab/podu1',
      attempt: 0,
    })
    expect(s.hostname).toBe('p')
    expect(s.logDirectory).toBe('/var/log/pods/team_p_u1')
    expect(s.portMappings).toEqual([{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }])
    expect(s.labels).toMatchObject({ app: 'x', 'io.kubernetes.pod.uid': 'u1', 'io.kubernetes.pod.namespace': 'team' })
  })

  it('maps requests/limits to cpu shares, CFS quota and memory limit', () => {
    expect(linuxResources({ name: 'c', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } })).toEqual({
      cpuShares: 256,
      cpuPeriod: 100000,
      cpuQuota: 50000,
      memoryLimitInBytes: 64 * 1024 * 1024,
    })
    expect(linuxResources({ name: 'c' })).toEqual({ cpuShares: 2 })
  })

  it('expands $(VAR) in command and args, and keeps $$ escapes', () => {
    const cfg = containerConfig({
      pod,
      container: {
        name: 'c',
        command: ['echo', '$(A)'],
        args: ['$$(A)', '$(MISSING)'],
        securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] } },
      },
      kind: 'main',
      attempt: 2,
      image: 'sha256:abc',
      envs: [{ key: 'A', value: 'x' }],
      mounts: [],
    })
    expect(cfg.command).toEqual(['echo', 'x'])
    expect(cfg.args).toEqual(['$(A)', '$(MISSING)'])
    expect(cfg.logPath).toBe('c/2.log')
    expect(cfg.linux?.securityContext).toMatchObject({ runAsUser: { value: 1000 }, readonlyRootfs: true, capabilities: { addCapabilities: ['NET_ADMIN'] } })
    expect(expandVars('a$(B)c', new Map([['B', '-']]))).toBe('a-c')
  })
})

describe('container environment', () => {
  it('applies envFrom with prefix, then env with refs in order', async () => {
    const env = await buildEnv(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'P_' }],
        env: [
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
          { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'Y', value: '$(X)-$(NODE)' },
        ],
      },
      {
        pod,
        podIP: '10.244.1.5',
        node: { cpu: 2, memory: 1 },
        source: source({ cm: { data: { k: 'v' } } }, { s: { data: { pw: Buffer.from('secret').toString('base64') } } }),
      },
    )
    expect(Object.fromEntries(env.map((e) => [e.key, e.value]))).toEqual({ P_k: 'v', X: 'v', S: 'secret', NODE: 'n1', IP: '10.244.1.5', Y: 'v-n1' })
  })

  it('reports a missing ConfigMap as a config error unless optional', async () => {
    const ctx = { pod, node: { cpu: 1, memory: 1 }, source: source({}) }
    await expect(buildEnv({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, ctx)).rejects.toBeInstanceOf(
      ConfigError,
    )
    expect(await buildEnv({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] }, ctx)).toEqual([])
  })
})

describe('restart back-off and probes', () => {
  it('doubles from 10 s to 5 min and resets after 10 minutes of running', () => {
    const b = new RestartBackoff()
    const delays = [0, 1, 2, 3, 4, 5, 6].map(() => {
      b.next('c', 0, 1000)
      return b.delayMs('c')
    })
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000])
    b.next('c', 0, 600_000)
    expect(b.delayMs('c')).toBe(10_000)
  })

  it('decides probe results by thresholds', () => {
    const p = new ProbeState('liveness', { failureThreshold: 2, successThreshold: 1, periodSeconds: 1, initialDelaySeconds: 5 }, 0)
    expect(p.due(4000)).toBe(false)
    expect(p.due(5000)).toBe(true)
    p.record(true, 5000)
    expect(p.result).toBe(true)
    p.record(false, 6000)
    expect(p.result).toBe(true)
    p.record(false, 7000)
    expect(p.result).toBe(false)
  })
})

describe('pod status', () => {
  const run = (over: Partial<CriStatus>): CriStatus => ({
    id: 'abc',
    metadata: { name: 'c', attempt: 1 },
    state: 'CONTAINER_EXITED',
    createdAt: 1e18,
    startedAt: 1e18,
    finishedAt: 1.7e18,
    exitCode: 1,
    image: null,
    imageRef: '',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    mounts: [],
    logPath: '',
    resources: null,
    ...over,
  })

  it('shows CrashLoopBackOff with the last termination as lastState', () => {
    const s = containerStatus(
      { name: 'c', image: 'img' },
      { runs: [run({})], waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' }, ready: false, started: false },
      'ContainerCreating',
    )
    expect(s.state?.waiting?.reason).toBe('CrashLoopBackOff')
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error', containerID: 'containerd://abc' })
    expect(s.restartCount).toBe(1)
  })

  it('derives phases from restart policy and container states', () => {
    const done = (code: number) => ({ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } })
    expect(podPhase({ spec: { containers: [], restartPolicy: 'Never' } }, true, [done(0)], false)).toBe('Succeeded')
    expect(podPhase({ spec: { containers: [], restartPolicy: 'Never' } }, true, [done(2)], false)).toBe('Failed')
    expect(podPhase({ spec: { containers: [], restartPolicy: 'OnFailure' } }, true, [done(2)], false)).toBe('Running')
    expect(podPhase({ spec: { containers: [] } }, false, [], false)).toBe('Pending')
  })

  it('sets Ready only when every container is ready, keeping PodScheduled', () => {
    const st = buildPodStatus(
      {
        pod: { ...pod, status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } },
        hostIP: '10.0.0.1',
        podIP: '10.244.0.2',
        sandboxReady: true,
        startTime: '2026-01-01T00:00:00Z',
        inits: [],
        mains: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { running: { startedAt: 'x' } } }],
        initialized: true,
      },
      new Date(),
    )
    expect(st.phase).toBe('Running')
    expect(st.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [c]',
    })
    expect(st.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z')
    expect(st.podIPs).toEqual([{ ip: '10.244.0.2' }])
  })
})

describe('node readiness', () => {
  it('is NotReady when the runtime is down or its network is not ready', () => {
    expect(readyCondition(new Error('connect ENOENT')).ok).toBe(false)
    expect(readyCondition(new Error('connect ENOENT')).message).toContain('container runtime is down')
    const net = readyCondition({
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true, reason: '', message: '' },
          { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni plugin not initialized' },
        ],
      },
      info: {},
    })
    expect(net).toEqual({
      ok: false,
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized',
    })
    expect(readyCondition({ status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }] }, info: {} }).ok).toBe(true)
  })
})
