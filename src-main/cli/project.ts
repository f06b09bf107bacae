import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The package root (where package.json, electron.vite.config.ts and out/ live). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url))

export const rendererOutDir = join(projectRoot, 'out', 'renderer')

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
}
