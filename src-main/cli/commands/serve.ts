import { parseArgs, parsePort } from '../args'
import { ensureBuilt } from '../build'
import type { Command } from '../command'
import { usageExitCode } from '../command'
import { projectRoot } from '../project'
import { serveUntilStopped } from '../serving'

export const defaultPort = 4780
export const defaultHost = '127.0.0.1'

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the app to a web browser (no Electron needed)',
  usage: [
    'kubelab serve [--port P] [--host H] [--verbose]',
    `  --port P    TCP port (default ${defaultPort}; 0 picks a free one)`,
    `  --host H    address to listen on (default ${defaultHost}; keep it local: the backend controls your VMs)`,
    '  --verbose   log every request to stderr',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseArgs(args, { port: 'string', host: 'string', verbose: 'boolean' })
    if (!parsed.ok) {
      io.err(`kubelab serve: ${parsed.error}\n\nUsage: ${this.usage}`)
      return usageExitCode
    }
    const { flags, positional } = parsed.value
    if (positional.length > 0) {
      io.err(`kubelab serve: unexpected argument ${positional[0]}\n\nUsage: ${this.usage}`)
      return usageExitCode
    }
    const port = flags.port === undefined ? defaultPort : parsePort(flags.port)
    if (port === null) {
      io.err(`kubelab serve: --port must be a number from 0 to 65535, got ${flags.port}`)
      return usageExitCode
    }
    const built = await ensureBuilt(projectRoot, io.err)
    if (!built.ok) {
      io.err(`kubelab serve: ${built.error}`)
      return 1
    }
    return serveUntilStopped({ host: flags.host ?? defaultHost, port, verbose: flags.verbose ?? false }, io)
  },
}
