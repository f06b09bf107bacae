import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BUNDLE_FILES, buildNodeBundle } from '../../provisioning/bundle'

describe('node bundle', () => {
  const made: string[] = []
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('builds one file that runs `help` with no node_modules anywhere near it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kl-bundle-'))
    made.push(out)
    const b = await buildNodeBundle({ outDir: out, force: true })
    for (const f of BUNDLE_FILES) expect(existsSync(join(out, f))).toBe(true)
    // Copy to a folder with nothing else in it (and no parent node_modules) and run it there.
    const bare = mkdtempSync(join(tmpdir(), 'kl-bare-'))
    made.push(bare)
    for (const f of BUNDLE_FILES) cpSync(join(out, f), join(bare, f))
    const r = spawnSync(process.execPath, [join(bare, 'kubelab-node.js'), 'help'], { encoding: 'utf8', cwd: bare, env: { PATH: process.env.PATH } })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('usage: kubelab-node <component>')
    expect(b.components).toEqual(expect.arrayContaining(['apiserver', 'scheduler', 'controller-manager']))
    expect(b.bytes).toBeGreaterThan(100_000)
    // Latin-1 only, so V8 keeps the running program's source as a one-byte string (half the memory).
    // eslint-disable-next-line no-control-regex
    expect(readFileSync(join(out, 'kubelab-node.cjs'), 'utf8').match(/[^\u0000-\u00ff]/g) ?? []).toEqual([])
  }, 60_000)

  it('leaves a V8 code cache after a component has run, ignores a stale or damaged one, and still runs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kl-bundle-'))
    made.push(out)
    await buildNodeBundle({ outDir: out, force: true })
    const hash = /const HASH = '([0-9a-f]{16})'/.exec(readFileSync(join(out, 'kubelab-node.js'), 'utf8'))?.[1]
    expect(hash).toBeDefined()
    const cache = join(out, `kubelab-node.cjs.${hash}.cache`)
    // A damaged cache under the right name, and one left by an older bundle.
    writeFileSync(cache, 'not a code cache')
    writeFileSync(join(out, 'kubelab-node.cjs.0123456789abcdef.cache'), 'old')
    const help = spawnSync(process.execPath, [join(out, 'kubelab-node.js'), 'help'], { encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('usage: kubelab-node <component>')
    // A component that keeps running writes the cache after a few seconds (temp file + rename),
    // then removes older bundles' caches: wait for both, as a loaded machine may run them apart.
    const data = mkdtempSync(join(tmpdir(), 'kl-cache-api-'))
    made.push(data)
    const api = spawn(process.execPath, [join(out, 'kubelab-node.js'), 'apiserver', '--data-dir', data, '--secure-port', '0'], { stdio: 'ignore' })
    const settled = (): boolean => statSync(cache).size >= 100_000 && readdirSync(out).filter((f) => f.endsWith('.cache') || f.endsWith('.tmp')).length === 1
    try {
      for (let i = 0; i < 300 && !settled(); i++) await new Promise((r) => setTimeout(r, 100))
    } finally {
      api.kill('SIGKILL')
    }
    expect(statSync(cache).size).toBeGreaterThan(100_000)
    expect(readdirSync(out).filter((f) => f.endsWith('.cache'))).toEqual([`kubelab-node.cjs.${hash}.cache`])
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([])
    const again = spawnSync(process.execPath, [join(out, 'kubelab-node.js'), 'help'], { encoding: 'utf8' })
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('usage: kubelab-node <component>')
  }, 90_000)
})
