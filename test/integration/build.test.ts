// Builds the desktop app with electron-vite into a temporary folder (not out/, which `kubelab
// serve` may be using) and checks what each part may and may not contain.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const run = promisify(execFile)
let outDir: string

/** Module specifiers of static imports, dynamic imports and require() calls in a bundle. */
function importsOf(code: string): string[] {
  const specs = new Set<string>()
  const patterns = [
    /^\s*import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+[^'"]*?\s+from\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ]
  for (const re of patterns) for (const m of code.matchAll(re)) specs.add(m[1] as string)
  return [...specs]
}

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
const isBuiltin = (s: string) => nodeBuiltins.has(s) || nodeBuiltins.has(s.split('/')[0] as string)

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'kubelab-build-'))
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  await run(process.execPath, [cli, 'build', '--outDir', outDir], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
}, 180_000)

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true })
})

describe('electron-vite build', () => {
  it('emits main, preload and renderer', async () => {
    for (const rel of ['main/index.js', 'preload/index.cjs', 'renderer/index.html']) {
      expect(existsSync(join(outDir, rel)), rel).toBe(true)
    }
    const html = await readFile(join(outDir, 'renderer', 'index.html'), 'utf8')
    const scripts = [...html.matchAll(/src="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string)
    expect(scripts.length).toBe(1)
    for (const s of scripts) expect(existsSync(join(outDir, 'renderer', s)), s).toBe(true)
  })

  it('keeps the main process ESM with Node built-ins and dependencies external', async () => {
    const code = await readFile(join(outDir, 'main', 'index.js'), 'utf8')
    const specs = importsOf(code)
    expect(specs).toContain('electron')
    // Everything imported is a built-in, electron, or a package (never a bundled-in copy).
    for (const s of specs) expect(isBuiltin(s) || s === 'electron' || !s.startsWith('.'), s).toBe(true)
    expect(code).not.toMatch(/node_modules/)
    expect(code).not.toMatch(/\brequire\(/)
  })

  it('makes the preload one CommonJS file that needs nothing but electron (sandbox)', async () => {
    const code = await readFile(join(outDir, 'preload', 'index.cjs'), 'utf8')
    expect(importsOf(code)).toEqual(['electron'])
    expect(code).not.toMatch(/^\s*import\s/m)
    expect(code).toContain('exposeInMainWorld')
  })

  it('keeps Node-only modules and the backend out of the renderer bundle', async () => {
    const assets = join(outDir, 'renderer', 'assets')
    const files = (await readdir(assets)).filter((f) => f.endsWith('.js'))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const code = await readFile(join(assets, f), 'utf8')
      const specs = importsOf(code).filter((s) => !s.startsWith('.'))
      expect(specs, `${f} imports`).toEqual([])
      // (elkjs' UMD wrapper keeps a dead `require("./elk-api.js")` branch: only Node modules matter.)
      expect(code).not.toMatch(/\brequire\(["'](node:|fs|path|os|net|tls|http|https|child_process|crypto|electron)["'/]/)
      expect(code).not.toMatch(/["']node:[a-z_/]+["']/)
      expect(code).not.toMatch(/ipcRenderer|contextBridge/)
      // The backend's file access must never be bundled into the page.
      expect(code).not.toMatch(/readdir|kubelabHome|cluster\.json/)
    }
    // The page's own script (the others are workers, e.g. the topology layout) holds the
    // contract's runtime tables and the WebSocket client.
    const html = await readFile(join(outDir, 'renderer', 'index.html'), 'utf8')
    const entry = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!
    const page = await readFile(join(outDir, 'renderer', entry), 'utf8')
    expect(page).toContain('clusters.list')
    expect(page).toContain('/rpc')
  })
})
