// A three-member etcd cluster on loopback (Debian's etcd, plain http): the store lists every
// member with its health, leader and database size, the API server serves that list at
// /kubelab/v1/etcd/members and the app's backend reads it with the Lease holders (what the
// Topology view shows for an HA cluster, test/e2e/local-ha.test.ts drives the view), and a snapshot is
// restored into every member in two phases as `kubelab restore` does on an HA cluster
// (stage on each, then commit on each): the members form one cluster again on the snapshot's
// data, past the revision clients held, with older revisions compacted; staging changes nothing
// and a member still running is refused.
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreEtcd, stagedDir } from '../../src-cluster/backup/etcd'
import { openEtcdStore, type EtcdStore } from '../../src-cluster/store/etcd'
import { StoreError } from '../../src-cluster/store/types'
import { freePort } from '../../src-cluster/util/net'
import { haltEtcdMember, launchEtcdMember, type TestEtcdMember } from '../helpers/etcd'
import { startTestApiServer } from '../helpers/apiserver'
import { createClient, loadKubeconfig } from '../../src-cluster/client'
import { controlPlaneStatus } from '../../src-main/clusters/control-plane'

type Member = TestEtcdMember

const dir = mkdtempSync(join(tmpdir(), 'kubelab-etcd3-'))
const TOKEN = 'kubelab-restore-test'
const members: Member[] = []
let initialCluster = ''

const launch = (m: Member): void => launchEtcdMember(m, initialCluster, TOKEN)

const halt = haltEtcdMember

const open = (m: Member = members[0]!): Promise<EtcdStore> =>
  openEtcdStore({ endpoints: [`http://127.0.0.1:${m.client}`], compactionIntervalMs: 0, dialTimeoutMs: 30_000 })

function writeLease(dir: string, name: string, holder: string, renew: Date): string {
  const file = join(dir, `${name}.lease.json`)
  const microTime = renew
    .toISOString()
    .replace(/Z$/, '000Z')
    .replace(/\.(\d{3})000Z$/, '.$1000Z')
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-system' },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: microTime, acquireTime: microTime },
    }),
  )
  return file
}

const restoreArgs = (m: Member) => ({
  dataDir: m.dataDir,
  name: m.name,
  initialCluster,
  initialAdvertisePeerUrls: `http://127.0.0.1:${m.peer}`,
  initialClusterToken: TOKEN,
})

beforeAll(async () => {
  for (const name of ['m1', 'm2', 'm3']) members.push({ name, dataDir: join(dir, name), client: await freePort(), peer: await freePort() })
  initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',')
  for (const m of members) launch(m)
}, 60_000)

afterAll(async () => {
  for (const m of members) await halt(m)
  rmSync(dir, { recursive: true, force: true })
})

describe('a three-member etcd cluster', () => {
  const snapshot = join(dir, 'snapshot.db')
  let heldRevision = 0

  it('lists every member with its health, the one leader and its database size', async () => {
    const store = await open()
    try {
      await store.txn([], [{ type: 'put', key: '/registry/namespaces/keep', value: '{"kept":true}' }])
      const list = await store.members()
      expect(list.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3'])
      expect(list.every((m) => m.healthy)).toBe(true)
      expect(list.filter((m) => m.leader)).toHaveLength(1)
      for (const m of list) {
        expect(m.dbSizeBytes).toBeGreaterThan(0)
        expect(m.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      }
      // A stopped member is listed as unhealthy, with the reason; the others carry on.
      await halt(members[2]!)
      const without = await store.members()
      const m3 = without.find((m) => m.name === 'm3')!
      expect(m3.healthy).toBe(false)
      expect(m3.error).toBeTruthy()
      expect(
        without
          .filter((m) => m.healthy)
          .map((m) => m.name)
          .sort(),
      ).toEqual(['m1', 'm2'])
      launch(members[2]!)
      const snap = await store.streamSnapshot()
      await pipeline(Readable.from(snap.chunks), createWriteStream(snapshot))
      await store.txn([], [{ type: 'put', key: '/registry/configmaps/default/after-backup', value: '{}' }])
      heldRevision = store.revision()
    } finally {
      await store.close()
    }
  }, 60_000)

  it('serves the members at /kubelab/v1/etcd/members; the app backend adds the Lease holders', async () => {
    const store = await open()
    const api = await startTestApiServer({ storage: store })
    const client = createClient(loadKubeconfig(api.kubeconfig))
    try {
      const raw = JSON.parse(await api.k('get', '--raw', '/kubelab/v1/etcd/members')) as {
        kind: string
        items: { name: string; leader: boolean; healthy: boolean }[]
      }
      expect(raw.kind).toBe('EtcdMemberList')
      expect(raw.items.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3'])
      expect(raw.items.filter((m) => m.leader)).toHaveLength(1)
      // Leader election's Leases: one held and renewed now, one whose holder stopped renewing.
      const now = new Date()
      const lease = (name: string, holder: string, renew: Date) => api.k('apply', '-f', writeLease(api.dir, name, holder, renew))
      await lease('kube-scheduler', 'm2_5d1f', now)
      await lease('kube-controller-manager', 'm3_77aa', new Date(now.getTime() - 60_000))
      const s = await controlPlaneStatus(client, true)
      expect(s.problem).toBeNull()
      expect(s.members.map((m) => [m.name, m.healthy])).toEqual([
        ['m1', true],
        ['m2', true],
        ['m3', true],
      ])
      expect(s.members.filter((m) => m.leader)).toHaveLength(1)
      expect(s.members.every((m) => (m.dbSizeBytes ?? 0) > 0 && (m.raftIndex ?? 0) > 0)).toBe(true)
      expect(s.leases.map((l) => [l.name, l.node, l.expired])).toEqual([
        ['kube-scheduler', 'm2', false],
        ['kube-controller-manager', 'm3', true],
      ])
      // An embedded store has no members: the endpoint says so, the backend shows the leases only.
      const embedded = await startTestApiServer()
      try {
        const r = await embedded.kubectl(['get', '--raw', '/kubelab/v1/etcd/members'])
        expect(r.code).not.toBe(0)
        expect(r.stderr).toMatch(/embedded store, which has no etcd members/)
      } finally {
        await embedded.close()
      }
    } finally {
      client.close()
      await api.close()
      await store.close()
    }
  }, 60_000)

  it('restores the snapshot into every member: staged first (nothing changes), then committed on each', async () => {
    // A running member is refused, and nothing is staged.
    await expect(restoreEtcd({ ...restoreArgs(members[0]!), snapshotFile: snapshot, phase: 'stage' })).rejects.toThrow(/etcd is running/)
    expect(existsSync(stagedDir(members[0]!.dataDir))).toBe(false)
    for (const m of members) await halt(m)
    for (const m of members) await restoreEtcd({ ...restoreArgs(m), snapshotFile: snapshot, minRevision: heldRevision, phase: 'stage' })
    // Staged beside the data; the data itself is untouched until the commit.
    for (const m of members) {
      expect(existsSync(stagedDir(m.dataDir))).toBe(true)
      expect(readdirSync(dir).filter((f) => f.startsWith(`${m.name}.before-restore-`))).toEqual([])
    }
    for (const m of members) await restoreEtcd({ ...restoreArgs(m), snapshotFile: '', phase: 'commit' })
    for (const m of members) {
      expect(existsSync(stagedDir(m.dataDir))).toBe(false)
      expect(readdirSync(dir).filter((f) => f.startsWith(`${m.name}.before-restore-`))).toHaveLength(1)
    }
    for (const m of members) launch(m)
    // One cluster again: every member answers with the snapshot's data and the same revision.
    const revisions: number[] = []
    for (const m of members) {
      const store = await open(m)
      try {
        expect(await store.get('/registry/namespaces/keep')).toBeDefined()
        expect(await store.get('/registry/configmaps/default/after-backup')).toBeUndefined()
        revisions.push(store.revision())
        const list = await store.members()
        expect(list.map((x) => x.name).sort()).toEqual(['m1', 'm2', 'm3'])
        expect(list.every((x) => x.healthy)).toBe(true)
      } finally {
        await store.close()
      }
    }
    expect(new Set(revisions).size).toBe(1)
    expect(revisions[0]).toBeGreaterThan(heldRevision)
    // A client holding the old revision re-lists: watching from it is compacted away.
    const store = await open(members[1]!)
    try {
      const err = await new Promise<StoreError>((resolve) => {
        store.watch('/registry/', { afterRevision: heldRevision }, () => undefined, resolve)
      })
      expect(err.code).toBe('compacted')
      // Writes reach a quorum.
      await store.txn([], [{ type: 'put', key: '/registry/configmaps/default/after-restore', value: '{}' }])
    } finally {
      await store.close()
    }
  }, 120_000)

  it('aborting a staged restore leaves the member on its data', async () => {
    const m = members[0]!
    await halt(m)
    await restoreEtcd({ ...restoreArgs(m), snapshotFile: snapshot, minRevision: 0, phase: 'stage' })
    expect(existsSync(stagedDir(m.dataDir))).toBe(true)
    await restoreEtcd({ ...restoreArgs(m), snapshotFile: '', phase: 'abort' })
    expect(existsSync(stagedDir(m.dataDir))).toBe(false)
    await expect(restoreEtcd({ ...restoreArgs(m), snapshotFile: '', phase: 'commit' })).rejects.toThrow(/nothing staged/)
    launch(m)
    const store = await open(m)
    try {
      expect(await store.get('/registry/configmaps/default/after-restore')).toBeDefined()
    } finally {
      await store.close()
    }
  }, 60_000)
})
