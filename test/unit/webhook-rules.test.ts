// The pure half of admission webhooks: rule matching as upstream's rules.Matcher, selectors,
// the AdmissionReview request, and the checks on a webhook's answer.
import { describe, expect, it } from 'vitest'
import { findResource } from '../../src-cluster/api/resources'
import {
  buildReview,
  gvrOf,
  matchingResource,
  objectSelectorMatches,
  ruleMatches,
  verifyResponse,
  type AdmissionAttributes,
} from '../../src-cluster/apiserver/admission/webhook-rules'

const PODS = findResource('', 'v1', 'pods')!
const NAMESPACES = findResource('', 'v1', 'namespaces')!
const HPA_V1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers')!
const HPA_V2 = findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!

const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE',
  res: PODS,
  namespace: 'default',
  name: 'p',
  dryRun: false,
  ...over,
})
const rule = (resources: string[], extra: Record<string, unknown> = {}) => ({ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources, ...extra })

describe('rule matching', () => {
  it('matches resources and subresources with upstream wildcards', () => {
    const status = attrs({ subresource: 'status', operation: 'UPDATE' })
    expect(ruleMatches(rule(['pods']), attrs(), gvrOf(PODS))).toBe(true)
    expect(ruleMatches(rule(['pods']), status, gvrOf(PODS))).toBe(false)
    expect(ruleMatches(rule(['*']), status, gvrOf(PODS))).toBe(false)
    expect(ruleMatches(rule(['pods/status']), status, gvrOf(PODS))).toBe(true)
    expect(ruleMatches(rule(['pods/*']), status, gvrOf(PODS))).toBe(true)
    expect(ruleMatches(rule(['*/status']), status, gvrOf(PODS))).toBe(true)
    expect(ruleMatches(rule(['*/*']), attrs(), gvrOf(PODS))).toBe(true)
    expect(ruleMatches(rule(['pods'], { operations: ['UPDATE'] }), attrs(), gvrOf(PODS))).toBe(false)
    expect(ruleMatches(rule(['pods'], { apiGroups: ['apps'] }), attrs(), gvrOf(PODS))).toBe(false)
  })

  it('scopes: Namespace objects are cluster-scoped', () => {
    const ns = attrs({ res: NAMESPACES, namespace: 'team', name: 'team' })
    expect(ruleMatches(rule(['namespaces'], { scope: 'Cluster' }), ns, gvrOf(NAMESPACES))).toBe(true)
    expect(ruleMatches(rule(['namespaces'], { scope: 'Namespaced' }), ns, gvrOf(NAMESPACES))).toBe(false)
    expect(ruleMatches(rule(['pods'], { scope: 'Cluster' }), attrs(), gvrOf(PODS))).toBe(false)
  })

  it('matchPolicy Equivalent finds the same objects under another version; Exact does not', () => {
    const v2Rule = { operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] }
    const a = attrs({ res: HPA_V1 })
    expect(matchingResource({ name: 'x', rules: [v2Rule] }, a, [HPA_V2])).toBe(HPA_V2)
    expect(matchingResource({ name: 'x', rules: [v2Rule], matchPolicy: 'Exact' }, a, [HPA_V2])).toBeUndefined()
  })

  it('objectSelector: new or old labels; empty matches all', () => {
    const hook = { name: 'x', objectSelector: { matchLabels: { team: 'a' } } }
    expect(objectSelectorMatches(hook, attrs({ object: { metadata: { labels: { team: 'a' } } } }))).toBe(true)
    expect(objectSelectorMatches(hook, attrs({ object: { metadata: {} }, oldObject: { metadata: { labels: { team: 'a' } } } }))).toBe(true)
    expect(objectSelectorMatches(hook, attrs({ object: { metadata: { labels: { team: 'b' } } } }))).toBe(false)
    expect(objectSelectorMatches({ name: 'x', objectSelector: {} }, attrs())).toBe(true)
  })
})

describe('AdmissionReview', () => {
  it('request fields as upstream writes them', () => {
    const gvk = { group: '', version: 'v1', kind: 'Pod' }
    const r = buildReview('u-1', 'v1', attrs({ user: { name: 'alice', groups: ['dev'] } }), gvrOf(PODS), gvk, gvk, { kind: 'Pod' }, undefined)
    expect(r).toEqual({
      kind: 'AdmissionReview',
      apiVersion: 'admission.k8s.io/v1',
      request: {
        uid: 'u-1',
        kind: gvk,
        resource: { group: '', version: 'v1', resource: 'pods' },
        requestKind: gvk,
        requestResource: { group: '', version: 'v1', resource: 'pods' },
        name: 'p',
        namespace: 'default',
        operation: 'CREATE',
        userInfo: { username: 'alice', groups: ['dev'] },
        object: { kind: 'Pod' },
        oldObject: null,
        dryRun: false,
        options: null,
      },
    })
  })

  it('answers are checked with upstream words', () => {
    const ok = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } }
    expect(verifyResponse('u', 'v1', false, ok).allowed).toBe(true)
    expect(() => verifyResponse('u', 'v1', false, { ...ok, apiVersion: 'admission.k8s.io/v1beta1' })).toThrow(
      'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview',
    )
    expect(() => verifyResponse('u', 'v1', false, { ...ok, response: undefined })).toThrow('webhook response was absent')
    expect(() => verifyResponse('v', 'v1', false, ok)).toThrow('expected response.uid="v", got "u"')
    const patch = Buffer.from('[]').toString('base64')
    expect(() => verifyResponse('u', 'v1', true, { ...ok, response: { uid: 'u', allowed: true, patch } })).toThrow(
      'webhook returned response.patch but not response.patchType',
    )
    expect(() => verifyResponse('u', 'v1', false, { ...ok, response: { uid: 'u', allowed: true, patch, patchType: 'JSONPatch' } })).toThrow(
      'validating webhook may not return response.patch',
    )
    expect(verifyResponse('u', 'v1', true, { ...ok, response: { uid: 'u', allowed: true, patch, patchType: 'JSONPatch', warnings: ['w'] } })).toMatchObject({
      patch: Buffer.from('[]'),
      warnings: ['w'],
    })
  })
})
