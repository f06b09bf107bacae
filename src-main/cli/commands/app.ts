import { parseArgs, parsePort } from '../args';
import { ensureBuilt } from '../build';
import type { Command } from '../command';
import { usageExitCode } from '../command';
import { findElectron, runElectron } from '../electron';
import { projectRoot } from '../project';
import { serveUntilStopped } from '../serve';
import { defaultHost, defaultPort } from './serve';

export const appCommand: Command = {
  name: 'app',
  summary: 'Start the desktop app (falls back to browser mode without Electron or a display)',
  usage: [
    'kubelab app [--browser] [--port P] [--host H]',
    '  --browser   skip Electron and serve the app to a web browser',
    '  --port, --host   used in browser mode, as for `kubelab serve`',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseArgs(args, { browser: 'boolean', port: 'string', host: 'string' });
    if (!parsed.ok || parsed.value.positional.length > 0) {
      const why = parsed.ok ? `unexpected argument ${parsed.value.positional[0]}` : parsed.error;
      io.err(`kubelab app: ${why}\n\nUsage: ${this.usage}`);
      return usageExitCode;
    }
    const { flags } = parsed.value;
    const port = flags.port === undefined ? defaultPort : parsePort(flags.port);
    if (port === null) {
      io.err(`kubelab app: --port must be a number from 0 to 65535, got ${flags.port}`);
      return usageExitCode;
    }

    const built = await ensureBuilt(projectRoot, io.err);
    if (!built.ok) {
      io.err(`kubelab app: ${built.error}`);
      return 1;
    }

    if (!flags.browser) {
      const electron = findElectron(projectRoot, io.env);
      if (electron.ok) {
        try {
          return await runElectron(electron.path, projectRoot, io.env);
        } catch (err) {
          io.err(`Not starting the desktop window: ${err instanceof Error ? err.message : String(err)}; using browser mode.`);
        }
      } else {
        io.err(`Not starting the desktop window: ${electron.reason}; using browser mode.`);
      }
    }
    return serveUntilStopped({ host: flags.host ?? defaultHost, port, verbose: false }, io);
  },
};
