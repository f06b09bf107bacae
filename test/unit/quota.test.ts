// Quota evaluators and resource-list arithmetic (src-cluster/api/quota/): what objects count
// against a ResourceQuota, as upstream's evaluators compute it.
import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src-cluster/api/object'
import {
  evaluatorFor,
  podEvaluator,
  quotaMatches,
  resourcesForName,
  serviceEvaluator,
  pvcEvaluator,
  type QuotaObject,
} from '../../src-cluster/api/quota/evaluators'
import { add, exceeded, fromMap, mask, prettyPrint, toMap } from '../../src-cluster/api/quota/resource-list'

const now = new Date('2026-12-06T12:00:00Z')
const pod = (spec: object, status: object = {}, meta: object = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...meta }, spec, status }) as KubeObject
const c = (name: string, requests?: object, limits?: object) => ({
  name,
  image: 'x',
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
})
const quota = (hard: Record<string, string>, extra: object = {}): QuotaObject => ({ metadata: { name: 'q' }, spec: { hard, ...extra } }) as QuotaObject

describe('resource lists', () => {
  it('adds exactly and prints in upstream formats', () => {
    const sum = add(fromMap({ cpu: '500m', memory: '1Gi' }), fromMap({ cpu: '1', memory: '512Mi', pods: '1' }))
    expect(toMap(sum)).toEqual({ cpu: '1500m', memory: '1536Mi', pods: '1' })
    expect(prettyPrint(mask(sum, ['pods', 'cpu']))).toBe('cpu=1500m,pods=1')
    expect(exceeded(sum, fromMap({ cpu: '1', memory: '2Gi' }))).toEqual(['cpu'])
  })
})

describe('pod evaluator', () => {
  it('sums containers, takes init containers as a maximum, adds overhead', () => {
    const p = pod({
      containers: [c('a', { cpu: '100m', memory: '64Mi' }, { cpu: '200m' }), c('b', { cpu: '300m' })],
      initContainers: [c('init', { cpu: '1' })],
      overhead: { cpu: '10m' },
    })
    expect(toMap(podEvaluator.usage(p, now))).toEqual({
      'count/pods': '1',
      pods: '1',
      cpu: '1010m',
      'requests.cpu': '1010m',
      'limits.cpu': '210m',
      memory: '64Mi',
      'requests.memory': '64Mi',
    })
  })

  it('counts a finished pod only in count/pods', () => {
    expect(toMap(podEvaluator.usage(pod({ containers: [c('a', { cpu: '1' })] }, { phase: 'Succeeded' }), now))).toEqual({ 'count/pods': '1' })
    const gone = pod({ containers: [c('a', { cpu: '1' })] }, {}, { deletionTimestamp: '2026-12-06T11:00:00Z', deletionGracePeriodSeconds: 30 })
    expect(toMap(podEvaluator.usage(gone, now))).toEqual({ 'count/pods': '1' })
  })

  it('demands the requests and limits a quota covers, per resource and container', () => {
    const p = pod({ containers: [c('web', { cpu: '1' }), c('side')], initContainers: [c('init', { cpu: '1', memory: '1Mi' }, { cpu: '1', memory: '1Mi' })] })
    expect(podEvaluator.constraints!(['requests.cpu', 'limits.memory', 'pods'], p)).toBe('must specify limits.memory for: side,web; requests.cpu for: side')
    expect(podEvaluator.constraints!(['pods', 'count/pods'], p)).toBeUndefined()
  })

  it('matches scopes and scope selectors', () => {
    const bestEffort = pod({ containers: [c('a')] })
    const burstable = pod({ containers: [c('a', { cpu: '1' })], activeDeadlineSeconds: 30, priorityClassName: 'high' })
    const be = quota({ pods: '1' }, { scopes: ['BestEffort'] })
    expect(quotaMatches(podEvaluator, be, ['pods'], bestEffort)).toBe(true)
    expect(quotaMatches(podEvaluator, be, ['pods'], burstable)).toBe(false)
    const term = quota({ pods: '1' }, { scopes: ['Terminating', 'NotBestEffort'] })
    expect(quotaMatches(podEvaluator, term, ['pods'], burstable)).toBe(true)
    const prio = quota({ pods: '1' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } })
    expect(quotaMatches(podEvaluator, prio, ['pods'], burstable)).toBe(true)
    expect(quotaMatches(podEvaluator, prio, ['pods'], bestEffort)).toBe(false)
    // Scoped quotas never count other kinds.
    expect(quotaMatches(serviceEvaluator, quota({ services: '1' }, { scopes: ['BestEffort'] }), ['services'], { metadata: {} } as KubeObject)).toBe(false)
  })
})

describe('other evaluators', () => {
  it('services count node ports and load balancers', () => {
    const svc = { metadata: {}, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } } as KubeObject
    expect(toMap(serviceEvaluator.usage(svc, now))).toEqual({ 'count/services': '1', services: '1', 'services.nodeports': '2', 'services.loadbalancers': '1' })
  })

  it('claims count storage overall and per class', () => {
    const pvc = { metadata: {}, spec: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } } as KubeObject
    expect(toMap(pvcEvaluator.usage(pvc, now))).toEqual({
      'count/persistentvolumeclaims': '1',
      persistentvolumeclaims: '1',
      'requests.storage': '5Gi',
      'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'fast.storageclass.storage.k8s.io/requests.storage': '5Gi',
    })
  })

  it('everything else by count/<resource>.<group>', () => {
    const ev = evaluatorFor('apps', 'deployments')
    expect(ev.matchingResources(['count/deployments.apps', 'pods'])).toEqual(['count/deployments.apps'])
    expect(toMap(ev.usage({ metadata: {} } as KubeObject, now))).toEqual({ 'count/deployments.apps': '1' })
    expect(resourcesForName('count/deployments.apps')).toEqual({ group: 'apps', plural: 'deployments' })
    expect(resourcesForName('configmaps')).toEqual({ group: '', plural: 'configmaps' })
    expect(resourcesForName('limits.memory')).toEqual({ group: '', plural: 'pods' })
  })
})
