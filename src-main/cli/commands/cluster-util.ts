// Shared by the cluster lifecycle commands: flag parsing with usage errors, one ClusterManager
// per call writing progress to stdout, errors turned into a message and exit code 1, and for
// long commands (create) Ctrl-C wired to the manager's cancel path.
import { ClusterManager } from '../../clusters'
import { SshSession } from '../../ssh-provisioning/ssh'
import { parseArgs, type FlagSpec, type ParsedArgs } from '../args'
import type { CliIo, Command } from '../command'
import { usageExitCode } from '../command'

export interface ClusterCommandSpec<S extends FlagSpec> {
  name: string
  summary: string
  usage: string
  flags: S
  /** How many positional arguments the command takes (exactly). */
  positional: number
  /**
   * Ctrl-C / SIGTERM cancels the running operation cleanly (current step aborted) instead of
   * killing the process; the returned text says how to go on from there.
   */
  cancelHint?: (args: ParsedArgs<S>) => string
  run(manager: ClusterManager, args: ParsedArgs<S>, io: CliIo): Promise<number>
}

/** Exit code of a command stopped by SIGINT, as shells report it. */
export const cancelledExitCode = 130
/** How long a cancelled command may take to stop its step before the CLI exits anyway. */
const CANCEL_GRACE_MS = 30_000

export function clusterCommand<S extends FlagSpec>(spec: ClusterCommandSpec<S>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(args, io) {
      const parsed = parseArgs(args, spec.flags)
      if (!parsed.ok) {
        io.err(`kubelab ${spec.name}: ${parsed.error}\n\nUsage: ${spec.usage}`)
        return usageExitCode
      }
      if (parsed.value.positional.length !== spec.positional) {
        io.err(
          `kubelab ${spec.name}: expected ${spec.positional} argument${spec.positional === 1 ? '' : 's'}, got ${parsed.value.positional.length}\n\nUsage: ${spec.usage}`,
        )
        return usageExitCode
      }
      if (!spec.cancelHint) {
        const manager = new ClusterManager({ env: io.env, progress: (line) => io.out(line) })
        try {
          return await spec.run(manager, parsed.value, io)
        } catch (e) {
          io.err(`kubelab ${spec.name}: ${e instanceof Error ? e.message : String(e)}`)
          return 1
        }
      }
      return runCancellable(spec, parsed.value, io, spec.cancelHint(parsed.value))
    },
  }
}

async function runCancellable<S extends FlagSpec>(spec: ClusterCommandSpec<S>, args: ParsedArgs<S>, io: CliIo, hint: string): Promise<number> {
  const abort = new AbortController()
  const cancelled = (): string | undefined => (abort.signal.aborted ? String(abort.signal.reason) : undefined)
  const manager = new ClusterManager({
    env: io.env,
    progress: (line) => io.out(line),
    signal: abort.signal,
    // Between phases (machines → control plane → nodes) the manager asks here too.
    step: () => {
      const why = cancelled()
      if (why) throw new Error(`cancelled: ${why}`)
    },
  })
  let stopped: () => void = () => {}
  const stopRequested = new Promise<void>((resolve) => (stopped = resolve))
  // waitForStop takes its handlers off once it fires: a second Ctrl-C ends the process at once.
  void io.waitForStop().then((sig) => {
    io.out(`${sig}: cancelling kubelab ${spec.name}: the current step stops, then kubelab exits (Ctrl-C again quits at once)`)
    abort.abort(sig)
    stopped()
  })
  const work = spec.run(manager, args, io).then(
    (code) => ({ code, error: undefined as unknown }),
    (error: unknown) => ({ code: 1, error }),
  )
  const graceOver = stopRequested.then(() => new Promise<'grace'>((r) => setTimeout(() => r('grace'), CANCEL_GRACE_MS).unref()))
  const first = await Promise.race([work, graceOver])
  const why = cancelled()
  if (first === 'grace') {
    // The manager is in a wait it does not interrupt (nodes becoming Ready): nothing of ours
    // runs on the nodes any more, so leaving now is safe and the state re-runs converge from.
    await SshSession.drain(5_000)
    io.err(`kubelab ${spec.name}: cancelled (${why}); ${hint}`)
    io.exit?.(cancelledExitCode)
    return cancelledExitCode
  }
  if (!why) {
    if (first.error === undefined) return first.code
    io.err(`kubelab ${spec.name}: ${first.error instanceof Error ? first.error.message : String(first.error)}`)
    return 1
  }
  if (first.error === undefined) {
    io.out(`(the ${why} came too late to cancel: kubelab ${spec.name} had finished)`)
    return first.code
  }
  // Other nodes' steps were cancelled too and may still be killing their remote commands: let
  // them finish (their SSH sessions close when they have) before the process goes.
  const still = await SshSession.drain(CANCEL_GRACE_MS)
  if (still.length) io.err(`kubelab ${spec.name}: gave up waiting for the cancelled steps on ${still.join(', ')}`)
  const msg = first.error instanceof Error ? first.error.message.split('\n')[0]! : String(first.error)
  io.err(`kubelab ${spec.name}: ${/cancelled/i.test(msg) ? msg : `cancelled (${why}): ${msg}`}\n${hint}`)
  io.exit?.(cancelledExitCode)
  return cancelledExitCode
}
