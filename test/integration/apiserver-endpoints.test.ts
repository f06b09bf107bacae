// Several API servers on one store keep the `kubernetes` Endpoints and EndpointSlice to exactly
// the live ones, as upstream's lease endpoint reconciler (--endpoint-reconciler-type=lease) does:
// three in-process API servers on 127.0.0.1-3 (one port, as control planes share 6443) over the
// embedded store and over a real etcd (records under /registry/masterleases/<ip>, with an etcd
// lease there and an expiry the servers check on the embedded store). All three are listed; one
// stopped cleanly is gone from both objects (its record lives 60 s, so only the shutdown can have
// removed it); one "killed" (its store access cut, so it can neither renew nor clean up) drops
// out when its 3 s record runs out; a restarted one is listed again. Each also holds its
// APIServerIdentity Lease in kube-system, and the killed one's is collected once expired.
// Every step waits on a condition, bounded only to fail readably.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, StoreError, type Storage } from '../../src-cluster/store'
import { freePort } from '../../src-cluster/util/net'
import { MASTER_LEASES_PREFIX } from '../../src-cluster/apiserver/endpoint-reconciler'
import { apiserverIdentity, IDENTITY_LABEL } from '../../src-cluster/apiserver/identity-lease'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { startTestEtcd, type TestEtcd } from '../helpers/etcd'
import type { ApiServerOptions } from '../../src-cluster/apiserver/server'
import { until as poll } from '../helpers/wait'

/** A view of a store that the test can cut off, as a node that vanishes leaves its API server without it. */
function cuttable(base: Storage): Storage & { cut(): void } {
  let cut = false
  const guard = <T>(f: () => Promise<T>): Promise<T> => (cut ? Promise.reject(new StoreError('unavailable', 'cut off by the test')) : f())
  return {
    get: (k) => guard(() => base.get(k)),
    range: (p, o) => guard(() => base.range(p, o)),
    txn: (c, s, f) => guard(() => base.txn(c, s, f)),
    watch: (p, o, onEvents, onError) => base.watch(p, o, (ev, rev) => (cut ? undefined : onEvents(ev, rev)), onError),
    revision: () => base.revision(),
    compactedRevision: () => base.compactedRevision(),
    streamSnapshot: () => guard(() => base.streamSnapshot()),
    compact: (r) => guard(() => base.compact(r)),
    ...(base.putWithTtl ? { putWithTtl: (k: string, v: string, ttl: number) => guard(() => base.putWithTtl!(k, v, ttl)) } : {}),
    close: async () => {},
    cut: () => void (cut = true),
  }
}

const until = <T>(what: string, f: () => Promise<T>, ms = 30_000) => poll(what, f, { timeoutMs: ms, intervalMs: 100 })

const IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3']

describe.each(['embedded', 'etcd'] as const)('the kubernetes endpoints of three API servers on the %s store', (backend) => {
  let etcd: TestEtcd | undefined
  let dir = ''
  let base: Storage
  let port = 0
  const servers = new Map<string, TestApiServer>()
  const views = new Map<string, ReturnType<typeof cuttable>>()

  /** API server `i` on 127.0.0.(i+1); its record lives `ttlMs`, its identity Lease `identitySeconds`. */
  async function start(i: number, ttlMs: number, identitySeconds: number): Promise<TestApiServer> {
    const view = cuttable(base)
    const opts: Partial<ApiServerOptions> = {
      storage: view,
      bindAddress: IPS[i],
      securePort: port,
      hostname: `control-plane-${i + 1}`,
      endpointReconcilerTtlMs: ttlMs,
      endpointReconcilerIntervalMs: 300,
      identityLease: { durationSeconds: identitySeconds, renewIntervalMs: 300, gcPeriodMs: 300 },
    }
    const t = await startTestApiServer(opts)
    servers.set(IPS[i]!, t)
    views.set(IPS[i]!, view)
    return t
  }

  const first = () => servers.get(IPS[0]!)!
  const listed = async (what: 'endpoints' | 'endpointslice') =>
    (
      await first().k(
        'get',
        what,
        'kubernetes',
        '-o',
        what === 'endpoints' ? 'jsonpath={.subsets[0].addresses[*].ip}' : 'jsonpath={.endpoints[*].addresses[0]}',
      )
    )
      .trim()
      .split(' ')
      .filter(Boolean)
  const both = async () => ({ endpoints: await listed('endpoints'), slice: await listed('endpointslice') })
  const listing = (ips: string[]) => async () => {
    const b = await both()
    return b.endpoints.join() === ips.join() && b.slice.join() === ips.join() ? b : undefined
  }
  const identityLeases = async () =>
    (await first().k('-n', 'kube-system', 'get', 'lease', '-l', `${IDENTITY_LABEL}=kube-apiserver`, '-o', 'name')).trim().split('\n').filter(Boolean).sort()

  beforeAll(async () => {
    if (backend === 'etcd') {
      etcd = await startTestEtcd()
      base = await etcd.open()
    } else {
      dir = mkdtempSync(join(tmpdir(), 'kubelab-endpoints-'))
      base = await openStore({ dataDir: dir })
    }
    port = await freePort()
    // The first keeps the default-length record; the second's outlives the test; the third's runs out in 3 s.
    await start(0, 15_000, 3600)
    await start(1, 60_000, 3600)
    await start(2, 3_000, 3)
  }, 120_000)

  afterAll(async () => {
    for (const t of servers.values()) await t.close().catch(() => undefined)
    await base?.close()
    await etcd?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('lists every API server in the Endpoints and the EndpointSlice, each with its record and identity Lease', async () => {
    expect(await until('all three listed', listing(IPS))).toEqual({ endpoints: IPS, slice: IPS })
    const ep = JSON.parse(await first().k('get', 'endpoints', 'kubernetes', '-o', 'json')) as {
      metadata: { labels: Record<string, string> }
      subsets: { ports: { name: string; port: number; protocol: string }[] }[]
    }
    expect(ep.metadata.labels['endpointslice.kubernetes.io/skip-mirror']).toBe('true')
    expect(ep.subsets[0]!.ports).toEqual([{ name: 'https', port, protocol: 'TCP' }])
    const slice = JSON.parse(await first().k('get', 'endpointslice', 'kubernetes', '-o', 'json')) as {
      addressType: string
      metadata: { labels: Record<string, string> }
      endpoints: { conditions: { ready: boolean } }[]
    }
    expect(slice.addressType).toBe('IPv4')
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('kubernetes')
    expect(slice.endpoints.every((e) => e.conditions.ready)).toBe(true)
    // Upstream's records: one per server under /registry/masterleases/<ip>.
    expect((await base.range(MASTER_LEASES_PREFIX)).kvs.map((kv) => kv.key.slice(MASTER_LEASES_PREFIX.length)).sort()).toEqual(IPS)
    // APIServerIdentity: apiserver-<hash of the host name>, held by this run, labelled with it.
    const names = IPS.map((_, i) => `lease.coordination.k8s.io/${apiserverIdentity(`control-plane-${i + 1}`)}`).sort()
    expect(await identityLeases()).toEqual(names)
    const lease = JSON.parse(await first().k('-n', 'kube-system', 'get', 'lease', apiserverIdentity('control-plane-1'), '-o', 'json')) as {
      metadata: { labels: Record<string, string> }
      spec: { holderIdentity: string; leaseDurationSeconds: number }
    }
    expect(lease.metadata.labels['kubernetes.io/hostname']).toBe('control-plane-1')
    expect(lease.spec.holderIdentity).toMatch(new RegExp(`^${apiserverIdentity('control-plane-1')}_[0-9a-f-]{36}$`))
    expect(lease.spec.leaseDurationSeconds).toBe(3600)
  })

  it('drops an API server that stops cleanly (its record would have lived another minute)', async () => {
    const t = servers.get(IPS[1]!)!
    servers.delete(IPS[1]!)
    await t.close()
    expect((await base.get(MASTER_LEASES_PREFIX + IPS[1]!)) ?? null).toBeNull()
    // (A round of another server that listed the records just before the shutdown may write
    // the old list once more; its next round, 300 ms on, has it right.)
    expect(await until('the stopped server gone from the endpoints', listing([IPS[0]!, IPS[2]!]))).toBeTruthy()
    // Its identity Lease stays until it expires (as upstream): a restart renews the same one.
    expect(await identityLeases()).toContain(`lease.coordination.k8s.io/${apiserverIdentity('control-plane-2')}`)
  })

  it('drops an API server that dies without a word once its record runs out, and collects its expired identity Lease', async () => {
    views.get(IPS[2]!)!.cut()
    const t = servers.get(IPS[2]!)!
    servers.delete(IPS[2]!)
    await t.close() // cannot reach the store: it leaves its record behind, as a killed process would
    expect(await until('the dead server gone from the endpoints after its record ran out', listing([IPS[0]!]))).toBeTruthy()
    expect((await base.range(MASTER_LEASES_PREFIX)).kvs.map((kv) => kv.key)).toEqual([MASTER_LEASES_PREFIX + IPS[0]!])
    await until(
      'its identity Lease collected',
      async () => !(await identityLeases()).includes(`lease.coordination.k8s.io/${apiserverIdentity('control-plane-3')}`),
    )
    // The cleanly stopped server's Lease has not expired: kept.
    expect(await identityLeases()).toContain(`lease.coordination.k8s.io/${apiserverIdentity('control-plane-2')}`)
  })

  it('lists a restarted API server again', async () => {
    await start(1, 60_000, 3600)
    expect(await until('the restarted server listed again', listing([IPS[0]!, IPS[1]!]))).toBeTruthy()
  })
})
