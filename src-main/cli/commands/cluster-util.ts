// Shared by the cluster lifecycle commands: flag parsing with usage errors, one ClusterManager
// per call writing progress to stdout, and errors turned into a message and exit code 1.
import { ClusterManager } from '../../backend/cluster-manager';
import { parseArgs, type FlagSpec, type ParsedArgs } from '../args';
import type { CliIo, Command } from '../command';
import { usageExitCode } from '../command';

export interface ClusterCommandSpec<S extends FlagSpec> {
  name: string;
  summary: string;
  usage: string;
  flags: S;
  /** How many positional arguments the command takes (exactly). */
  positional: number;
  run(manager: ClusterManager, args: ParsedArgs<S>, io: CliIo): Promise<number>;
}

export function clusterCommand<S extends FlagSpec>(spec: ClusterCommandSpec<S>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(args, io) {
      const parsed = parseArgs(args, spec.flags);
      if (!parsed.ok) {
        io.err(`kubelab ${spec.name}: ${parsed.error}\n\nUsage: ${spec.usage}`);
        return usageExitCode;
      }
      if (parsed.value.positional.length !== spec.positional) {
        io.err(`kubelab ${spec.name}: expected ${spec.positional} argument${spec.positional === 1 ? '' : 's'}, got ${parsed.value.positional.length}\n\nUsage: ${spec.usage}`);
        return usageExitCode;
      }
      const manager = new ClusterManager({ env: io.env, progress: (line) => io.out(line) });
      try {
        return await spec.run(manager, parsed.value, io);
      } catch (e) {
        io.err(`kubelab ${spec.name}: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
      }
    },
  };
}
