// `kubelab backup` and `kubelab restore` end to end through the CLI on a simulated cluster:
// back up, delete a namespace, restore, and the namespace, its objects and its workload are
// back; truncated, foreign and other-cluster files are refused while the cluster keeps running.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KUBECTL } from '../helpers/apiserver'
import { until } from '../helpers/wait'
import { kubectlCli, kubelabCli } from '../helpers/cli'
import { readBackup, writeBackup } from '../../src-cluster/backup/archive'
import { createCA } from '../../src-cluster/kit/pki'

const home = mkdtempSync(join(tmpdir(), 'kubelab-home-'))
const kubelabHome = join(home, '.kubelab')
const env = { ...process.env, HOME: home, KUBELAB_HOME: kubelabHome, KUBECONFIG: '' }
const kubelab = kubelabCli({ env, timeoutMs: 180_000 }).result
const dir = join(kubelabHome, 'clusters', 'bk')
const k = kubectlCli({ bin: KUBECTL, kubeconfig: join(dir, 'kubeconfig'), env, timeoutMs: 180_000, flags: ['--cache-dir', join(home, 'kcache')] })

const pid = () => Number(readFileSync(join(dir, 'control-plane.pid'), 'utf8'))
const backupFile = join(home, 'bk.backup.tar.gz')

afterAll(async () => {
  if (existsSync(dir)) await kubelab('delete', 'bk')
  rmSync(home, { recursive: true, force: true })
})

describe('kubelab backup / restore on a simulated cluster', () => {
  it('backs up a running cluster with progress and a checksum', async () => {
    const c = await kubelab('create', 'bk', '--provider', 'simulated', '--workers', '2', '--start-delay', '100ms')
    expect(c.code, c.stderr).toBe(0)
    await k('create', 'namespace', 'keep')
    await k('-n', 'keep', 'create', 'configmap', 'settings', '--from-literal=colour=blue')
    await k('-n', 'keep', 'create', 'deployment', 'web', '--image=busybox', '--replicas=2')
    await until(
      'web to be available',
      async () => (await k('-n', 'keep', 'get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}')) === '2',
      90_000,
    )
    const r = await kubelab('backup', 'bk', '--out', backupFile)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/requesting a store snapshot from https:\/\/127\.0\.0\.1:\d+/)
    expect(r.stdout).toMatch(/snapshot verified: \d+ objects at revision \d+/)
    expect(r.stdout).toMatch(/backup of cluster bk written to .*bk\.backup\.tar\.gz: embedded store at revision \d+, [\d.]+ MiB, SHA-256 [0-9a-f]{64}/)
    const opened = await readBackup(backupFile, join(home, 'opened'))
    expect(opened.manifest).toMatchObject({ cluster: 'bk', store: 'embedded' })
    expect(opened.manifest.files.map((f) => f.name)).toContain('cluster/data/pki/ca.crt')
  }, 240_000)

  it('refuses truncated, foreign and other-cluster files; the cluster keeps running unchanged', async () => {
    await k('delete', 'namespace', 'keep', '--wait=true')
    await k('create', 'namespace', 'later')
    const before = pid()
    const truncated = join(home, 'cut.tar.gz')
    copyFileSync(backupFile, truncated)
    truncateSync(truncated, 300)
    const t = await kubelab('restore', 'bk', truncated)
    expect(t.code).toBe(1)
    expect(t.stderr).toMatch(/cut\.tar\.gz is damaged: it ends early/)
    const foreign = join(home, 'photo.jpg')
    writeFileSync(foreign, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6]))
    const f = await kubelab('restore', 'bk', foreign)
    expect(f.stderr).toMatch(/photo\.jpg is not a KubeLab backup/)
    // A backup whose certificate authority is another cluster's.
    const opened = await readBackup(backupFile, join(home, 'other'))
    const files = new Map(opened.files)
    const fakeCa = join(home, 'other-ca.crt')
    writeFileSync(fakeCa, createCA('someone-else').certPem)
    files.set('cluster/data/pki/ca.crt', fakeCa)
    const otherFile = join(home, 'other.tar.gz')
    await writeBackup(otherFile, { manifest: { ...opened.manifest, cluster: 'elsewhere' }, files })
    const o = await kubelab('restore', 'bk', otherFile)
    expect(o.stderr).toMatch(/belongs to another cluster \(elsewhere\): its certificate authority is not cluster bk's.*nothing was changed/)
    // Nothing was stopped or changed.
    expect(pid()).toBe(before)
    expect(await k('get', 'namespace', 'later', '-o', 'name')).toContain('namespace/later')
    expect((await k.result('get', 'namespace', 'keep')).code).not.toBe(0)
  }, 120_000)

  it('restores: the deleted namespace, its objects and its workload come back; later changes are gone', async () => {
    const r = await kubelab('restore', 'bk', backupFile)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/every entry matches its SHA-256/)
    expect(r.stdout).toMatch(/stopping cluster bk for the restore/)
    expect(r.stdout).toMatch(/store restored: \d+ objects from revision \d+, continuing at revision \d+; the replaced store is kept in/)
    expect(r.stdout).toMatch(/node node-2 Ready/)
    expect(r.stdout).toMatch(/cluster bk restored to its state at/)
    expect(await k('-n', 'keep', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.colour}')).toBe('blue')
    expect((await k.result('get', 'namespace', 'later')).code).not.toBe(0)
    await until(
      'web to be available again',
      async () => (await k('-n', 'keep', 'get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}')) === '2',
      90_000,
    )
    const nodes = await k('get', 'nodes')
    expect(nodes).toMatch(/node-1\s+Ready/)
    expect(nodes).toMatch(/node-2\s+Ready/)
  }, 240_000)

  it('says what to do for a stopped cluster', async () => {
    expect((await kubelab('stop', 'bk')).code).toBe(0)
    const r = await kubelab('backup', 'bk', '--out', join(home, 'x.tar.gz'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/cluster bk is stopped: .*start it first \(kubelab start bk\)/)
    expect(existsSync(join(home, 'x.tar.gz'))).toBe(false)
  }, 60_000)
})
