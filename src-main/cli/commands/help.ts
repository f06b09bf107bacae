import type { Command } from '../command'
import { usageExitCode } from '../command'

/** Overall usage text, listing every registered command. */
export function usageText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'Usage: kubelab <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `kubelab help <command>` for its options.',
  ].join('\n')
}

export function createHelpCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'help',
    summary: 'Show this help, or the options of one command',
    usage: 'kubelab help [command]',
    async run(args, io) {
      const [topic] = args
      if (topic === undefined) {
        io.out(usageText(commands()))
        return 0
      }
      const command = commands().find((c) => c.name === topic)
      if (!command) {
        io.err(`kubelab help: unknown command ${topic}\n\n${usageText(commands())}`)
        return usageExitCode
      }
      io.out(`${command.summary}\n\nUsage: ${command.usage}`)
      return 0
    },
  }
}
