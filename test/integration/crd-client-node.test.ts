// @kubernetes/client-node against custom resources: ApiextensionsV1Api creates the CRD, its
// typed answer carries the conditions, and CustomObjectsApi creates, lists, patches, scales,
// writes status and deletes custom objects; an informer on the custom resource sees changes.
import * as k8s from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

let t: TestApiServer
let kc: k8s.KubeConfig

beforeAll(async () => {
  t = await startTestApiServer()
  kc = new k8s.KubeConfig()
  kc.loadFromFile(t.kubeconfig)
})
afterAll(async () => {
  await t?.close()
})

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => poll(what, cond, { timeoutMs: ms, intervalMs: 50 })

const G = { group: 'stable.example.com', version: 'v1', plural: 'crontabs' }

describe('client-node CustomObjectsApi', () => {
  it('creates a CRD, then custom objects: list, patch, status, scale, informer, delete', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api)
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'crontabs.stable.example.com' },
        spec: {
          group: 'stable.example.com',
          scope: 'Namespaced',
          names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: { cronSpec: { type: 'string' }, image: { type: 'string' }, replicas: { type: 'integer', _default: 1 } },
                    },
                    status: { type: 'object', properties: { replicas: { type: 'integer' } }, x_kubernetes_preserve_unknown_fields: true },
                  },
                },
              },
            },
          ],
        },
      },
    })
    await until('Established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'crontabs.stable.example.com' })
      return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
    })
    const crd = await ext.readCustomResourceDefinition({ name: 'crontabs.stable.example.com' })
    expect(crd.spec.versions[0]!.schema?.openAPIV3Schema?.properties?.status?.x_kubernetes_preserve_unknown_fields).toBe(true)
    expect(crd.status?.acceptedNames?.shortNames).toEqual(['ct'])

    const api = kc.makeApiClient(k8s.CustomObjectsApi)
    const created = (await api.createNamespacedCustomObject({
      ...G,
      namespace: 'default',
      body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'nightly' }, spec: { cronSpec: '0 3 * * *', image: 'backup:1' } },
    })) as { spec: { replicas: number } }
    expect(created.spec.replicas).toBe(1)

    const names: string[] = []
    const informer = k8s.makeInformer(
      kc,
      '/apis/stable.example.com/v1/namespaces/default/crontabs',
      () => api.listNamespacedCustomObject({ ...G, namespace: 'default' }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
    )
    const images = new Map<string, string>()
    informer.on('add', (o) => names.push(o.metadata!.name!))
    informer.on('update', (o) => images.set(o.metadata!.name!, (o as { spec?: { image?: string } }).spec?.image ?? ''))
    await informer.start()
    await until('informer list', () => names.includes('nightly'))

    await api.patchNamespacedCustomObject({ ...G, namespace: 'default', name: 'nightly', body: [{ op: 'replace', path: '/spec/image', value: 'backup:2' }] })
    await until('informer update', () => images.get('nightly') === 'backup:2')

    await api.replaceNamespacedCustomObjectStatus({
      ...G,
      namespace: 'default',
      name: 'nightly',
      body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'nightly' }, status: { replicas: 1, lastRun: 'now' } },
    })
    const scale = (await api.getNamespacedCustomObjectScale({ ...G, namespace: 'default', name: 'nightly' })) as {
      spec: { replicas: number }
      status: { replicas: number }
    }
    expect(scale).toMatchObject({ spec: { replicas: 1 }, status: { replicas: 1 } })
    await api.replaceNamespacedCustomObjectScale({
      ...G,
      namespace: 'default',
      name: 'nightly',
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'nightly', namespace: 'default' }, spec: { replicas: 5 } },
    })

    const list = (await api.listNamespacedCustomObject({ ...G, namespace: 'default' })) as {
      items: { spec: { replicas: number; image: string }; status: { lastRun: string } }[]
    }
    expect(list.items).toHaveLength(1)
    expect(list.items[0]).toMatchObject({ spec: { replicas: 5, image: 'backup:2' }, status: { lastRun: 'now' } })

    await api.deleteNamespacedCustomObject({ ...G, namespace: 'default', name: 'nightly' })
    await until('gone', async () => ((await api.listNamespacedCustomObject({ ...G, namespace: 'default' })) as { items: unknown[] }).items.length === 0)
    await informer.stop()
  })
})
