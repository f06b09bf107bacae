import { describe, expect, it } from 'vitest'
import { checkStructure, findDuplicateFields, validateObject } from '../../src-cluster/api/validation/index'
import { applyDefaults } from '../../src-cluster/api/defaults/index'
import { formatFieldError } from '../../src-cluster/api/errors'
import type { KubeObject } from '../../src-cluster/api/object'
import { findResource, type ResourceInfo } from '../../src-cluster/api/resources'
import { parseCron, nextAfter } from '../../src-cluster/api/cron'
import { canonicalQuantity, parseQuantity } from '../../src-cluster/api/quantity'
import { fixtureLookup } from './fixtures/structs'

function res(group: string, plural: string): ResourceInfo {
  const r = findResource(group, group === 'autoscaling' ? 'v2' : 'v1', plural)
  if (!r) throw new Error(`no resource ${group}/${plural}`)
  return r
}
/** Structure check, defaults, validation: the order the API server runs them. Returns messages. */
function errorsOf(group: string, plural: string, obj: KubeObject, old?: KubeObject): string[] {
  const r = res(group, plural)
  const s = checkStructure(obj, r.schema)
  const o = s.object
  applyDefaults(r, o)
  let prev: KubeObject | undefined
  if (old) {
    prev = checkStructure(old, r.schema).object
    applyDefaults(r, prev)
  }
  return [...s.errors, ...validateObject(r, o, prev)].map(formatFieldError)
}

const pod = (spec: Record<string, unknown>, name = 'p'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec })
const container = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'nginx:1.27', ...extra })
const deployment = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container()] } }, ...spec },
})

describe('quantity and cron helpers', () => {
  it('parses and canonicalises quantities', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1)
    expect(parseQuantity('1Gi')).toBe(1024 ** 3)
    expect(canonicalQuantity('0.5')).toBe('500m')
    expect(canonicalQuantity('1024Mi')).toBe('1Gi')
    expect(() => parseQuantity('1.2.3')).toThrow(/regular expression/)
  })
  it('parses cron schedules and finds the next run', () => {
    const from = new Date('2026-01-02T03:04:05Z') // a Friday
    expect(nextAfter(parseCron('*/15 * * * *'), from)?.toISOString()).toBe('2026-01-02T03:15:00.000Z')
    expect(nextAfter(parseCron('0 9 * * MON'), from)?.toISOString()).toBe('2026-01-05T09:00:00.000Z')
    expect(nextAfter(parseCron('@monthly'), from)?.toISOString()).toBe('2026-02-01T00:00:00.000Z')
    expect(nextAfter(parseCron('0 0 13 * 5'), from)?.toISOString()).toBe('2026-01-09T00:00:00.000Z') // dom OR dow
    expect(() => parseCron('* * * *')).toThrow(/5 fields/)
    expect(() => parseCron('61 * * * *')).toThrow(/above maximum/)
  })
})

describe('checkStructure (fixture structs)', () => {
  it('prunes unknown fields and reports their paths, drops nulls', () => {
    const r = checkStructure(
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', creationTimestamp: null, bogus: 1 },
        spec: { containers: [{ name: 'a', imagePullPolcy: 'Always' }], extra: {} },
      },
      'test.Widget',
      fixtureLookup,
    )
    expect(r.unknownFields).toEqual(['metadata.bogus', 'spec.containers[0].imagePullPolcy', 'spec.extra'])
    expect(r.errors).toEqual([])
    expect(r.object).toEqual({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { containers: [{ name: 'a' }] } })
  })

  it('reports type mismatches, enums, quantities, int-or-string and map values', () => {
    const r = checkStructure(
      {
        spec: {
          replicas: 'three',
          paused: 'yes',
          mode: 'Turbo',
          maxSurge: 1.5,
          containers: [{ name: 'a', resources: { limits: { cpu: 'lots', memory: 128 } }, command: ['sh', 3] }],
          payload: { anything: [1, 'x'] },
          numbers: [1, 2.5],
        },
        metadata: { labels: { ok: 'v', bad: 5 } },
      },
      'test.Widget',
      fixtureLookup,
    )
    expect(r.errors.map(formatFieldError)).toEqual([
      'spec.replicas: Invalid value: "three": spec.replicas in body must be of type integer: "string"',
      'spec.paused: Invalid value: "yes": spec.paused in body must be of type boolean: "string"',
      'spec.mode: Unsupported value: "Turbo": supported values: "Fast", "Slow"',
      'spec.maxSurge: Invalid value: 1.5: spec.maxSurge in body must be of type integer-or-string: "number"',
      `spec.containers[0].resources.limits[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      'spec.containers[0].command[1]: Invalid value: 3: spec.containers[0].command[1] in body must be of type string: "integer"',
      'spec.numbers[1]: Invalid value: 2.5: spec.numbers[1] in body must be of type integer: "number"',
      'metadata.labels[bad]: Invalid value: 5: metadata.labels[bad] in body must be of type string: "integer"',
    ])
    expect((r.object.spec as any).containers[0].resources.limits.memory).toBe('128')
    expect((r.object.spec as any).payload).toEqual({ anything: [1, 'x'] })
  })

  it('rejects a body that is not an object', () => {
    expect(checkStructure([1], 'test.Widget', fixtureLookup).errors).toHaveLength(1)
  })
})

describe('findDuplicateFields', () => {
  it('finds duplicate keys at any depth, with paths', () => {
    const text = '{"a":1,"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"x","name":"y"}]}},"replicas":2},"a":3}'
    expect(findDuplicateFields(text)).toEqual(['spec.template.spec.containers[0].name', 'spec.replicas', 'a'])
    expect(findDuplicateFields('{"a":"}\\"","b":[{},{"a":1}]}')).toEqual([])
    expect(findDuplicateFields('{"broken": ')).toEqual([])
  })
})

describe('validateObject (real schema)', () => {
  it('accepts what kubectl creates', () => {
    expect(errorsOf('apps', 'deployments', deployment({ replicas: 3 }))).toEqual([])
    expect(errorsOf('', 'pods', pod({ containers: [container({ ports: [{ containerPort: 80, name: 'http' }] })] }))).toEqual([])
    expect(errorsOf('', 'services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })).toEqual([])
    expect(errorsOf('', 'configmaps', { metadata: { name: 'c' }, data: { 'a.b': 'x' } })).toEqual([])
    expect(errorsOf('batch', 'jobs', { metadata: { name: 'j' }, spec: { template: { spec: { containers: [container()], restartPolicy: 'Never' } } } })).toEqual(
      [],
    )
    expect(
      errorsOf('batch', 'cronjobs', {
        metadata: { name: 'cj' },
        spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { containers: [container()], restartPolicy: 'OnFailure' } } } } },
      }),
    ).toEqual([])
  })

  it('metadata: name required, syntax per kind, labels and annotations', () => {
    expect(errorsOf('', 'configmaps', { metadata: {} })).toContain('metadata.name: Required value: name or generateName is required')
    expect(errorsOf('', 'configmaps', { metadata: { name: 'Bad_Name' } })[0]).toMatch(
      /^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    )
    expect(errorsOf('', 'namespaces', { metadata: { name: 'a.b' } })[0]).toMatch(/a lowercase RFC 1123 label/)
    expect(errorsOf('', 'services', { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } })[0]).toMatch(/a DNS-1035 label/)
    expect(errorsOf('rbac.authorization.k8s.io', 'roles', { metadata: { name: 'system:viewer' }, rules: [] })).toEqual([])
    const bad = errorsOf('', 'configmaps', { metadata: { name: 'c', labels: { 'bad key': 'v', ok: 'not ok!' } } })
    expect(bad.some((m) => m.startsWith('metadata.labels: Invalid value: "bad key": name part must consist'))).toBe(true)
    expect(bad.some((m) => m.startsWith('metadata.labels: Invalid value: "not ok!": a valid label must be an empty string'))).toBe(true)
    const big = errorsOf('', 'configmaps', { metadata: { name: 'c', annotations: { a: 'x'.repeat(256 * 1024) } } })
    expect(big).toContain('metadata.annotations: Too long: must have at most 262144 bytes')
  })

  it('Pod rules', () => {
    expect(errorsOf('', 'pods', pod({ containers: [] }))).toContain('spec.containers: Required value')
    const errs = errorsOf(
      '',
      'pods',
      pod({
        containers: [
          container({
            ports: [{ containerPort: 0 }, { containerPort: 81, name: 'http' }, { containerPort: 82, name: 'http' }],
            volumeMounts: [{ name: 'missing', mountPath: '/data' }],
          }),
          { name: 'c' },
          container({ name: 'x', env: [{ name: '1BAD', value: 'v' }], resources: { requests: { cpu: '2' }, limits: { cpu: '1' } }, livenessProbe: {} }),
        ],
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'v', emptyDir: {} },
        ],
        restartPolicy: 'Sometimes',
      }),
    )
    expect(errs).toEqual(
      expect.arrayContaining([
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.volumes[1].name: Duplicate value: "v"',
        'spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[2].name: Duplicate value: "http"',
        'spec.containers[1].name: Duplicate value: "c"',
        'spec.containers[1].image: Required value',
        'spec.containers[2].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        'spec.containers[2].livenessProbe: Required value: must specify a handler type',
      ]),
    )
    expect(errs.some((m) => m.startsWith('spec.containers[0].volumeMounts[0].name: Invalid value: "missing"'))).toBe(true)
    expect(errs.some((m) => m.startsWith('spec.containers[2].env[0].name: Invalid value: "1BAD": a valid environment variable name'))).toBe(true)
  })

  it('Deployment rules: selector, template labels, replicas, strategy', () => {
    const mismatch = deployment({ selector: { matchLabels: { app: 'other' } } })
    expect(errorsOf('apps', 'deployments', mismatch)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ])
    expect(errorsOf('apps', 'deployments', deployment({ selector: undefined }))).toContain('spec.selector: Required value')
    expect(errorsOf('apps', 'deployments', deployment({ selector: {} }))).toContain(
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    )
    expect(errorsOf('apps', 'deployments', deployment({ replicas: -1 }))).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0')
    expect(errorsOf('apps', 'deployments', deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }))).toContain(
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    )
    expect(errorsOf('apps', 'deployments', deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }))).toContain(
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    )
    const neverRestart = deployment({})
    ;(neverRestart.spec as any).template.spec.restartPolicy = 'Never'
    expect(errorsOf('apps', 'deployments', neverRestart)).toContain('spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"')
  })

  it('Job and CronJob rules', () => {
    expect(errorsOf('batch', 'jobs', { metadata: { name: 'j' }, spec: { template: { spec: { containers: [container()] } } } })).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    )
    const cj = (schedule: string) => ({
      metadata: { name: 'cj' },
      spec: { schedule, jobTemplate: { spec: { template: { spec: { containers: [container()], restartPolicy: 'Never' } } } } },
    })
    expect(errorsOf('batch', 'cronjobs', cj('@hourly'))).toEqual([])
    expect(errorsOf('batch', 'cronjobs', cj('61 * * * *'))).toEqual(['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'])
  })

  it('Service rules', () => {
    const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 'web' }, spec })
    expect(errorsOf('', 'services', svc({}))).toContain('spec.ports: Required value')
    expect(errorsOf('', 'services', svc({ type: 'ExternalName', externalName: 'example.com' }))).toEqual([])
    const errs = errorsOf('', 'services', svc({ ports: [{ port: 80 }, { port: 70000, name: 'b', nodePort: 30001 }], clusterIP: 'nope' }))
    expect(errs).toEqual(
      expect.arrayContaining([
        'spec.ports[0].name: Required value',
        'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        "spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
        'spec.clusterIPs[0]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ]),
    )
    expect(errorsOf('', 'services', svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }))).toContain(
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    )
  })

  it('ConfigMap and Secret rules', () => {
    expect(errorsOf('', 'configmaps', { metadata: { name: 'c' }, data: { 'bad key': 'x' } })[0]).toMatch(
      /^data\[bad key\]: Invalid value: "bad key": a valid config key/,
    )
    expect(errorsOf('', 'secrets', { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })).toEqual([
      'data[tls.key]: Required value',
    ])
    expect(errorsOf('', 'secrets', { metadata: { name: 's' }, data: { a: 'not base64!' } })).toEqual([
      'data[a]: Invalid value: "<secret contents redacted>": illegal base64 data',
    ])
  })

  it('other kinds', () => {
    expect(errorsOf('', 'persistentvolumeclaims', { metadata: { name: 'c' }, spec: {} })).toEqual(
      expect.arrayContaining(['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']),
    )
    expect(
      errorsOf('autoscaling', 'horizontalpodautoscalers', {
        metadata: { name: 'h' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 5, maxReplicas: 2 },
      }),
    ).toContain('spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`')
    expect(errorsOf('policy', 'poddisruptionbudgets', { metadata: { name: 'p' }, spec: { minAvailable: 1, maxUnavailable: 1 } })[0]).toMatch(
      /minAvailable and maxUnavailable cannot be both set/,
    )
    expect(errorsOf('rbac.authorization.k8s.io', 'roles', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'] }] })).toContain(
      'rules[0].verbs: Required value: verbs must contain at least one value',
    )
    expect(
      errorsOf('discovery.k8s.io', 'endpointslices', { metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.300'] }] }),
    ).toContain('endpoints[0].addresses[0]: Invalid value: "10.0.0.300": must be a valid IPv4 address')
    expect(
      errorsOf('networking.k8s.io', 'ingresses', {
        metadata: { name: 'i' },
        spec: { rules: [{ http: { paths: [{ path: 'x', backend: { service: { name: 's', port: { number: 80 } } } }] } }] },
      }),
    ).toEqual(expect.arrayContaining(['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']))
  })

  it('update rules: immutable fields', () => {
    const p = pod({ containers: [container()] })
    const changedImage = pod({ containers: [container({ image: 'nginx:1.28' })] })
    expect(errorsOf('', 'pods', changedImage, p)).toEqual([])
    const changedEnv = pod({ containers: [container({ env: [{ name: 'A', value: 'b' }] })] })
    expect(errorsOf('', 'pods', changedEnv, p)[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/)
    const newSelector = deployment({ selector: { matchLabels: { app: 'web', tier: 'x' } } })
    ;(newSelector.spec as any).template.metadata.labels.tier = 'x'
    expect(errorsOf('apps', 'deployments', newSelector, deployment({}))[0]).toMatch(/^spec\.selector: Invalid value: .*field is immutable/)
    const cm = { metadata: { name: 'c' }, immutable: true, data: { a: 'b' } }
    expect(errorsOf('', 'configmaps', { ...cm, data: { a: 'c' } }, cm)).toEqual(['data: Forbidden: field is immutable when `immutable` is set'])
    const svcOld = { metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.5', ports: [{ port: 80 }] } }
    expect(errorsOf('', 'services', { metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.6', ports: [{ port: 80 }] } }, svcOld)).toEqual([
      'spec.clusterIPs[0]: Invalid value: "10.96.0.6": may not change once set',
    ])
  })
})
