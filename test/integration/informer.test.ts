// A @kubernetes/client-node informer (list + watch cache, as our controllers will use) against
// the API server: initial list, live events, and recovery after the server restarts.
import * as k8s from '@kubernetes/client-node'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startApiServer, type ApiServer } from '../../src-cluster/apiserver/server'
import { freePort } from '../../src-cluster/util/net'
import { until as poll } from '../helpers/wait'

const until = (what: string, cond: () => boolean, ms = 20_000) => poll(what, cond, { timeoutMs: ms, intervalMs: 50 })

const dir = mkdtempSync(join(tmpdir(), 'kubelab-informer-'))
let server: ApiServer | undefined

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('client-node informer', () => {
  it('lists, watches, and re-syncs after the API server restarts', async () => {
    const port = await freePort()
    const kubeconfig = join(dir, 'admin.kubeconfig')
    const start = () => startApiServer({ dataDir: join(dir, 'data'), securePort: port, adminKubeconfig: kubeconfig, log: () => {} })
    server = await start()
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(kubeconfig)
    const core = kc.makeApiClient(k8s.CoreV1Api)
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' }, data: { a: '1' } } })

    const seen = new Map<string, string>()
    const deleted: string[] = []
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }))
    informer.on('add', (cm) => seen.set(cm.metadata!.name!, cm.data?.a ?? ''))
    informer.on('update', (cm) => seen.set(cm.metadata!.name!, cm.data?.a ?? ''))
    informer.on('delete', (cm) => deleted.push(cm.metadata!.name!))
    const errors: unknown[] = []
    informer.on('error', (e) => {
      errors.push(e)
      // As controllers do: restart the informer after a short pause.
      setTimeout(() => void informer.start(), 200)
    })
    await informer.start()
    await until('initial list', () => seen.get('before') === '1')

    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'live' }, data: { a: '2' } } })
    await until('watch ADDED', () => seen.get('live') === '2')
    await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'live', body: { data: { a: '3' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    await until('watch MODIFIED', () => seen.get('live') === '3')

    // Restart the server on the same port and data dir; what changed meanwhile must arrive.
    await server.close()
    server = await start()
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-restart' }, data: { a: '4' } } })
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'before' })
    await until('events after restart', () => seen.get('after-restart') === '4' && deleted.includes('before'), 40_000)
    // kube-root-ca.crt is published by a controller once one runs; it is not this test's concern.
    const names = informer
      .list('default')
      .map((c) => c.metadata!.name!)
      .filter((n) => n !== 'kube-root-ca.crt')
    expect(names.sort()).toEqual(['after-restart', 'live'])
    await informer.stop()
  }, 90_000)
})
