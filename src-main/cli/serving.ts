// Browser mode until stopped: the backend behind the HTTP + WebSocket server, its launch record,
// the browser opened. `kubelab serve` (commands/serve.ts) and `kubelab app` without a usable
// Electron (commands/app.ts) both run it.
import { createBackend } from '../backend'
import { kubelabHome } from '../clusters/paths'
import { isLoopback, ListenError, startServer } from '../server'
import type { CliIo } from './command'
import { openInBrowser } from './open-browser'
import { packageVersion, rendererOutDir } from './project'
import { removeServingRecord, whoHoldsPort, writeServingRecord } from './serving-record'

export interface ServeOptions {
  host: string
  port: number
  verbose: boolean
  /** Open the URL in the user's browser (`kubelab app`); `kubelab serve` only prints it. */
  open?: boolean
}

async function openOrSay(url: string, io: CliIo): Promise<void> {
  const opened = await openInBrowser(url, io.env)
  if (opened.ok) io.out(`Opened it in your browser (${opened.via}).`)
  else io.err(`Could not open a browser: ${opened.reason}. Open the URL above yourself.`)
}

/** Browser mode: serves UI + contract until SIGINT/SIGTERM, then closes cleanly. */
export async function serveUntilStopped(options: ServeOptions, io: CliIo): Promise<number> {
  const home = kubelabHome(io.env)
  const backend = createBackend({
    mode: 'browser',
    version: packageVersion(),
    env: io.env,
    log: options.verbose ? (line) => io.err(`rpc ${line}`) : undefined,
  })
  let server
  try {
    server = await startServer({ backend, rendererDir: rendererOutDir, host: options.host, port: options.port })
  } catch (err) {
    await backend.close()
    if (err instanceof ListenError && err.code === 'EADDRINUSE') return portTaken(options, home, io)
    io.err(`kubelab: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
  if (!isLoopback(options.host)) {
    io.err(`Warning: listening on ${options.host} lets other machines on your network drive this KubeLab backend.`)
  }
  try {
    writeServingRecord(home, { url: server.url, launchUrl: server.launchUrl, pid: process.pid, host: server.host, port: server.port })
  } catch {
    // Only a later start on this port misses the link; serving goes on.
  }
  io.out(`KubeLab is serving at ${server.launchUrl}`)
  io.out("Open that URL in a browser (it carries this launch's secret: do not share it). Press Ctrl-C to stop.")
  if (options.open) await openOrSay(server.launchUrl, io)
  const signal = await io.waitForStop()
  removeServingRecord(home, server.port)
  await server.close()
  // Host terminals end with the server; clusters keep running (they are detached on purpose).
  await backend.close()
  io.out(`Stopped (${signal}).`)
  return 0
}

/** The port is taken: by this user's KubeLab (reuse it), another KubeLab, or another program. */
async function portTaken(options: ServeOptions, home: string, io: CliIo): Promise<number> {
  const where = `port ${options.port} on ${options.host}`
  const holder = await whoHoldsPort(home, options.host, options.port)
  if (holder.kind === 'kubelab') {
    io.out(`KubeLab is already serving on ${where}${holder.pid ? ` (process ${holder.pid})` : ''}: use that one at ${holder.launchUrl}`)
    io.out('Stop it with Ctrl-C in its terminal; pass --port 0 to start a second one on any free port.')
    if (options.open) await openOrSay(holder.launchUrl, io)
    return 0
  }
  if (holder.kind === 'kubelab-elsewhere') {
    io.err(`kubelab: another KubeLab (another user's, or one with another KUBELAB_HOME) is serving on ${where} at ${holder.url}.`)
    io.err('Open the link it printed when it started, stop it with Ctrl-C in its terminal, or pass --port 0 for any free port.')
    return 1
  }
  io.err(`kubelab: ${where} is taken by another program (not KubeLab).`)
  io.err(
    `Stop that program, or pass --port with another number (--port 0 picks any free one).${process.platform === 'linux' ? ` \`ss -ltnp 'sport = :${options.port}'\` shows which program it is.` : ''}`,
  )
  return 1
}
