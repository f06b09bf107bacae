import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export type ElectronLookup =
  | { ok: true; path: string }
  /** `missing`: no binary yet (the first start fetches it); `no-display`: nowhere to show a window. */
  | { ok: false; kind: 'missing' | 'no-display'; reason: string }

/** The installed `electron` package's folder, or undefined when the package is absent. */
export function electronPackageDir(root: string): string | undefined {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'))
  } catch {
    return undefined
  }
}

/**
 * Finds a usable Electron binary and display. The electron package's postinstall download is
 * denied in allowScripts (so `npm install` works offline); the first `npm start` fetches it
 * (electron-fetch.ts), so a missing binary is a normal situation before that.
 */
export function findElectron(root: string, env: NodeJS.ProcessEnv, platform: string = process.platform): ElectronLookup {
  // Without a display there is no point in fetching a binary, so this is said first.
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, kind: 'no-display', reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' }
  }
  let binary: unknown
  try {
    binary = createRequire(join(root, 'package.json'))('electron')
  } catch {
    return { ok: false, kind: 'missing', reason: 'the Electron binary is not installed yet' }
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { ok: false, kind: 'missing', reason: `the Electron binary is missing (expected at ${String(binary)})` }
  }
  return { ok: true, path: binary }
}

/** Runs Electron on the built app until it exits; resolves with its exit code. */
export function runElectron(binary: string, root: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...env }
    // Inherited from some shells/IDEs, it would make Electron behave as plain Node.
    delete childEnv.ELECTRON_RUN_AS_NODE
    const child = spawn(binary, [root], { stdio: 'inherit', env: childEnv })
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal)
    }
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    const cleanup = (): void => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
    }
    child.on('error', (err) => {
      cleanup()
      reject(new Error(`could not start Electron (${binary}): ${err.message}`))
    })
    child.on('exit', (code, signal) => {
      cleanup()
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}
