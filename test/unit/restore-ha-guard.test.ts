// `kubelab restore` of a cluster with several control-plane nodes replaces every etcd member's
// data, so it needs every control-plane node running: with one stopped for a drill it names the
// node and how to start it, before anything is stopped or changed (the cluster's record, its
// files and the backup stay as they were). The restore itself is proven on a real local HA
// cluster in test/e2e/local-ha.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeBackup } from '../../src-cluster/backup/archive'
import { createCA } from '../../src-cluster/kit/pki'
import { ClusterManager } from '../../src-main/clusters'
import { writeRecord, type ClusterRecord } from '../../src-main/clusters/state'

const home = mkdtempSync(join(tmpdir(), 'kubelab-ha-guard-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('kubelab restore on an HA cluster with a control-plane node stopped', () => {
  it('names the stopped node and changes nothing', async () => {
    const dir = join(home, 'clusters', 'hx')
    const rec: ClusterRecord = {
      name: 'hx',
      provider: 'local',
      state: 'running',
      nodes: [
        { name: 'control-plane', role: 'control-plane', state: 'running' },
        { name: 'control-plane-2', role: 'control-plane', state: 'stopped', drillStopped: true },
        { name: 'control-plane-3', role: 'control-plane', state: 'running' },
      ],
      createdAt: new Date().toISOString(),
      ports: { apiServer: 6443 },
      settings: { store: 'etcd' },
    }
    writeRecord(dir, rec)
    mkdirSync(join(dir, 'pki'), { recursive: true })
    const ca = join(dir, 'pki', 'ca.crt')
    writeFileSync(ca, createCA('kubelab-hx').certPem)
    const snapshot = join(home, 'snapshot.db')
    writeFileSync(snapshot, Buffer.alloc(512 + 32))
    const file = join(home, 'hx.backup.tar.gz')
    await writeBackup(file, {
      manifest: { cluster: 'hx', store: 'etcd', revision: 42, createdAt: new Date().toISOString(), snapshot: 'store/snapshot.db' },
      files: new Map([
        ['store/snapshot.db', snapshot],
        ['cluster/pki/ca.crt', ca],
      ]),
    })
    const recordBefore = readFileSync(join(dir, 'cluster.json'), 'utf8')
    const backupBefore = readFileSync(file)
    const lines: string[] = []
    const manager = new ClusterManager({ env: { ...process.env, KUBELAB_HOME: home }, progress: (l) => lines.push(l) })
    await expect(manager.restore('hx', file)).rejects.toThrow(
      /node control-plane-2 of cluster hx is stopped: a restore replaces every etcd member's data, so start it first \(kubelab node start hx control-plane-2\); nothing was changed/,
    )
    expect(readFileSync(join(dir, 'cluster.json'), 'utf8')).toBe(recordBefore)
    expect(readFileSync(file).equals(backupBefore)).toBe(true)
    // Only the verification ran: nothing was stopped or copied to a node.
    expect(lines.join('\n')).not.toMatch(/stopping|copying/)
  })
})
