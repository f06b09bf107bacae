// An API server on real etcd (Debian's etcd-server) whose members stop and start again, as a
// user restarting a control-plane node in a lab: while the only member is down every write is a
// 503 that says which etcd and what to check; as soon as etcd answers its /health endpoint the
// API serves again (no "circuit breaker is open" window after etcd is back), and watches opened
// before the restart go on. With two of three members as its endpoints, one stopped member costs
// nothing (the other serves every request), and the restarted one serves again at once when the
// other stops in turn.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { ApiClientError } from '../../src-cluster/client/errors'
import { RES } from '../../src-cluster/kit/resources'
import { openEtcdStore, type EtcdStore } from '../../src-cluster/store/etcd'
import { freePort } from '../../src-cluster/util/net'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { etcdHealthy, haltEtcdMember, launchEtcdMember, startTestEtcd, type TestEtcd, type TestEtcdMember } from '../helpers/etcd'
import { until } from '../helpers/wait'

const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { at: name } })

/** Create a ConfigMap: undefined when it was stored, else the API's error. */
async function tryCreate(client: ClosableClient, ns: string, name: string): Promise<ApiClientError | undefined> {
  try {
    await client.create(RES.configmaps, ns, configMap(name))
    return undefined
  } catch (e) {
    if (e instanceof ApiClientError) return e
    throw e
  }
}

/** `n` creates in a row; the errors of those that failed, as "code: message". */
async function createMany(client: ClosableClient, ns: string, prefix: string, n: number): Promise<string[]> {
  const failed: string[] = []
  for (let i = 0; i < n; i++) {
    const err = await tryCreate(client, ns, `${prefix}-${i}`)
    if (err) failed.push(`${err.code}: ${err.message}`)
  }
  return failed
}

describe('the only etcd member restarts', () => {
  let etcd: TestEtcd
  let store: EtcdStore
  let api: TestApiServer
  let client: ClosableClient

  beforeAll(async () => {
    etcd = await startTestEtcd({ tls: true })
    store = await etcd.open()
    api = await startTestApiServer({ storage: store })
    client = createClient(loadKubeconfig(api.kubeconfig))
  }, 60_000)

  afterAll(async () => {
    client?.close()
    await api?.close()
    await store?.close()
    await etcd?.stop()
  })

  it('answers 503 saying what to check while it is down, and serves again as soon as etcd answers /health; watches go on', async () => {
    await client.create(RES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'restart' } })
    const seen = new Set<string>()
    const watch = client.watch(RES.configmaps, { namespace: 'restart' }, (ev) => {
      if (ev.type === 'ADDED') seen.add(ev.object.metadata?.name ?? '')
    })
    try {
      expect(await createMany(client, 'restart', 'before', 3)).toEqual([])
      await until('the watch seeing the ConfigMaps made before the restart', () => seen.has('before-2'))

      await etcd.halt()
      // Many requests while it is down: each fails on its own, with what to do.
      const down = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => tryCreate(client, 'restart', `down-${i}`)))
      for (const err of down) {
        expect(err?.code).toBe(503)
        expect(err?.message).toMatch(/etcd at https:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\); check that the etcd members run and have quorum/)
        expect(err?.message).not.toMatch(/circuit breaker/)
      }

      // Requests go on while etcd starts again, until it answers its health endpoint.
      etcd.launch()
      const during: string[] = []
      await until(
        'etcd answering /health again',
        async () => {
          const err = await tryCreate(client, 'restart', `during-${during.length}`)
          during.push(err ? `${err.code}: ${err.message}` : 'stored')
          return etcd.healthy()
        },
        { intervalMs: 50 },
      )
      for (const r of during) expect(r).toMatch(/^stored$|^503: .*etcd at https:\/\/127\.0\.0\.1:\d+ is unavailable/)

      // etcd is back: every request is served, from the first one on.
      expect(await createMany(client, 'restart', 'after', 5)).toEqual([])
      // The API server's watch on etcd resumed: the watch opened before the restart sees them.
      await until('the watch from before the restart seeing the ConfigMaps made after it', () => seen.has('after-4'))
      const names = (await client.list(RES.configmaps, { namespace: 'restart' })).items.map((o) => o.metadata?.name)
      expect(names).toEqual(expect.arrayContaining(['before-0', 'before-2', 'after-0', 'after-4']))
      expect(names.filter((n) => n?.startsWith('down-'))).toEqual([])
    } finally {
      watch.stop()
    }
  }, 90_000)
})

type Member = TestEtcdMember

describe('one of three etcd members restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-etcd-restart-'))
  const members: Member[] = []
  let initialCluster = ''
  let store: EtcdStore
  let api: TestApiServer
  let client: ClosableClient
  const url = (m: Member) => `http://127.0.0.1:${m.client}`

  const launch = (m: Member): void => launchEtcdMember(m, initialCluster, 'restart')
  const halt = haltEtcdMember

  beforeAll(async () => {
    for (const name of ['m1', 'm2', 'm3']) members.push({ name, dataDir: join(dir, name), client: await freePort(), peer: await freePort() })
    initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',')
    for (const m of members) launch(m)
    // m3 keeps the quorum and is not an endpoint: when m2 stops, m1 is the only one left to ask.
    store = await openEtcdStore({ endpoints: [url(members[0]!), url(members[1]!)], compactionIntervalMs: 0, dialTimeoutMs: 30_000 })
    api = await startTestApiServer({ storage: store })
    client = createClient(loadKubeconfig(api.kubeconfig))
  }, 60_000)

  afterAll(async () => {
    client?.close()
    await api?.close()
    await store?.close()
    for (const m of members) await halt(m)
    rmSync(dir, { recursive: true, force: true })
  })

  it('the other endpoint serves every request while one member is down; the restarted one serves again at once', async () => {
    const [m1, m2] = [members[0]!, members[1]!]
    await client.create(RES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'three' } })
    await halt(m1)
    expect(await createMany(client, 'three', 'without-m1', 10)).toEqual([])
    launch(m1)
    await until('m1 answering /health again', () => etcdHealthy(url(m1)))
    // m1 failed calls a moment ago; with m2 down it is the only endpoint left.
    await halt(m2)
    expect(await createMany(client, 'three', 'without-m2', 10)).toEqual([])
    launch(m2)
    await until('m2 answering /health again', () => etcdHealthy(url(m2)))
    const names = (await client.list(RES.configmaps, { namespace: 'three' })).items.map((o) => o.metadata?.name)
    expect(names).toHaveLength(20)
  }, 90_000)
})
