// `kubelab create --provider local --store etcd`: the control-plane node runs the host's etcd
// (Debian etcd-server) as a supervised component with TLS from the cluster PKI (certificates
// where kubeadm keeps them) and data under the node's state; the API server keeps every object
// there. etcdctl works on the node. Lean: one control-plane node and one worker.
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterManager } from '../../src-main/clusters'
import { LabRunner, loadCatalogue, managedLabCluster, unmetNeeds } from '../../src-main/lab-runner'
import { clusterHome } from '../helpers/cli'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// Reserved for this file (run the local-cluster tests one at a time, under the e2e lock).
const cluster = 'l5e'
const { home, clusterDir, env, kubelab, kubectl } = clusterHome(cluster, { timeoutMs: 240_000 })

let master = ''
let createLog = ''

beforeAll(async () => {
  createLog = await kubelab('create', cluster, '--provider', 'local', '--workers', '1', '--store', 'etcd', '--timeout', '180')
  const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }
  master = nodes.items.find((n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined)?.metadata.name ?? ''
}, 300_000)

afterAll(async () => {
  if (existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 120_000)

/** etcdctl on the control-plane node with the environment provisioning wrote. */
const etcdctl = (args: string) => kubelab('ssh', cluster, master, '--', `. "\${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl ${args}`)

describe('kubelab create --provider local --store etcd', () => {
  it('runs etcd on the control-plane node and the API server on it', async () => {
    expect(createLog).toMatch(/cluster \S+ is ready/)
    expect(master).not.toBe('')
    const health = await etcdctl('endpoint health')
    expect(health).toMatch(/127\.0\.0\.1:2379 is healthy/)
    // The certificates sit where kubeadm keeps them, under the node's root.
    const files = await kubelab('ssh', cluster, master, '--', 'ls "${KUBELAB_ROOT:-}/etc/kubernetes/pki/etcd" "${KUBELAB_ROOT:-}/var/lib/etcd/member"')
    for (const f of ['ca.crt', 'server.crt', 'peer.crt', 'healthcheck-client.crt', 'snap', 'wal']) expect(files).toContain(f)
  })

  it('keeps objects in etcd (resourceVersion = etcd revision) and runs a workload', async () => {
    await kubectl('create', 'namespace', 'on-etcd')
    await kubectl('-n', 'on-etcd', 'create', 'deployment', 'web', '--image=kubelab.local/busybox:1', '--', 'sleep', '3600')
    const keys = await etcdctl('get /registry/core/namespaces/on-etcd -w json')
    const rev = (JSON.parse(keys.trim().split('\n').pop()!) as { kvs: { mod_revision: number }[] }).kvs[0].mod_revision
    expect(await kubectl('get', 'namespace', 'on-etcd', '-o', 'jsonpath={.metadata.resourceVersion}')).toBe(String(rev))
    await kubectl('-n', 'on-etcd', 'rollout', 'status', 'deployment/web', '--timeout=120s')
    expect(await kubectl('-n', 'on-etcd', 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase}')).toBe('Running')
  })
})

describe('the etcd-backup lab on this cluster (the labs e2e cluster has no etcd)', () => {
  it("etcd-backup: start → check fails → a copy of etcd's data file is refused → solution → check passes", async () => {
    const lab = loadCatalogue([join(ROOT, 'labs')]).find((e) => e.lab?.id === 'etcd-backup')?.lab
    expect(lab).toBeDefined()
    const lc = await managedLabCluster(new ClusterManager({ env }), cluster)
    try {
      const runner = new LabRunner(lc, lab!)
      expect(unmetNeeds(lab!, await runner.facts())).toEqual([])
      await runner.start()
      expect((await runner.check()).reason).toMatch(/no snapshot at \/var\/lib\/etcd-backup\/snapshot\.db/)
      // A copy of the live data file is no snapshot: it lacks the hash that restore checks.
      await kubelab('ssh', cluster, master, '--', 'cp "${KUBELAB_ROOT:-}/var/lib/etcd/member/snap/db" "${KUBELAB_ROOT:-}/var/lib/etcd-backup/snapshot.db"')
      expect((await runner.check()).reason).toMatch(/is not an etcd snapshot|does not restore/)
      expect((await runner.solution({ run: true })).result?.code).toBe(0)
      expect(await runner.check()).toMatchObject({ outcome: 'passed', step: 1 })
      expect(runner.progress().finishedAt).toBeDefined()
      await runner.stop()
    } finally {
      lc.close()
    }
  }, 120_000)
})

describe('kubelab backup / restore on a local cluster with --store etcd', () => {
  const backupFile = join(home, 'l5e.backup.tar.gz')

  it('takes etcd snapshots by hand with etcdctl on the control-plane node', async () => {
    const out = await etcdctl(
      'snapshot save /tmp/kubelab-l5e-by-hand.db && ETCDCTL_API=3 etcdctl snapshot status /tmp/kubelab-l5e-by-hand.db -w json; rm -f /tmp/kubelab-l5e-by-hand.db',
    )
    expect(out).toMatch(/Snapshot saved at \/tmp\/kubelab-l5e-by-hand\.db/)
    expect(out).toMatch(/"revision":\d+/)
  })

  it('backs up, loses a namespace, restores: the namespace and its running workload come back', async () => {
    const b = await kubelab('backup', cluster, '--out', backupFile)
    expect(b).toMatch(/backup of cluster l5e written to .*: etcd store at revision \d+/)
    await kubectl('delete', 'namespace', 'on-etcd', '--wait=true', '--timeout=120s')
    await kubectl('create', 'namespace', 'after-backup')
    const r = await kubelab('restore', cluster, backupFile)
    expect(r).toMatch(/every entry matches its SHA-256/)
    expect(r).toMatch(/etcdctl snapshot restore wrote/)
    expect(r).toMatch(/moving the revision from \d+ past \d+/)
    expect(r).toMatch(/cluster l5e restored to its state at/)
    expect(await kubectl('get', 'namespace', 'on-etcd', '-o', 'name')).toContain('namespace/on-etcd')
    await expect(kubectl('get', 'namespace', 'after-backup')).rejects.toThrow(/not found/)
    // The kubelet runs the restored pod again: exec reaches a live container.
    const end = Date.now() + 120_000
    for (;;) {
      try {
        expect(await kubectl('-n', 'on-etcd', 'exec', 'deploy/web', '--', 'echo', 'back')).toContain('back')
        break
      } catch (e) {
        if (Date.now() > end) throw e
        await new Promise((res) => setTimeout(res, 2000))
      }
    }
  }, 400_000)
})
