// `kubelab backup` / `kubelab restore` on a local-provider cluster with the embedded store: the
// restore runs on the control-plane node over SSH (supervisor stops the API server,
// kubelab-node restore, start, components restarted). Lean: one control-plane node only.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const execFileP = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const KUBELAB = join(ROOT, 'bin', 'kubelab.mjs')

const home = mkdtempSync('/tmp/kl-')
// Reserved for this file (run the local-cluster tests one at a time, under the e2e lock).
const cluster = 'l7b'
const clusterDir = join(home, 'clusters', cluster)
const kubeconfig = join(clusterDir, 'kubeconfig')
const env = { ...process.env, KUBELAB_HOME: home }

async function kubelab(...args: string[]): Promise<string> {
  try {
    const r = await execFileP(process.execPath, [KUBELAB, ...args], { env, cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 })
    return r.stdout + r.stderr
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`kubelab ${args.join(' ')} failed: ${x.message}\n${(x.stdout ?? '').split('\n').slice(-30).join('\n')}\n${x.stderr ?? ''}`)
  }
}

async function kubectl(...args: string[]): Promise<string> {
  try {
    return (await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`kubectl ${args.join(' ')} failed: ${x.stderr?.trim() || x.message}`)
  }
}

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
