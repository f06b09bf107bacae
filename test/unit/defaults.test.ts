import { describe, expect, it } from 'vitest'
import { applyDefaults, defaultPullPolicy } from '../../src-cluster/api/defaults/index'
import { applySchemaDefaults } from '../../src-cluster/api/defaults/schema'
import { findResource, type ResourceInfo } from '../../src-cluster/api/resources'
import type { KubeObject } from '../../src-cluster/api/object'
import { fixtureLookup } from './fixtures/structs'

function res(group: string, plural: string): ResourceInfo {
  const r = findResource(group, group === 'autoscaling' ? 'v2' : 'v1', plural)
  if (!r) throw new Error(`no resource ${group}/${plural}`)
  return r
}
function defaulted(group: string, plural: string, obj: KubeObject): KubeObject {
  const copy = structuredClone(obj)
  applyDefaults(res(group, plural), copy)
  return copy
}
const podSpec = (extra: Record<string, unknown> = {}) => ({ containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }], ...extra })

describe('schema defaults', () => {
  it('fill absent fields only inside objects that are present', () => {
    const obj: Record<string, unknown> = { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] } }
    applySchemaDefaults(obj, 'test.Widget', fixtureLookup)
    expect(obj).toEqual({
      spec: {
        mode: 'Slow',
        containers: [
          {
            name: 'a',
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 53, protocol: 'UDP' },
            ],
          },
        ],
      },
    })
    const empty: Record<string, unknown> = {}
    applySchemaDefaults(empty, 'test.Widget', fixtureLookup)
    expect(empty).toEqual({})
  })
})

describe('image pull policy', () => {
  it('is Always for untagged and :latest images, IfNotPresent otherwise', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always')
    expect(defaultPullPolicy('nginx:latest')).toBe('Always')
    expect(defaultPullPolicy('localhost:5000/nginx')).toBe('Always')
    expect(defaultPullPolicy('nginx:1.27')).toBe('IfNotPresent')
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent')
  })
})

describe('per-kind defaults (real schema)', () => {
  it('Pod: spec, container, probe and volume defaults; requests from limits', () => {
    const pod = defaulted('', 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '500m' } },
            livenessProbe: { httpGet: { port: 80 } },
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'scratch' }],
      },
    })
    const spec = pod.spec as Record<string, any>
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    })
    // Priority comes from admission, not defaulting.
    expect(spec.priority).toBeUndefined()
    expect(spec.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'Always',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { limits: { cpu: '500m' }, requests: { cpu: '500m' } },
      livenessProbe: { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, httpGet: { port: 80, path: '/', scheme: 'HTTP' } },
    })
    expect(spec.volumes).toEqual([
      { name: 'cfg', configMap: { name: 'x', defaultMode: 420 } },
      { name: 'scratch', emptyDir: {} },
    ])
  })

  it('Deployment: replicas, strategy, limits and template defaults (but no Pod-only priority)', () => {
    const d = defaulted('apps', 'deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
    })
    const spec = d.spec as Record<string, any>
    expect(spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    })
    expect(spec.template.spec.restartPolicy).toBe('Always')
    expect(spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent')
    expect(spec.template.spec.priority).toBeUndefined()
  })

  it('Deployment with Recreate gets no rollingUpdate', () => {
    const d = defaulted('apps', 'deployments', { spec: { strategy: { type: 'Recreate' }, template: { spec: podSpec() } } })
    expect((d.spec as any).strategy).toEqual({ type: 'Recreate' })
  })

  it('StatefulSet, DaemonSet and ReplicaSet', () => {
    expect(defaulted('apps', 'statefulsets', { spec: { template: { spec: podSpec() } } }).spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    })
    expect(defaulted('apps', 'daemonsets', { spec: { template: { spec: podSpec() } } }).spec).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    })
    expect(defaulted('apps', 'replicasets', { spec: { template: { spec: podSpec() } } }).spec).toMatchObject({ replicas: 1 })
  })

  it('Job: completions/parallelism, backoffLimit, generated selector from the uid', () => {
    const job = defaulted('batch', 'jobs', {
      metadata: { name: 'j', uid: 'u-1' },
      spec: { template: { spec: podSpec({ restartPolicy: 'Never' }) } },
    })
    const spec = job.spec as Record<string, any>
    expect(spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
    })
    expect(spec.template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': 'u-1',
      'controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'j',
      'job-name': 'j',
    })
    const parallel = defaulted('batch', 'jobs', { spec: { parallelism: 3, template: { spec: podSpec() } } })
    expect((parallel.spec as any).completions).toBeUndefined()
    expect((parallel.spec as any).selector).toBeUndefined()
  })

  it('CronJob', () => {
    const cj = defaulted('batch', 'cronjobs', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec() } } } } })
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 })
    expect((cj.spec as any).jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst')
    expect((cj.spec as any).jobTemplate.spec.backoffLimit).toBeUndefined()
  })

  it('Service: type, affinity, protocol, targetPort, families; traffic policy for NodePort', () => {
    const svc = defaulted('', 'services', { spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } })
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    })
    expect((defaulted('', 'services', { spec: { type: 'NodePort', ports: [{ port: 80 }] } }).spec as any).externalTrafficPolicy).toBe('Cluster')
    const ext = defaulted('', 'services', { spec: { type: 'ExternalName', externalName: 'example.com' } }).spec as any
    expect(ext.ipFamilies).toBeUndefined()
  })

  it('Secret, Namespace, PVC, PV, StorageClass, NetworkPolicy, HPA, RoleBinding', () => {
    expect(defaulted('', 'secrets', {}).type).toBe('Opaque')
    expect(defaulted('', 'namespaces', { metadata: { name: 'dev' } })).toMatchObject({
      metadata: { labels: { 'kubernetes.io/metadata.name': 'dev' } },
      status: { phase: 'Active' },
    })
    expect(defaulted('', 'persistentvolumeclaims', { spec: { accessModes: ['ReadWriteOnce'] } })).toMatchObject({
      spec: { volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    })
    expect(defaulted('', 'persistentvolumes', { spec: {} }).spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' })
    expect(defaulted('storage.k8s.io', 'storageclasses', { provisioner: 'x' })).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' })
    expect((defaulted('networking.k8s.io', 'networkpolicies', { spec: { podSelector: {} } }).spec as any).policyTypes).toEqual(['Ingress'])
    expect((defaulted('networking.k8s.io', 'networkpolicies', { spec: { egress: [{}] } }).spec as any).policyTypes).toEqual(['Ingress', 'Egress'])
    expect(defaulted('autoscaling', 'horizontalpodautoscalers', { spec: { maxReplicas: 3 } }).spec).toMatchObject({
      minReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    })
    const rb = defaulted('rbac.authorization.k8s.io', 'rolebindings', {
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'ServiceAccount', name: 'sa' },
      ],
    })
    expect(rb.subjects).toEqual([
      { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'sa', apiGroup: '' },
    ])
  })
})
