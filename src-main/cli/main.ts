import type { CliIo } from './command'
import { usageExitCode } from './command'
import { commands } from './commands'
import { usageText } from './commands/help'

/** Entry point of `kubelab`: dispatches to a subcommand and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(usageText(commands))
    return 0
  }
  if (name === '--version' || name === '-v') return runNamed('version', rest, io)
  const command = commands.find((c) => c.name === name)
  if (!command) {
    io.err(`kubelab: unknown command ${name}\n\n${usageText(commands)}`)
    return usageExitCode
  }
  if (rest.includes('--help') || rest.includes('-h')) return runNamed('help', [name], io)
  return command.run(rest, io)
}

function runNamed(name: string, args: string[], io: CliIo): Promise<number> {
  const command = commands.find((c) => c.name === name)
  if (!command) throw new Error(`internal: command ${name} is not registered`)
  return command.run(args, io)
}

export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    exit: (code) => process.exit(code),
    waitForStop: () =>
      new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve(signal)
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      }),
  }
}
