// PATCH semantics: JSON merge patch, JSON patch, strategic merge patch, basic server-side apply.
// The bodies below are the ones kubectl sends (reference/KUBE-API.md §4.2), applied with the real
// schema (Deployment, Pod, Node structs). Two small fixture structs carry upstream's ordering cases.
import { describe, expect, it } from 'vitest'
import { f, int32, list, mergeList, ref, string, struct, type Struct } from '../../src-cluster/api/schema/dsl'
import { structByName } from '../../src-cluster/api/schema'
import type { KubeObject } from '../../src-cluster/api/object'
import { applyConfigurationCreates, applyPatch, patchTypeFromContentType, PatchError, type PatchType } from '../../src-cluster/apiserver/patch'

const V1 = 'io.k8s.api.core.v1.'
const APPS = 'io.k8s.api.apps.v1.'

// Lists of objects and of ints with strategy merge, shaped like upstream's test schema.
const fixture: Struct[] = [
  struct('test.Ordered', 'ordered', {
    mergingList: f(1, mergeList(ref('test.Item'), 'name'), 'merging'),
    mergingIntList: f(2, list(int32, { strategy: 'merge' }), 'ints'),
  }),
  struct('test.Item', 'item', { name: f(1, int32, 'name'), value: f(2, string, 'value'), other: f(3, string, 'other') }),
]
const byName = new Map(fixture.map((s) => [s.name, s]))
const lookup = (name: string): Struct => byName.get(name) ?? structByName(name)

function patch(type: PatchType, original: KubeObject, body: unknown, structName: string): KubeObject {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return applyPatch(type, original, text, structName, lookup)
}
const smp = (o: KubeObject, body: unknown, s = APPS + 'Deployment') => patch('strategic', o, body, s)

function patchError(fn: () => unknown): PatchError {
  try {
    fn()
  } catch (e) {
    if (e instanceof PatchError) return e
    throw e
  }
  throw new Error('expected a PatchError, but the patch applied')
}

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          restartPolicy: 'Always',
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              args: ['-g', 'daemon off;'],
              ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'busybox', command: ['sleep', 'infinity'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', effect: 'NoSchedule' }],
        },
      },
    },
  }
}

type Any = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- test-only deep access
const podSpec = (o: KubeObject): Any => (o as Any).spec.template.spec
const containers = (o: KubeObject): Any[] => podSpec(o).containers

describe('patchTypeFromContentType', () => {
  it('maps the four patch media types and ignores parameters and case', () => {
    expect(patchTypeFromContentType('application/json-patch+json')).toBe('json')
    expect(patchTypeFromContentType('application/merge-patch+json')).toBe('merge')
    expect(patchTypeFromContentType('application/strategic-merge-patch+json; charset=utf-8')).toBe('strategic')
    expect(patchTypeFromContentType('Application/Apply-Patch+YAML')).toBe('apply')
  })
  it('answers undefined for CBOR apply, plain JSON and nothing', () => {
    expect(patchTypeFromContentType('application/apply-patch+cbor')).toBeUndefined()
    expect(patchTypeFromContentType('application/json')).toBeUndefined()
    expect(patchTypeFromContentType(undefined)).toBeUndefined()
  })
  it('rejects an unknown type with 415', () => {
    expect(patchError(() => patch('bogus' as PatchType, deployment(), {}, APPS + 'Deployment')).code).toBe(415)
  })
})

describe('JSON merge patch (RFC 7386)', () => {
  it('applies a kubectl label patch: adds, overwrites and deletes labels', () => {
    const o = deployment()
    const r = patch('merge', o, { metadata: { labels: { tier: 'front', app: 'web2' } } }, APPS + 'Deployment')
    expect(r.metadata?.labels).toEqual({ app: 'web2', tier: 'front' })
    const r2 = patch('merge', r, { metadata: { labels: { tier: null } } }, APPS + 'Deployment')
    expect(r2.metadata?.labels).toEqual({ app: 'web2' })
  })
  it('replaces lists wholesale and removes nested nulls of new objects', () => {
    const r = patch(
      'merge',
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } }, status: { a: { b: null, c: 1 } } },
      APPS + 'Deployment',
    )
    expect(containers(r)).toEqual([{ name: 'only', image: 'x' }])
    expect((r as Any).status).toEqual({ a: { c: 1 } })
  })
  it('applies a kubectl scale patch', () => {
    const r = patch('merge', deployment(), { spec: { replicas: 5 } }, APPS + 'Deployment')
    expect((r as Any).spec.replicas).toBe(5)
    expect(containers(r)).toHaveLength(2)
  })
  it('answers 400 for malformed bodies', () => {
    expect(patchError(() => patch('merge', deployment(), '{"spec":', APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('merge', deployment(), '[1]', APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('merge', deployment(), '', APPS + 'Deployment')).code).toBe(400)
  })
})

describe('JSON patch (RFC 6902)', () => {
  it('applies kubectl rollout undo: replace /spec/template and /metadata/annotations', () => {
    const o = deployment()
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.24' }] } }
    const annotations = { 'deployment.kubernetes.io/revision': '3' }
    const r = patch(
      'json',
      o,
      [
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: annotations },
      ],
      APPS + 'Deployment',
    )
    expect((r as Any).spec.template).toEqual(template)
    expect(r.metadata?.annotations).toEqual(annotations)
    expect((r as Any).spec.replicas).toBe(2)
  })
  it('supports add with "-", remove, move, copy and a passing test', () => {
    const r = patch(
      'json',
      deployment(),
      [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '-q' },
        { op: 'remove', path: '/spec/template/spec/tolerations' },
        { op: 'copy', from: '/metadata/labels', path: '/spec/template/metadata/annotations' },
        { op: 'move', from: '/spec/replicas', path: '/spec/moved' },
      ],
      APPS + 'Deployment',
    )
    expect((r as Any).spec.moved).toBe(2)
    expect((r as Any).spec.replicas).toBeUndefined()
    expect(containers(r)[0].args).toEqual(['-g', 'daemon off;', '-q'])
    expect(podSpec(r).tolerations).toBeUndefined()
    expect((r as Any).spec.template.metadata.annotations).toEqual({ app: 'web' })
  })
  it('answers 422 naming the op and path when a test fails or a path is missing', () => {
    const e = patchError(() =>
      patch(
        'json',
        deployment(),
        [
          { op: 'replace', path: '/spec/replicas', value: 3 },
          { op: 'test', path: '/spec/replicas', value: 9 },
        ],
        APPS + 'Deployment',
      ),
    )
    expect(e.code).toBe(422)
    expect(e.message).toContain('operation 1 (test /spec/replicas)')
    const e2 = patchError(() => patch('json', deployment(), [{ op: 'remove', path: '/spec/nothing' }], APPS + 'Deployment'))
    expect(e2.code).toBe(422)
    expect(e2.message).toMatch(/remove \/spec\/nothing.*does not exist/)
    const e3 = patchError(() => patch('json', deployment(), [{ op: 'add', path: '/metadata/missing/key', value: 'v' }], APPS + 'Deployment'))
    expect(e3.code).toBe(422)
  })
  it('answers 400 for malformed operations and 422 when the result is not an object', () => {
    expect(patchError(() => patch('json', deployment(), { op: 'add' }, APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('json', deployment(), [{ op: 'frobnicate', path: '/a' }], APPS + 'Deployment')).message).toContain('frobnicate')
    expect(patchError(() => patch('json', deployment(), [{ op: 'add', path: 'spec', value: 1 }], APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('json', deployment(), [{ op: 'add', path: '/spec' }], APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('json', deployment(), [{ op: 'replace', path: '', value: 'x' }], APPS + 'Deployment')).code).toBe(422)
    expect(patchError(() => patch('json', deployment(), [{ op: 'add', path: '/metadata/__proto__/x', value: 1 }], APPS + 'Deployment')).code).toBe(400)
  })
})

describe('strategic merge patch', () => {
  it('applies kubectl set image with $setElementOrder/containers', () => {
    const o = deployment()
    const r = smp(o, {
      spec: {
        template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.27', name: 'nginx' }] } },
      },
    })
    expect(containers(r).map((c) => [c.name, c.image])).toEqual([
      ['nginx', 'nginx:1.27'],
      ['sidecar', 'busybox'],
    ])
    // The rest of the container survives the merge.
    expect(containers(r)[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ])
    expect(containers(r)[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }])
  })

  it('applies a kubectl apply patch that adds and removes env entries', () => {
    const r = smp(deployment(), {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'nginx',
                '$setElementOrder/env': [{ name: 'B' }, { name: 'C' }],
                env: [
                  { name: 'C', value: '3' },
                  { name: 'A', $patch: 'delete' },
                ],
              },
            ],
          },
        },
      },
    })
    expect(containers(r)[0].env).toEqual([
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ])
  })

  it('merges container ports by containerPort', () => {
    const r = smp(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'nginx',
                '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }],
                ports: [
                  { containerPort: 80, name: 'web' },
                  { containerPort: 443, name: 'https' },
                ],
              },
            ],
          },
        },
      },
    })
    expect(containers(r)[0].ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'web' },
      { containerPort: 443, name: 'https' },
    ])
    const removed = smp(r, { spec: { template: { spec: { containers: [{ name: 'nginx', ports: [{ containerPort: 80, $patch: 'delete' }] }] } } } })
    expect(containers(removed)[0].ports).toEqual([{ containerPort: 443, name: 'https' }])
  })

  it('removes a container with $patch: delete', () => {
    const r = smp(deployment(), {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
    })
    expect(containers(r).map((c) => c.name)).toEqual(['nginx'])
  })

  it('switches a volume source with $retainKeys', () => {
    const r = smp(deployment(), {
      spec: {
        template: {
          spec: { '$setElementOrder/volumes': [{ name: 'data' }], volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, name: 'data' }] },
        },
      },
    })
    expect(podSpec(r).volumes).toEqual([{ name: 'data', configMap: { name: 'cfg' } }])
  })

  it('switches the deployment strategy with $retainKeys and rejects keys it does not retain', () => {
    const r = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } })
    expect((r as Any).spec.strategy).toEqual({ type: 'Recreate' })
    const e = patchError(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }))
    expect(e.code).toBe(400)
    expect(e.message).toContain('rollingUpdate')
  })

  it('applies kubectl cordon and rollout restart', () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } }
    expect((smp(node, { spec: { unschedulable: true } }, V1 + 'Node') as Any).spec).toEqual({ podCIDR: '10.244.1.0/24', unschedulable: true })
    const r = smp(deployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } } })
    expect((r as Any).spec.template.metadata).toEqual({ labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } })
  })

  it('merges finalizers as a set and deletes with $deleteFromPrimitiveList', () => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a', 'b'] } }
    expect(smp(o, { metadata: { finalizers: ['b', 'c'] } }, V1 + 'Pod').metadata?.finalizers).toEqual(['a', 'b', 'c'])
    expect(smp(o, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'zz'] } }, V1 + 'Pod').metadata?.finalizers).toEqual(['b'])
    // Deleting from a list that is not there does not create it.
    const bare: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }
    expect(smp(bare, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, V1 + 'Pod').metadata).toEqual({ name: 'p' })
  })

  it('replaces lists without a merge strategy and deletes fields set to null', () => {
    const r = smp(deployment(), {
      spec: {
        paused: null,
        replicas: null,
        template: { spec: { tolerations: [{ key: 'b', effect: 'NoExecute' }], containers: [{ name: 'nginx', args: ['x'] }] } },
      },
    })
    expect(podSpec(r).tolerations).toEqual([{ key: 'b', effect: 'NoExecute' }])
    expect(containers(r)[0].args).toEqual(['x'])
    expect((r as Any).spec.replicas).toBeUndefined()
  })

  it('honours $patch: replace and $patch: delete on maps and lists', () => {
    const o = deployment()
    podSpec(o).nodeSelector = { disk: 'ssd', zone: 'a' }
    const r = smp(o, { spec: { template: { spec: { nodeSelector: { $patch: 'replace', zone: 'b' } } } } })
    expect(podSpec(r).nodeSelector).toEqual({ zone: 'b' })
    const r2 = smp(o, { spec: { template: { spec: { nodeSelector: { $patch: 'delete' } } } } })
    expect(podSpec(r2).nodeSelector).toEqual({})
    const r3 = smp(o, {
      spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'x', env: [{ name: 'N', value: null }] }] } } },
    })
    expect(containers(r3)).toEqual([{ name: 'solo', image: 'x', env: [{ name: 'N' }] }])
    const r4 = smp(o, { $patch: 'replace', apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } })
    expect(r4).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } })
  })

  it('merges unknown and raw fields like a JSON merge patch', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      status: { phase: 'Running', list: [{ name: 'a', x: 1 }] },
      extra: { a: 1, b: 2 },
    }
    const r = smp(pod, { status: { phase: 'Failed', list: [{ name: 'b' }] }, extra: { b: null, c: [{ $patch: 'delete' }] } }, V1 + 'Pod')
    expect((r as Any).status).toEqual({ phase: 'Failed', list: [{ name: 'b' }] })
    expect((r as Any).extra).toEqual({ a: 1, c: [{ $patch: 'delete' }] })
  })

  it('adds new containers before live ones unless $setElementOrder says otherwise (upstream order)', () => {
    const r = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'new', image: 'x' }] } } } })
    expect(containers(r).map((c) => c.name)).toEqual(['new', 'nginx', 'sidecar'])
    const r2 = smp(deployment(), {
      spec: {
        template: {
          spec: { '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }, { name: 'new' }], containers: [{ name: 'new', image: 'x' }] },
        },
      },
    })
    expect(containers(r2).map((c) => c.name)).toEqual(['nginx', 'sidecar', 'new'])
  })

  // Ordering cases ported from upstream's strategicpatch tests (same inputs, same results).
  const ordered = (items: unknown[]): KubeObject => ({ mergingList: items.map((i) => (typeof i === 'number' ? { name: i } : i)) })
  const names = (o: KubeObject): unknown[] => ((o as Any).mergingList as Any[]).map((i) => i.name)
  it('keeps server-only items in place around a $setElementOrder list', () => {
    const live = ordered([{ name: 1, other: 'a' }, { name: 2, value: '2' }, 7, 9, 8, { name: 3, value: '3' }, { name: 4, value: '4' }])
    const r = smp(live, { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] }, 'test.Ordered')
    expect(names(r)).toEqual([2, 1, 7, 9, 8, 4, 3])
    expect((r as Any).mergingList[1]).toEqual({ name: 1, other: 'a' })
  })
  it('orders patched items by the patch and leaves the rest by the live list', () => {
    const live = ordered([1, { name: 2, value: 'b' }, 3])
    const r = smp(
      live,
      {
        mergingList: [
          { name: 3, value: 'c' },
          { name: 1, value: 'a' },
        ],
      },
      'test.Ordered',
    )
    expect((r as Any).mergingList).toEqual([
      { name: 2, value: 'b' },
      { name: 3, value: 'c' },
      { name: 1, value: 'a' },
    ])
    const ints = smp({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, 'test.Ordered')
    expect((ints as Any).mergingIntList).toEqual([2, 3, 1])
    const dupes = smp(
      ordered([1, 1, { name: 2, value: 'a' }, 3, 3]),
      {
        mergingList: [
          { name: 1, $patch: 'delete' },
          { name: 3, $patch: 'delete' },
        ],
      },
      'test.Ordered',
    )
    expect((dupes as Any).mergingList).toEqual([{ name: 2, value: 'a' }])
  })

  it('answers 400 for malformed directives', () => {
    const at = (body: unknown) => patchError(() => smp(deployment(), body))
    expect(at({ spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }).message).toContain('merge key "name"')
    expect(
      at({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }], containers: [{ name: 'nginx', image: 'x' }] } } } }).code,
    ).toBe(400)
    expect(at({ spec: { $patch: 'explode' } }).message).toContain('explode')
    expect(at({ spec: { $frob: 1 } }).code).toBe(400)
    expect(at({ spec: { template: { spec: { containers: [{ name: 'nginx', $patch: 'merge' }] } } } }).code).toBe(400)
    expect(at({ metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }).code).toBe(400)
    expect(at('not json').code).toBe(400)
    expect(at('{"metadata":{"labels":{"__proto__":{"x":"y"}}}}').message).toContain('__proto__')
  })

  it('leaves the original untouched and shares no structure with it', () => {
    const o = deployment()
    const before = structuredClone(o)
    const body = { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } }
    const r = smp(o, body)
    expect(o).toEqual(before)
    containers(r)[1].image = 'changed'
    ;(r.metadata!.labels as Any).app = 'changed'
    podSpec(r).volumes[0].emptyDir.medium = 'Memory'
    expect(o).toEqual(before)
  })
})

describe('server-side apply (basic)', () => {
  const applied = (spec: unknown) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec })

  it('merges an applied configuration by list keys and replaces atomic lists', () => {
    const r = patch(
      'apply',
      deployment(),
      applied({
        replicas: 3,
        template: {
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 443 }], env: [{ name: 'C', value: '3' }] },
            ],
            tolerations: [{ key: 'z' }],
          },
        },
      }),
      APPS + 'Deployment',
    )
    const c = containers(r)
    expect(c.map((x) => x.name)).toEqual(['nginx', 'sidecar'])
    expect(c[0].image).toBe('nginx:1.27')
    // The live port 80 (protocol defaulted to TCP) is matched, not duplicated.
    expect(c[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'web' }, { containerPort: 443 }])
    expect(c[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ])
    expect(podSpec(r).tolerations).toEqual([{ key: 'z' }])
    expect((r as Any).spec.replicas).toBe(3)
  })

  it('orders merged lists like structured-merge-diff: shared items follow the applied order', () => {
    const live: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a', 'b', 'c'] } }
    const r = patch('apply', live, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['c', 'a', 'd'] } }, V1 + 'ConfigMap')
    expect(r.metadata?.finalizers).toEqual(['b', 'c', 'a', 'd'])
    const env = patch(
      'apply',
      deployment(),
      applied({ template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'A', value: 'x' }, { name: 'N', value: 'n' }, { name: 'B' }] }] } } }),
      APPS + 'Deployment',
    )
    expect(containers(env)[0].env).toEqual([
      { name: 'A', value: 'x' },
      { name: 'N', value: 'n' },
      { name: 'B', value: '2' },
    ])
  })

  it('reads YAML, removes fields set to null and checks apiVersion and kind', () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  strategy:\n    rollingUpdate: null\n    type: Recreate\n'
    const r = patch('apply', deployment(), yaml, APPS + 'Deployment')
    expect((r as Any).spec.strategy).toEqual({ type: 'Recreate' })
    expect(patchError(() => patch('apply', deployment(), { kind: 'Deployment', metadata: { name: 'web' } }, APPS + 'Deployment')).message).toContain(
      'apiVersion',
    )
    expect(patchError(() => patch('apply', deployment(), { apiVersion: 'v1', kind: 'Pod' }, APPS + 'Deployment')).code).toBe(400)
    expect(patchError(() => patch('apply', deployment(), 'a: [', APPS + 'Deployment')).code).toBe(400)
    expect(
      patchError(() => patch('apply', deployment(), { ...applied({}), metadata: { name: 'web', managedFields: [] } }, APPS + 'Deployment')).message,
    ).toContain('managedFields')
  })

  it('creates from an applied configuration only for the apply type', () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: null },
      spec: { containers: [{ name: 'c', image: 'x', env: [{ name: 'E', value: null }] }] },
    })
    expect(applyConfigurationCreates('apply', body, V1 + 'Pod')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', env: [{ name: 'E' }] }] },
    })
    expect(applyConfigurationCreates('strategic', body, V1 + 'Pod')).toBeUndefined()
    expect(applyConfigurationCreates('apply', body)?.metadata).toEqual({ name: 'p' })
  })
})
