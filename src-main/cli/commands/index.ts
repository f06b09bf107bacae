// The registry of `kubelab` subcommands: a new command is one module plus one line here.
import type { Command } from '../command';
import { appCommand } from './app';
import { createHelpCommand } from './help';
import { serveCommand } from './serve';
import { versionCommand } from './version';

export const commands: readonly Command[] = [
  appCommand,
  serveCommand,
  versionCommand,
  createHelpCommand(() => commands),
];
