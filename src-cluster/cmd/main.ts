// kubelab-node: every component that runs on a cluster node, one subcommand each.
import { runApiserver } from './apiserver'

const COMMANDS: Record<string, { run: (args: string[]) => Promise<void>; about: string }> = {
  apiserver: { run: runApiserver, about: 'the Kubernetes API server with its embedded store' },
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(20)} ${c.about}`)
  return `usage: kubelab-node <component> [flags]\n\ncomponents:\n${lines.join('\n')}\n\nRun 'kubelab-node <component> --help' for its flags.`
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage())
    return
  }
  const c = COMMANDS[cmd]
  if (!c) {
    console.error(`kubelab-node: unknown component ${JSON.stringify(cmd)}\n\n${usage()}`)
    process.exit(2)
  }
  try {
    await c.run(rest)
  } catch (e) {
    console.error(`kubelab-node ${cmd}: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
