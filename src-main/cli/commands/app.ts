import { parseArgs, parsePort } from '../args'
import { ensureBuilt } from '../build'
import type { CliIo, Command } from '../command'
import { usageExitCode } from '../command'
import { electronPackageDir, findElectron, runElectron, type ElectronLookup } from '../electron'
import { fetchElectron, progressLines, type ElectronFetchResult } from '../electron-fetch'
import { projectRoot } from '../project'
import { serveUntilStopped } from '../serving'
import { defaultHost, defaultPort } from './serve'

export const appCommand: Command = {
  name: 'app',
  summary: 'Start the desktop app (fetches Electron on first start; falls back to browser mode where it cannot run)',
  usage: [
    'kubelab app [--browser] [--no-open] [--fetch-electron] [--port P] [--host H]',
    '  --browser          skip Electron and serve the app to a web browser (opened for you: $BROWSER,',
    '                     else xdg-open / open / start); a KubeLab already serving on the port is reused',
    '  --no-open          in browser mode, only print the URL',
    '  --fetch-electron   only fetch the Electron build the electron package pins (once; verified)',
    '  --archive FILE     with --fetch-electron: install that release zip (offline), verified the same way',
    '  --port, --host     used in browser mode, as for `kubelab serve`',
    'ELECTRON_SKIP_BINARY_DOWNLOAD=1 never fetches; ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR,',
    'electron_config_cache and ELECTRON_GET_USE_PROXY work as for the electron package.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseArgs(args, { browser: 'boolean', 'no-open': 'boolean', 'fetch-electron': 'boolean', archive: 'string', port: 'string', host: 'string' })
    if (!parsed.ok || parsed.value.positional.length > 0) {
      const why = parsed.ok ? `unexpected argument ${parsed.value.positional[0]}` : parsed.error
      io.err(`kubelab app: ${why}\n\nUsage: ${this.usage}`)
      return usageExitCode
    }
    const { flags } = parsed.value
    const port = flags.port === undefined ? defaultPort : parsePort(flags.port)
    if (port === null) {
      io.err(`kubelab app: --port must be a number from 0 to 65535, got ${flags.port}`)
      return usageExitCode
    }

    if (flags.archive !== undefined && !flags['fetch-electron']) {
      io.err('kubelab app: --archive goes with --fetch-electron')
      return usageExitCode
    }
    if (flags['fetch-electron']) {
      const fetched = await fetchFor(io, flags.archive)
      if (!fetched.ok) {
        io.err(`kubelab app: ${fetched.reason}`)
        return 1
      }
      io.out(fetched.fetched ? `Electron is ready: ${fetched.path}` : `Electron is already here: ${fetched.path}`)
      return 0
    }

    const built = await ensureBuilt(projectRoot, io.err)
    if (!built.ok) {
      io.err(`kubelab app: ${built.error}`)
      return 1
    }

    if (!flags.browser) {
      let electron: ElectronLookup = findElectron(projectRoot, io.env)
      if (!electron.ok && electron.kind === 'missing') {
        // First start: fetch the binary the package pins, then look again.
        const fetched = await fetchFor(io)
        electron = fetched.ok ? findElectron(projectRoot, io.env) : { ok: false, kind: 'missing', reason: fetched.reason }
      }
      if (electron.ok) {
        try {
          return await runElectron(electron.path, projectRoot, io.env)
        } catch (err) {
          io.err(`Not starting the desktop window: ${err instanceof Error ? err.message : String(err)}; using browser mode.`)
        }
      } else {
        io.err(`Not starting the desktop window: ${electron.reason}; using browser mode.`)
        io.err(desktopHint(electron.kind))
      }
    }
    return serveUntilStopped({ host: flags.host ?? defaultHost, port, verbose: false, open: !flags['no-open'] }, io)
  },
}

/** How to get the desktop window where this start could not show it. */
export function desktopHint(kind: 'missing' | 'no-display'): string {
  return kind === 'no-display'
    ? 'For the desktop window, run `npm start` in a desktop session (it fetches Electron there once); over SSH, keep browser mode and forward the port (ssh -L).'
    : 'For the desktop window, run `npm start` on a machine that can download Electron (once), or install a downloaded release zip with `kubelab app --fetch-electron --archive FILE`.'
}

/** Fetch the pinned Electron build with a progress bar on stderr. */
async function fetchFor(io: CliIo, archive?: string): Promise<ElectronFetchResult> {
  const electronDir = electronPackageDir(projectRoot)
  if (!electronDir) return { ok: false, reason: 'the electron package is not installed; run npm install' }
  let announced = false
  return fetchElectron({
    electronDir,
    env: io.env,
    archive,
    onProgress: progressLines('Fetching Electron (first start only)', (line) => {
      if (!announced) {
        announced = true
        io.err('The desktop window needs the Electron binary once; fetching it (Ctrl-C and `kubelab app --browser` skip this).')
      }
      io.err(line)
    }),
  })
}
