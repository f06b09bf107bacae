// Self-checks of the core/v1 Pod schema data: protobuf numbers, references, merge metadata,
// defaults and a handful of facts verified against upstream v1.32.
import { describe, expect, it } from 'vitest'
import type { Field, FieldType, ListType, Struct } from '../../src-cluster/api/schema/dsl'
import { protoEmbeds, structs } from '../../src-cluster/api/schema/core-pod'
import { STRUCTS } from '../../src-cluster/api/schema/index'

const V1 = 'io.k8s.api.core.v1.'

function struct(short: string): Struct {
  const s = structs.find((x) => x.name === V1 + short)
  if (!s) throw new Error(`core-pod.ts defines no struct ${short}`)
  return s
}
function field(short: string, name: string): Field {
  const f = struct(short).fields[name]
  if (!f) throw new Error(`${short} has no field ${name}`)
  return f
}
function asList(t: FieldType): ListType {
  if (t.t !== 'list') throw new Error(`expected a list type, got ${t.t}`)
  return t
}
/** Every struct name a field type points at, through lists and maps. */
function refsOf(t: FieldType): string[] {
  if (t.t === 'ref') return [t.name]
  if (t.t === 'list' || t.t === 'map') return refsOf(t.of)
  return []
}

describe('core-pod schema: protobuf numbers', () => {
  it('has no duplicate field numbers within one protobuf message (embedded messages counted apart)', () => {
    for (const s of structs) {
      const embed = protoEmbeds.find((e) => e.struct === s.name)
      const inner = new Set(embed?.fields ?? [])
      const outer = new Map<number, string>()
      const nested = new Map<number, string>()
      for (const [name, f] of Object.entries(s.fields)) {
        if (f.n === 0) continue
        const seen = inner.has(name) ? nested : outer
        expect(seen.get(f.n), `${s.name}: ${name} and ${seen.get(f.n)} share number ${f.n}`).toBeUndefined()
        seen.set(f.n, name)
      }
      if (embed) expect(outer.has(embed.n), `${s.name}: embedded message ${embed.n} clashes`).toBe(false)
    }
  })

  it('lists only real fields in protoEmbeds, each struct at most once', () => {
    const names = protoEmbeds.map((e) => e.struct)
    expect(new Set(names).size).toBe(names.length)
    for (const e of protoEmbeds) {
      const s = structs.find((x) => x.name === e.struct)
      expect(s, e.struct).toBeDefined()
      for (const name of e.fields) expect(s?.fields[name], `${e.struct}.${name}`).toBeDefined()
    }
  })

  it('only apiVersion and kind are off the wire', () => {
    for (const s of structs) {
      for (const [name, f] of Object.entries(s.fields)) {
        if (f.n === 0) expect(['apiVersion', 'kind'], `${s.name}.${name}`).toContain(name)
      }
    }
  })

  it('matches numbers verified against upstream generated.proto', () => {
    expect(field('Container', 'image').n).toBe(2)
    expect(field('Container', 'envFrom').n).toBe(19)
    expect(field('Container', 'startupProbe').n).toBe(22)
    expect(field('Container', 'restartPolicy').n).toBe(24)
    expect(field('PodSpec', 'initContainers').n).toBe(20)
    expect(field('PodSpec', 'ephemeralContainers').n).toBe(34)
    expect(field('PodSpec', 'resourceClaims').n).toBe(39)
    expect(field('PodSpec', 'resources').n).toBe(40)
    expect(field('PodStatus', 'nominatedNodeName').n).toBe(11)
    expect(field('PodStatus', 'hostIPs').n).toBe(16)
    expect(field('Volume', 'projected').n).toBe(26)
    expect(field('Volume', 'image').n).toBe(30)
    expect(field('ISCSIVolumeSource', 'chapAuthSession').n).toBe(11)
    expect(field('PodResourceClaim', 'resourceClaimName').n).toBe(3)
    expect(field('PodSecurityContext', 'seLinuxChangePolicy').n).toBe(13)
  })

  it('records the embedded messages Go flattens into JSON', () => {
    const embed = (short: string) => protoEmbeds.find((e) => e.struct === V1 + short)
    expect(embed('Volume')?.n).toBe(2)
    expect(embed('Volume')?.fields).toContain('emptyDir')
    expect(embed('Probe')).toEqual({ struct: V1 + 'Probe', n: 1, fields: ['exec', 'httpGet', 'tcpSocket', 'grpc'] })
    expect(embed('EphemeralContainer')?.n).toBe(1)
    expect(embed('EphemeralContainer')?.fields).not.toContain('targetContainerName')
    expect(field('EphemeralContainer', 'targetContainerName').n).toBe(2)
    expect(embed('ConfigMapKeySelector')).toEqual({ struct: V1 + 'ConfigMapKeySelector', n: 1, fields: ['name'] })
  })
})

describe('core-pod schema: types', () => {
  it('uses int64 and pointers where upstream does', () => {
    expect(field('PodSpec', 'terminationGracePeriodSeconds')).toMatchObject({ type: { t: 'int64' }, ptr: true, default: 30 })
    expect(field('PodSpec', 'activeDeadlineSeconds')).toMatchObject({ type: { t: 'int64' }, ptr: true })
    expect(field('SecurityContext', 'runAsUser')).toMatchObject({ type: { t: 'int64' }, ptr: true })
    expect(field('SecurityContext', 'privileged')).toMatchObject({ type: { t: 'bool' }, ptr: true })
    expect(field('ContainerPort', 'containerPort')).toMatchObject({ type: { t: 'int32' }, required: true })
    expect(field('ContainerPort', 'containerPort').ptr).toBeUndefined()
    expect(field('HTTPGetAction', 'port').type.t).toBe('intOrString')
    expect(field('ResourceRequirements', 'limits').type).toEqual({ t: 'map', of: { t: 'quantity' } })
    expect(field('EmptyDirVolumeSource', 'sizeLimit').type.t).toBe('quantity')
    expect(field('PodStatus', 'startTime').type.t).toBe('time')
  })

  it('gives enums their upstream values', () => {
    expect(field('PodSpec', 'restartPolicy').type).toEqual({ t: 'string', enum: ['Always', 'OnFailure', 'Never'] })
    expect(field('ContainerPort', 'protocol')).toMatchObject({ type: { enum: ['TCP', 'UDP', 'SCTP'] }, default: 'TCP' })
    expect(field('Container', 'imagePullPolicy').type).toEqual({ t: 'string', enum: ['Always', 'Never', 'IfNotPresent'] })
    expect(field('HostPathVolumeSource', 'type').type).toMatchObject({ enum: expect.arrayContaining(['', 'DirectoryOrCreate']) })
  })

  it('keeps every default within its field type and enum', () => {
    for (const s of structs) {
      for (const [name, f] of Object.entries(s.fields)) {
        if (f.default === undefined) continue
        const where = `${s.name}.${name}`
        const t = f.type
        if (t.t === 'string') {
          expect(typeof f.default, where).toBe('string')
          if (t.enum) expect(t.enum, where).toContain(f.default)
        } else if (t.t === 'int32' || t.t === 'int64') {
          expect(Number.isInteger(f.default), where).toBe(true)
        } else if (t.t === 'bool') {
          expect(typeof f.default, where).toBe('boolean')
        } else {
          expect(t.t, where).toBe('ref')
        }
      }
    }
  })
})

describe('core-pod schema: strategic merge metadata', () => {
  it('merges containers, env, mounts and friends by their upstream keys', () => {
    for (const list of ['containers', 'initContainers', 'ephemeralContainers', 'imagePullSecrets', 'schedulingGates']) {
      expect(asList(field('PodSpec', list).type), list).toMatchObject({ mergeKey: 'name', strategy: 'merge', listType: 'map', mapKeys: ['name'] })
    }
    expect(field('PodSpec', 'containers').required).toBe(true)
    expect(asList(field('Container', 'env').type)).toMatchObject({ mergeKey: 'name', strategy: 'merge' })
    expect(asList(field('Container', 'volumeMounts').type)).toMatchObject({ mergeKey: 'mountPath', strategy: 'merge' })
    expect(asList(field('Container', 'volumeDevices').type)).toMatchObject({ mergeKey: 'devicePath', strategy: 'merge' })
    expect(asList(field('PodSpec', 'hostAliases').type)).toMatchObject({ mergeKey: 'ip', strategy: 'merge' })
    expect(asList(field('PodStatus', 'podIPs').type)).toMatchObject({ mergeKey: 'ip', strategy: 'merge' })
    expect(asList(field('PodStatus', 'conditions').type)).toMatchObject({ mergeKey: 'type', strategy: 'merge' })
  })

  it('uses merge,retainKeys for volumes and composite map keys where upstream does', () => {
    expect(asList(field('PodSpec', 'volumes').type)).toMatchObject({ mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', mapKeys: ['name'] })
    expect(asList(field('Container', 'ports').type)).toMatchObject({
      mergeKey: 'containerPort',
      strategy: 'merge',
      listType: 'map',
      mapKeys: ['containerPort', 'protocol'],
    })
    expect(asList(field('PodSpec', 'topologySpreadConstraints').type)).toMatchObject({
      mergeKey: 'topologyKey',
      mapKeys: ['topologyKey', 'whenUnsatisfiable'],
    })
  })

  it('replaces atomic lists wholesale', () => {
    for (const [s, name] of [
      ['PodSpec', 'tolerations'],
      ['PodSpec', 'readinessGates'],
      ['Container', 'resizePolicy'],
      ['Container', 'command'],
    ]) {
      const t = asList(field(s, name).type)
      expect(t.listType, `${s}.${name}`).toBe('atomic')
      expect(t.strategy, `${s}.${name}`).toBeUndefined()
    }
  })
})

describe('core-pod schema: completeness', () => {
  it('serves Pod as core/v1 with metadata, spec and status', () => {
    const pod = struct('Pod')
    expect(pod.gvk).toEqual({ group: '', version: 'v1', kind: 'Pod' })
    expect(pod.fields.metadata?.n).toBe(1)
    expect(pod.fields.spec?.n).toBe(2)
    expect(pod.fields.status?.n).toBe(3)
  })

  it('resolves every reference through the schema registry', () => {
    for (const s of structs) {
      expect(STRUCTS.get(s.name), `${s.name} is registered`).toBe(s)
      for (const [name, f] of Object.entries(s.fields)) {
        for (const target of refsOf(f.type)) expect(STRUCTS.has(target), `${s.name}.${name} -> ${target}`).toBe(true)
      }
    }
  })

  it('reaches only defined structs from Pod and PodTemplateSpec', () => {
    const todo = [V1 + 'Pod', V1 + 'PodTemplateSpec']
    const seen = new Set<string>()
    while (todo.length) {
      const name = todo.pop() as string
      if (seen.has(name)) continue
      seen.add(name)
      const s = STRUCTS.get(name)
      expect(s, `${name} is defined`).toBeDefined()
      for (const f of Object.values(s?.fields ?? {})) todo.push(...refsOf(f.type))
    }
    // Pod's tree reaches beyond this module only for meta/v1 types and the PVC spec.
    const foreign = [...seen].filter((n) => !structs.some((s) => s.name === n))
    for (const n of foreign)
      expect(
        n.startsWith('io.k8s.apimachinery.') || n === V1 + 'PersistentVolumeClaimSpec' || n.startsWith(V1 + 'Typed') || n === V1 + 'VolumeResourceRequirements',
        n,
      ).toBe(true)
  })

  it('covers the fields of recent Kubernetes versions', () => {
    expect(Object.keys(struct('PodSpec').fields)).toHaveLength(40)
    expect(Object.keys(struct('Container').fields)).toHaveLength(24)
    expect(Object.keys(struct('Volume').fields)).toHaveLength(31)
    expect(struct('ContainerStatus').fields.allocatedResourcesStatus).toBeDefined()
    expect(struct('VolumeProjection').fields.clusterTrustBundle).toBeDefined()
  })

  it('declares exactly-one groups for volume sources and handlers', () => {
    expect(struct('Volume').oneOf?.[0]).toEqual(protoEmbeds.find((e) => e.struct === V1 + 'Volume')?.fields)
    expect(struct('Probe').oneOf).toEqual([['exec', 'httpGet', 'tcpSocket', 'grpc']])
    expect(struct('LifecycleHandler').oneOf).toEqual([['exec', 'httpGet', 'tcpSocket', 'sleep']])
  })

  it('documents every struct and field in one short line', () => {
    for (const s of structs) {
      expect(s.doc.length, s.name).toBeGreaterThan(0)
      for (const [name, f] of Object.entries(s.fields)) {
        expect(f.doc.length, `${s.name}.${name}`).toBeGreaterThan(0)
        expect(f.doc.length, `${s.name}.${name}`).toBeLessThanOrEqual(110)
        expect(f.doc, `${s.name}.${name}`).not.toContain('\n')
      }
    }
  })
})
