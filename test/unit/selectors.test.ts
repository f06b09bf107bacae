import { describe, expect, it } from 'vitest'
import { BadRequestError } from '../../src-cluster/api/errors'
import type { KubeObject } from '../../src-cluster/api/object'
import { findResource } from '../../src-cluster/api/resources'
import {
  fieldValues,
  labelSelectorFromObject,
  matchLabels,
  parseFieldSelector,
  parseFieldSelectorValues,
  parseLabelSelector,
  selectorToString,
} from '../../src-cluster/api/selectors'

// Field rules are keyed by group and plural only; events.k8s.io may not be in RESOURCES.
const res = (group: string, plural: string) => findResource(group, 'v1', plural) ?? { group, plural }

describe('parseLabelSelector', () => {
  const labels = { app: 'web', tier: 'frontend', 'kubernetes.io/os': 'linux' }

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['app=web,tier=frontend', true],
    ['app=web, tier=backend', false],
    ['kubernetes.io/os=linux', true],
    ['missing!=x', true],
    ['missing notin (x)', true],
    ['missing in (x)', false],
  ])('%s → %s', (sel, expected) => {
    expect(matchLabels(parseLabelSelector(sel), labels)).toBe(expected)
  })

  it('treats "in" and "notin" as plain words where a value is expected', () => {
    expect(matchLabels(parseLabelSelector('mode=in'), { mode: 'in' })).toBe(true)
    expect(matchLabels(parseLabelSelector('x in (in,notin)'), { x: 'notin' })).toBe(true)
  })

  it('accepts empty values: "a=" and "a in ()" match the empty string', () => {
    expect(matchLabels(parseLabelSelector('a='), { a: '' })).toBe(true)
    expect(matchLabels(parseLabelSelector('a='), { a: 'x' })).toBe(false)
    expect(matchLabels(parseLabelSelector('a in ()'), { a: '' })).toBe(true)
  })

  it('supports numeric gt/lt', () => {
    expect(matchLabels(parseLabelSelector('n>3'), { n: '10' })).toBe(true)
    expect(matchLabels(parseLabelSelector('n<3'), { n: '10' })).toBe(false)
    expect(matchLabels(parseLabelSelector('n>3'), { n: 'x' })).toBe(false)
  })

  it('sorts requirements by key and values inside sets when printed', () => {
    expect(selectorToString(parseLabelSelector('tier in (b,a),app=web,!gone'))).toBe('app=web,!gone,tier in (a,b)')
  })

  it.each([
    ['app=web,', "found '', expected: identifier after ','"],
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (web', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['app web', "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"],
    ['!app=web', "found '=', expected: ',' or 'end of string'"],
  ])('rejects %j with an upstream-style message', (sel, message) => {
    expect(() => parseLabelSelector(sel)).toThrowError(new BadRequestError(message))
  })

  it('validates keys and values', () => {
    expect(() => parseLabelSelector('-bad=x')).toThrow(/unable to parse requirement: key: Invalid value: "-bad"/)
    expect(() => parseLabelSelector('app=-bad-')).toThrow(/unable to parse requirement: values\[0\]\[app\]: Invalid value: "-bad-"/)
    expect(() => parseLabelSelector(`app=${'x'.repeat(64)}`)).toThrow(/must be no more than 63 characters/)
    expect(() => parseLabelSelector('app=web')).not.toThrow()
  })
})

describe('labelSelectorFromObject', () => {
  it('combines matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'Exists' },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
      ],
    })
    expect(matchLabels(sel, { app: 'web', tier: 'edge', zone: 'a' })).toBe(true)
    expect(matchLabels(sel, { app: 'web', tier: 'edge', zone: 'a', canary: 'yes' })).toBe(false)
    expect(matchLabels(sel, { app: 'web', tier: 'edge' })).toBe(false)
    expect(matchLabels(sel, { app: 'web', tier: 'edge', zone: 'a', env: 'prod' })).toBe(false)
    expect(selectorToString(sel)).toBe('app=web,!canary,env notin (prod),tier in (edge,frontend),zone')
  })

  it('an empty selector matches everything, a missing one nothing', () => {
    expect(matchLabels(labelSelectorFromObject({}), { any: 'thing' })).toBe(true)
    expect(matchLabels(labelSelectorFromObject({}), undefined)).toBe(true)
    expect(matchLabels(labelSelectorFromObject(undefined), { any: 'thing' })).toBe(false)
    expect(selectorToString(labelSelectorFromObject({ matchLabels: { run: 'web' } }))).toBe('run=web')
  })

  it('rejects unknown operators', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] })).toThrowError(
      new BadRequestError('"Equals" is not a valid label selector operator'),
    )
  })
})

describe('parseFieldSelector', () => {
  const pod = (name: string, node: string, phase: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, restartPolicy: 'Always', containers: [], ...extra },
    status: { phase, podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] },
  })
  const pods = [pod('a', 'n1', 'Running'), pod('b', 'n1', 'Succeeded'), pod('c', 'n2', 'Failed'), pod('d', 'n1', 'Pending', { hostNetwork: true })]
  const names = (sel: string) => pods.filter(parseFieldSelector(sel, res('', 'pods'))).map((p) => p.metadata!.name)

  it('filters pods the way `kubectl describe node` asks', () => {
    expect(names('spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed')).toEqual(['a', 'd'])
    expect(names('metadata.name=c')).toEqual(['c'])
    expect(names('metadata.name==c')).toEqual(['c'])
    expect(names('metadata.namespace=default')).toEqual(['a', 'b', 'c', 'd'])
    expect(names('')).toEqual(['a', 'b', 'c', 'd'])
    expect(names('spec.hostNetwork=true')).toEqual(['d'])
    expect(names('spec.hostNetwork=false')).toEqual(['a', 'b', 'c'])
    expect(names('status.podIP=10.244.1.5')).toHaveLength(4)
    expect(names('spec.host=n2')).toEqual(['c'])
  })

  it('rejects unsupported labels with the per-kind upstream message', () => {
    expect(() => parseFieldSelector('spec.foo=x', res('', 'pods'))).toThrowError(new BadRequestError('field label not supported: spec.foo'))
    expect(() => parseFieldSelector('spec.replicas=1', res('apps', 'deployments'))).toThrowError(
      new BadRequestError('"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    )
    expect(() => parseFieldSelector('status.active=1', res('batch', 'jobs'))).toThrowError(
      new BadRequestError('field label "status.active" not supported for batchv1.Job'),
    )
    // Cluster-scoped kinds with their own rules do not know metadata.namespace.
    expect(() => parseFieldSelector('metadata.namespace=x', res('', 'nodes'))).toThrow(/field label not supported/)
  })

  it('rejects malformed terms', () => {
    expect(() => parseFieldSelector('metadata.name', res('', 'pods'))).toThrow(BadRequestError)
    expect(() => parseFieldSelector('metadata.name=a=b', res('', 'pods'))).toThrow(BadRequestError)
    expect(parseFieldSelector('metadata.name=a\\,b', res('', 'pods'))({ metadata: { name: 'a,b' } })).toBe(true)
  })

  it('filters events by involved object, as `kubectl describe` does', () => {
    const ev = (name: string, uid: string): KubeObject => ({
      metadata: { name: `${name}.1`, namespace: 'default' },
      involvedObject: { kind: 'Pod', name, namespace: 'default', uid },
      reason: 'Started',
      type: 'Normal',
      source: { component: 'kubelet' },
    })
    const m = parseFieldSelector('involvedObject.name=x,involvedObject.namespace=default,involvedObject.uid=u1', res('', 'events'))
    expect(m(ev('x', 'u1'))).toBe(true)
    expect(m(ev('x', 'u2'))).toBe(false)
    expect(parseFieldSelector('source=kubelet', res('', 'events'))(ev('x', 'u1'))).toBe(true)
    const v1 = parseFieldSelector('regarding.name=x,reportingController=kubelet', res('events.k8s.io', 'events'))
    expect(v1({ metadata: { name: 'e' }, regarding: { name: 'x' }, reportingController: 'kubelet' })).toBe(true)
    expect(() => parseFieldSelector('involvedObject.name=x', res('events.k8s.io', 'events'))).toThrow(BadRequestError)
  })

  it('knows the other per-kind fields', () => {
    expect(parseFieldSelector('type=kubernetes.io/tls', res('', 'secrets'))({ metadata: {}, type: 'kubernetes.io/tls' })).toBe(true)
    expect(parseFieldSelector('spec.unschedulable=true', res('', 'nodes'))({ metadata: {}, spec: { unschedulable: true } })).toBe(true)
    expect(parseFieldSelector('spec.unschedulable=false', res('', 'nodes'))({ metadata: {}, spec: {} })).toBe(true)
    expect(parseFieldSelector('status.phase=Active', res('', 'namespaces'))({ metadata: {}, status: { phase: 'Active' } })).toBe(true)
    expect(parseFieldSelector('status.successful=0', res('batch', 'jobs'))({ metadata: {}, status: {} })).toBe(true)
    expect(parseFieldSelector('spec.type=NodePort', res('', 'services'))({ metadata: {}, spec: { type: 'NodePort' } })).toBe(true)
  })
})

describe('parseFieldSelectorValues', () => {
  it('answers over fieldValues exactly as parseFieldSelector over the object, and refuses the same labels', () => {
    const pods = res('', 'pods')
    const objs: KubeObject[] = [
      {
        metadata: { name: 'a', namespace: 'ns' },
        spec: { nodeName: 'n1', restartPolicy: 'Always', hostNetwork: true },
        status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] },
      },
      { metadata: { name: 'b', namespace: 'other' }, spec: {}, status: { phase: 'Pending', podIP: '10.0.0.2' } },
      { metadata: { name: 'c' } },
    ]
    for (const sel of [
      'spec.nodeName=n1',
      'spec.nodeName!=',
      'spec.host=n1',
      'status.phase!=Running,metadata.namespace=other',
      'spec.hostNetwork=true',
      'status.podIP=10.0.0.1',
      'metadata.name=c',
      '',
    ]) {
      const byObject = parseFieldSelector(sel, pods)
      const byValues = parseFieldSelectorValues(sel, pods)
      for (const o of objs) expect(byValues(fieldValues(pods, o)), `${sel} on ${String(o.metadata?.name)}`).toBe(byObject(o))
    }
    expect(() => parseFieldSelectorValues('spec.nope=x', pods)).toThrow(BadRequestError)
    expect(() => parseFieldSelectorValues('spec.nope=x', res('', 'configmaps'))).toThrow('is not a known field selector')
  })
})
