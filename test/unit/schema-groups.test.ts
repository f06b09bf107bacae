// Self-checks for the apps/v1, batch/v1 and other-group schema data (apps.ts, batch.ts,
// groups.ts): structural soundness plus spot checks of facts verified against upstream v1.32.
import { describe, expect, it } from 'vitest'
import type { Field, FieldType, Struct } from '../../src-cluster/api/schema/dsl'
import { PROTO_EMBEDS, STRUCTS, structByName, structForKind } from '../../src-cluster/api/schema/index'
import { structs as apps } from '../../src-cluster/api/schema/apps'
import { structs as batch } from '../../src-cluster/api/schema/batch'
import { structs as groups } from '../../src-cluster/api/schema/groups'
import { RESOURCES } from '../../src-cluster/api/resources'

const MINE: readonly Struct[] = [...apps, ...batch, ...groups]

function refsOf(t: FieldType, out: string[] = []): string[] {
  if (t.t === 'ref') out.push(t.name)
  else if (t.t === 'list' || t.t === 'map') refsOf(t.of, out)
  return out
}

function field(structName: string, name: string): Field {
  const s = structByName(structName)
  const f = s.fields[name]
  if (!f) throw new Error(`${structName} has no field ${name}`)
  return f
}

const APPS = 'io.k8s.api.apps.v1.'
const BATCH = 'io.k8s.api.batch.v1.'

describe('schema data: apps, batch, other groups', () => {
  it('has no duplicate protobuf field numbers within a struct', () => {
    const dups: string[] = []
    for (const s of MINE) {
      // Fields of an embedded message (PROTO_EMBEDS) are numbered inside that message.
      const embedded = new Set((PROTO_EMBEDS.get(s.name) ?? []).flatMap((e) => e.fields))
      const seen = new Map<number, string>()
      for (const [name, f] of Object.entries(s.fields)) {
        if (f.n === 0 || embedded.has(name)) continue
        const prev = seen.get(f.n)
        if (prev) dups.push(`${s.name}: ${prev} and ${name} both use ${f.n}`)
        seen.set(f.n, name)
      }
    }
    expect(dups).toEqual([])
  })

  it('resolves every referenced struct', () => {
    const dangling: string[] = []
    for (const s of MINE) {
      for (const [name, f] of Object.entries(s.fields)) {
        for (const r of refsOf(f.type)) if (!STRUCTS.has(r)) dangling.push(`${s.name}.${name} -> ${r}`)
      }
    }
    expect(dangling).toEqual([])
  })

  it('defines every struct it ships exactly once, in the index', () => {
    const names = MINE.map((s) => s.name)
    expect(new Set(names).size).toBe(names.length)
    for (const n of names) expect(STRUCTS.get(n)).toBeDefined()
  })

  it('serves each resource of its groups under the schema name the resource table uses', () => {
    const groupsOwned = new Set(MINE.filter((s) => s.gvk).map((s) => `${s.gvk!.group}/${s.gvk!.version}`))
    const served = RESOURCES.filter((r) => groupsOwned.has(`${r.group}/${r.version}`))
    expect(served.length).toBeGreaterThan(20)
    for (const r of served) {
      const s = structForKind(r.group, r.version, r.kind)
      expect(s?.name, `${r.group}/${r.version} ${r.kind}`).toBe(r.schema)
    }
    // Subresource body kinds defined here.
    expect(structForKind('autoscaling', 'v1', 'Scale')?.name).toBe('io.k8s.api.autoscaling.v1.Scale')
    expect(structForKind('policy', 'v1', 'Eviction')?.name).toBe('io.k8s.api.policy.v1.Eviction')
    expect(structForKind('authentication.k8s.io', 'v1', 'TokenRequest')?.name).toBe('io.k8s.api.authentication.v1.TokenRequest')
  })

  it('gives every top-level kind metadata at field 1 and typeMeta off the wire', () => {
    for (const s of MINE.filter((x) => x.gvk)) {
      expect(s.fields.metadata?.n, s.name).toBe(1)
      expect(s.fields.apiVersion?.n, s.name).toBe(0)
      expect(s.fields.kind?.n, s.name).toBe(0)
    }
  })

  it('documents every struct and field in one short line', () => {
    const bad: string[] = []
    for (const s of MINE) {
      if (!s.doc || s.doc.length > 110 || s.doc.includes('\n')) bad.push(s.name)
      for (const [name, f] of Object.entries(s.fields)) {
        if (!f.doc || f.doc.length > 110 || f.doc.includes('\n')) bad.push(`${s.name}.${name}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('matches upstream protobuf field numbers (spot checks)', () => {
    const cases: [string, string, number][] = [
      [APPS + 'DeploymentSpec', 'progressDeadlineSeconds', 9],
      [APPS + 'DeploymentStatus', 'readyReplicas', 7],
      [APPS + 'DeploymentCondition', 'lastUpdateTime', 6],
      [APPS + 'StatefulSetStatus', 'availableReplicas', 11],
      [APPS + 'StatefulSetSpec', 'ordinals', 11],
      [APPS + 'ReplicaSetSpec', 'minReadySeconds', 4],
      [APPS + 'DaemonSetSpec', 'revisionHistoryLimit', 6],
      [BATCH + 'JobSpec', 'successPolicy', 16],
      [BATCH + 'JobSpec', 'managedBy', 15],
      [BATCH + 'JobStatus', 'terminating', 11],
      [BATCH + 'CronJobSpec', 'timeZone', 8],
      [BATCH + 'CronJobStatus', 'lastSuccessfulTime', 5],
      ['io.k8s.api.discovery.v1.EndpointSlice', 'addressType', 4],
      ['io.k8s.api.networking.v1.HTTPIngressPath', 'pathType', 3],
      ['io.k8s.api.networking.v1.IngressBackend', 'service', 4],
      ['io.k8s.api.networking.v1.IngressSpec', 'ingressClassName', 4],
      ['io.k8s.api.networking.v1.IngressLoadBalancerIngress', 'ports', 4],
      ['io.k8s.api.events.v1.Event', 'note', 10],
      ['io.k8s.api.autoscaling.v2.MetricSpec', 'containerResource', 7],
      ['io.k8s.api.autoscaling.v2.HPAScalingRules', 'stabilizationWindowSeconds', 3],
      ['io.k8s.api.authentication.v1.TokenRequestSpec', 'expirationSeconds', 4],
      ['io.k8s.api.authentication.v1.TokenReviewStatus', 'audiences', 4],
      ['io.k8s.api.authentication.v1.SelfSubjectReview', 'status', 2],
      ['io.k8s.api.authorization.v1.SubjectAccessReviewStatus', 'denied', 4],
      ['io.k8s.api.policy.v1.Eviction', 'deleteOptions', 2],
      ['io.k8s.api.rbac.v1.RoleRef', 'apiGroup', 1],
      ['io.k8s.api.storage.v1.StorageClass', 'allowedTopologies', 8],
    ]
    for (const [s, name, n] of cases) expect(field(s, name).n, `${s}.${name}`).toBe(n)
  })

  it('uses the right wire types and pointer flags', () => {
    expect(field(APPS + 'DeploymentSpec', 'replicas')).toMatchObject({ type: { t: 'int32' }, ptr: true })
    expect(field(APPS + 'DeploymentStatus', 'observedGeneration').type.t).toBe('int64')
    expect(field(APPS + 'ControllerRevision', 'data').type.t).toBe('raw')
    expect(field(APPS + 'ControllerRevision', 'revision')).toMatchObject({ type: { t: 'int64' }, required: true })
    expect(field(APPS + 'RollingUpdateDeployment', 'maxSurge').type.t).toBe('intOrString')
    expect(field(BATCH + 'JobSpec', 'activeDeadlineSeconds')).toMatchObject({ type: { t: 'int64' }, ptr: true })
    expect(field(BATCH + 'JobSpec', 'suspend')).toMatchObject({ type: { t: 'bool' }, ptr: true })
    expect(field(BATCH + 'CronJobSpec', 'startingDeadlineSeconds').type.t).toBe('int64')
    expect(field('io.k8s.api.coordination.v1.LeaseSpec', 'renewTime').type.t).toBe('microTime')
    expect(field('io.k8s.api.events.v1.Event', 'eventTime')).toMatchObject({ type: { t: 'microTime' }, required: true })
    expect(field('io.k8s.api.autoscaling.v1.ScaleStatus', 'selector').type.t).toBe('string')
    expect(field('io.k8s.api.autoscaling.v2.MetricTarget', 'averageValue').type.t).toBe('quantity')
    expect(field('io.k8s.api.policy.v1.PodDisruptionBudgetStatus', 'disruptedPods').type).toEqual({
      t: 'map',
      of: { t: 'time' },
    })
    expect(field('io.k8s.api.authentication.v1.UserInfo', 'extra').type).toEqual({
      t: 'map',
      of: { t: 'list', of: { t: 'string' } },
    })
  })

  it('carries strategic-merge metadata as upstream declares it', () => {
    expect(field(APPS + 'DeploymentSpec', 'strategy').strategy).toBe('retainKeys')
    expect(field(APPS + 'DeploymentStatus', 'conditions').type).toMatchObject({
      t: 'list',
      mergeKey: 'type',
      strategy: 'merge',
      listType: 'map',
      mapKeys: ['type'],
    })
    // Job conditions merge by type for SMP but are atomic for server-side apply.
    expect(field(BATCH + 'JobStatus', 'conditions').type).toMatchObject({ mergeKey: 'type', listType: 'atomic' })
    expect(field(APPS + 'StatefulSetSpec', 'volumeClaimTemplates').type).toMatchObject({ listType: 'atomic' })
    expect(field('io.k8s.api.discovery.v1.Endpoint', 'addresses').type).toMatchObject({ listType: 'set' })
    expect(field('io.k8s.api.rbac.v1.PolicyRule', 'verbs').type).toMatchObject({ listType: 'atomic' })
  })

  it('marks required fields, enums and constant defaults', () => {
    expect(field(APPS + 'DeploymentSpec', 'selector').required).toBe(true)
    expect(field(APPS + 'DeploymentSpec', 'template').required).toBe(true)
    expect(field(APPS + 'StatefulSetSpec', 'serviceName').required).toBe(true)
    expect(field(APPS + 'ReplicaSetSpec', 'template').required).toBeUndefined()
    expect(field('io.k8s.api.networking.v1.HTTPIngressPath', 'pathType').required).toBe(true)
    expect(field('io.k8s.api.rbac.v1.RoleBinding', 'roleRef').required).toBe(true)
    expect(field(APPS + 'DeploymentStrategy', 'type').type).toEqual({ t: 'string', enum: ['Recreate', 'RollingUpdate'] })
    expect(field(BATCH + 'CronJobSpec', 'concurrencyPolicy').type).toMatchObject({ enum: ['Allow', 'Forbid', 'Replace'] })
    expect(field('io.k8s.api.networking.v1.NetworkPolicyPort', 'protocol')).toMatchObject({ default: 'TCP' })
    expect(field(APPS + 'DeploymentSpec', 'progressDeadlineSeconds').default).toBe(600)
    expect(field(APPS + 'RollingUpdateDaemonSet', 'maxSurge').default).toBe(0)
    expect(field(BATCH + 'CronJobSpec', 'successfulJobsHistoryLimit').default).toBe(3)
    expect(field('io.k8s.api.storage.v1.StorageClass', 'volumeBindingMode').default).toBe('Immediate')
    // Computed upstream from other fields, so deliberately not a constant default here.
    expect(field(BATCH + 'JobSpec', 'backoffLimit').default).toBeUndefined()
    expect(field(BATCH + 'JobSpec', 'completions').default).toBeUndefined()
  })

  it('keeps top-level EndpointSlice and StorageClass fields (no spec)', () => {
    const slice = structByName('io.k8s.api.discovery.v1.EndpointSlice')
    expect(Object.keys(slice.fields).sort()).toEqual(['addressType', 'apiVersion', 'endpoints', 'kind', 'metadata', 'ports'])
    const sc = structByName('io.k8s.api.storage.v1.StorageClass')
    expect(sc.fields.spec).toBeUndefined()
    expect(sc.fields.provisioner).toMatchObject({ n: 2, required: true })
  })
})
