import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Files the build produces; all must exist and be newer than every input. */
export const buildOutputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']

/** What feeds the build. src-cluster is included because the backend will import its client. */
const buildInputs = ['src-main', 'src-renderer', 'src-cluster', 'electron.vite.config.ts', 'package.json']

/** Why a rebuild is needed, or null when out/ is up to date. */
export function staleReason(root: string): string | null {
  let oldestOutput = Infinity
  for (const rel of buildOutputs) {
    const file = join(root, rel)
    if (!existsSync(file)) return `${rel} is missing`
    oldestOutput = Math.min(oldestOutput, statSync(file).mtimeMs)
  }
  for (const rel of buildInputs) {
    const newer = findNewer(join(root, rel), oldestOutput)
    if (newer) return `${newer.slice(root.length).replace(/^[/\\]/, '')} changed since the last build`
  }
  return null
}

function findNewer(path: string, than: number): string | null {
  if (!existsSync(path)) return null
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs > than ? path : null
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const found = findNewer(join(path, entry.name), than)
    if (found) return found
  }
  return null
}

export type BuildResult = { ok: true } | { ok: false; error: string }

/**
 * Runs `electron-vite build` in `root`. Output is kept quiet on success and shown (tail) on
 * failure, so a broken build is never a silent one.
 */
export function runBuild(root: string, extraArgs: string[] = []): Promise<BuildResult> {
  let cli: string
  try {
    const require = createRequire(join(root, 'package.json'))
    cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
  } catch {
    return Promise.resolve({ ok: false, error: 'electron-vite is not installed; run `npm install`' })
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'build', ...extraArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const output: string[] = []
    const collect = (chunk: Buffer): void => {
      output.push(chunk.toString())
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('error', (err) => resolve({ ok: false, error: `could not run electron-vite: ${err.message}` }))
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ ok: true })
      const tail = output.join('').trimEnd().split('\n').slice(-40).join('\n')
      resolve({ ok: false, error: `electron-vite build failed (${signal ?? `exit ${code}`}):\n${tail}` })
    })
  })
}

/** Builds when out/ is missing or older than the sources; reports what it does on `log`. */
export async function ensureBuilt(root: string, log: (line: string) => void): Promise<BuildResult> {
  const reason = staleReason(root)
  if (!reason) return { ok: true }
  log(`Building the app (${reason})…`)
  return runBuild(root)
}
