// apiregistration.k8s.io/v1 APIServices through the real kubectl: one per served group/version,
// all Local and Available as upstream lists its local groups, with upstream's priorities; a
// CRD's group gets one while the CRD exists; clients cannot change them. One API server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

const eventually = (what: string, check: () => Promise<boolean>) => poll(what, check, { timeoutMs: 10_000, intervalMs: 100 })

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

describe('APIService', () => {
  it('lists every served group version as a Local, Available APIService', async () => {
    const out = await t.k('get', 'apiservices')
    expect(out).toMatch(/^NAME\s+SERVICE\s+AVAILABLE\s+AGE\n/)
    for (const name of [
      'v1.',
      'v1.apps',
      'v2.autoscaling',
      'v1.autoscaling',
      'v1.batch',
      'v1.certificates.k8s.io',
      'v1.apiregistration.k8s.io',
      'v1.events.k8s.io',
      'v1beta1.metrics.k8s.io',
      'v1.rbac.authorization.k8s.io',
    ]) {
      expect(out).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}\\s+Local\\s+True\\s+\\S+$`, 'm'))
    }
    // Sorted by name, as upstream's store lists them.
    const names = out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]!)
    expect(names).toEqual([...names].sort())
    const apps = JSON.parse(await t.k('get', 'apiservice', 'v1.apps', '-o', 'json'))
    expect(apps.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'onstart' })
    expect(apps.spec).toEqual({ group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 })
    expect(apps.status.conditions).toEqual([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' }),
    ])
    const core = JSON.parse(await t.k('get', 'apiservice', 'v1.', '-o', 'json'))
    expect(core.spec).toEqual({ version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 })
    expect(await t.k('api-resources', '--api-group=apiregistration.k8s.io', '--no-headers')).toMatch(
      /^apiservices\s+apiregistration\.k8s\.io\/v1\s+false\s+APIService$/m,
    )
  })

  it('follows custom resources and is read-only', async () => {
    await t.kubectl(['apply', '-f', '-'], { input: CRD })
    await eventually('v1.stable.example.com', async () => (await t.kubectl(['get', 'apiservice', 'v1.stable.example.com'])).code === 0)
    const crd = JSON.parse(await t.k('get', 'apiservice', 'v1.stable.example.com', '-o', 'json'))
    expect(crd.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'true' })
    expect(crd.spec).toEqual({ group: 'stable.example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 })

    const del = await t.kubectl(['delete', 'apiservice', 'v1.apps'])
    expect(del.code).not.toBe(0)
    expect(del.stderr).toContain('MethodNotAllowed')
    const patch = await t.kubectl(['patch', 'apiservice', 'v1.apps', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[]}}'])
    expect(patch.stderr).toContain('MethodNotAllowed')
    expect(await t.k('get', 'apiservice', 'v1.apps')).toMatch(/v1\.apps\s+Local\s+True/)

    await t.k('delete', 'crd', 'gadgets.stable.example.com')
    await eventually('v1.stable.example.com gone', async () => (await t.kubectl(['get', 'apiservice', 'v1.stable.example.com'])).stderr.includes('NotFound'))
  })
})
