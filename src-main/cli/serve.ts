import { createBackend } from '../backend';
import { isLoopback, startServer } from '../server';
import type { CliIo } from './command';
import { packageVersion, rendererOutDir } from './project';

export interface ServeOptions {
  host: string;
  port: number;
  verbose: boolean;
}

/** Browser mode: serves UI + contract until SIGINT/SIGTERM, then closes cleanly. */
export async function serveUntilStopped(options: ServeOptions, io: CliIo): Promise<number> {
  const backend = createBackend({
    mode: 'browser',
    version: packageVersion(),
    env: io.env,
    log: options.verbose ? (line) => io.err(`rpc ${line}`) : undefined,
  });
  let server;
  try {
    server = await startServer({ backend, rendererDir: rendererOutDir, host: options.host, port: options.port });
  } catch (err) {
    await backend.close();
    io.err(`kubelab: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (!isLoopback(options.host)) {
    io.err(`Warning: listening on ${options.host} lets other machines on your network drive this KubeLab backend.`);
  }
  io.out(`KubeLab is serving at ${server.launchUrl}`);
  io.out('Open that URL in a browser (it carries this launch\'s secret: do not share it). Press Ctrl-C to stop.');
  const signal = await io.waitForStop();
  await server.close();
  // Host terminals end with the server; clusters keep running (they are detached on purpose).
  await backend.close();
  io.out(`Stopped (${signal}).`);
  return 0;
}
