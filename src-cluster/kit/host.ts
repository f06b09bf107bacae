// Running the host tools the network code drives (ip, iptables, iptables-restore, sysctl), either
// in this process's network namespace or, for tests and the local provider, inside a named one.
import { spawn } from 'node:child_process'

export interface CommandResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface HostCommands {
  /** Run a command to completion; never rejects for a non-zero exit (look at `code`). */
  run(cmd: string, args: readonly string[], input?: string): Promise<CommandResult>
  /** Like run(), but a non-zero exit throws an error naming the command and its stderr. */
  must(cmd: string, args: readonly string[], input?: string): Promise<string>
  /** The named network namespace commands run in, if any. */
  readonly netns?: string
}

/** Commands in the current network namespace, or in `netns` (through `ip netns exec`). */
export function hostCommands(netns?: string): HostCommands {
  const run = (cmd: string, args: readonly string[], input?: string): Promise<CommandResult> =>
    new Promise((resolve, reject) => {
      const [bin, argv] = netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]]
      const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (c: Buffer) => out.push(c))
      child.stderr.on('data', (c: Buffer) => err.push(c))
      child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message} (is it installed and on PATH?)`)))
      child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
      child.stdin.on('error', () => {}) // a command that exits without reading its input is not our failure
      child.stdin.end(input ?? '')
    })
  return {
    netns,
    run,
    async must(cmd, args, input) {
      const r = await run(cmd, args, input)
      if (r.code !== 0) {
        const where = netns ? ` in network namespace ${netns}` : ''
        throw new Error(`${cmd} ${args.join(' ')}${where} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`)
      }
      return r.stdout
    },
  }
}
