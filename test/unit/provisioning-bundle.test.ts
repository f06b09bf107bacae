import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
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
  }, 60_000)
})
