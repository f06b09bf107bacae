// `kubelab backup` / `kubelab restore` on a local-provider cluster with the embedded store: the
// restore runs on the control-plane node over SSH (supervisor stops the API server,
// kubelab-node restore, start, components restarted). Lean: one control-plane node only.
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterHome } from '../helpers/cli'

// Reserved for this file (run the local-cluster tests one at a time, under the e2e lock).
const cluster = 'l7b'
const { home, clusterDir, kubelab, kubectl } = clusterHome(cluster, { timeoutMs: 240_000 })

beforeAll(async () => {
  await kubelab('create', cluster, '--provider', 'local', '--workers', '0', '--timeout', '180')
}, 300_000)

afterAll(async () => {
  if (existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 120_000)

describe('kubelab backup / restore on a local cluster with the embedded store', () => {
  it('backs up, loses a namespace, restores it on the node', async () => {
    await kubectl('create', 'namespace', 'keep')
    await kubectl('-n', 'keep', 'create', 'configmap', 'settings', '--from-literal=colour=green')
    const file = join(home, 'l7b.backup.tar.gz')
    expect(await kubelab('backup', cluster, '--out', file)).toMatch(/written to .*: embedded store at revision \d+/)
    await kubectl('delete', 'namespace', 'keep', '--wait=true', '--timeout=120s')
    await kubectl('create', 'namespace', 'after-backup')
    const r = await kubelab('restore', cluster, file)
    expect(r).toMatch(/stopping apiserver on node control-plane/)
    expect(r).toMatch(/store restored: \d+ objects from revision \d+, continuing at revision \d+/)
    expect(r).toMatch(/restarting scheduler, controller-manager, kubelet on node control-plane/)
    expect(r).toMatch(/cluster l7b restored to its state at/)
    expect(await kubectl('-n', 'keep', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.colour}')).toBe('green')
    await expect(kubectl('get', 'namespace', 'after-backup')).rejects.toThrow(/not found/)
    expect(await kubectl('get', 'nodes')).toMatch(/control-plane\s+Ready/)
  }, 400_000)
})
