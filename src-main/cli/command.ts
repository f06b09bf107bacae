/** What a subcommand may use: output, environment and a way to wait for Ctrl-C / SIGTERM. */
export interface CliIo {
  out(line: string): void
  err(line: string): void
  env: NodeJS.ProcessEnv
  /** Resolves with the signal name when the user asks the process to stop. */
  waitForStop(): Promise<string>
  /** Ends the process now (a cancelled command whose background work cannot be awaited); absent in tests. */
  exit?(code: number): void
}

/**
 * One `kubelab <name>` subcommand. Each lives in its own module under commands/ and is listed
 * once in commands/index.ts; run() returns the process exit code.
 */
export interface Command {
  name: string
  summary: string
  /** Usage lines shown by `kubelab help <name>` and on a usage error. */
  usage: string
  run(args: string[], io: CliIo): Promise<number>
}

/** Exit code for wrong usage (unknown command or flag), as most CLIs do. */
export const usageExitCode = 2
