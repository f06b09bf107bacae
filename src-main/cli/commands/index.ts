// The registry of `kubelab` subcommands: a new command is one module plus one line here.
import type { Command } from '../command'
import { appCommand } from './app'
import { createCommand } from './create'
import { deleteCommand } from './delete'
import { kubeconfigCommand } from './kubeconfig'
import { listCommand } from './list'
import { nodeCommand } from './node'
import { nodePortCommand } from './node-port'
import { sshCommand } from './ssh'
import { imageCommand } from './image'
import { startCommand } from './start'
import { stopCommand } from './stop'
import { createHelpCommand } from './help'
import { serveCommand } from './serve'
import { versionCommand } from './version'
import { labCommand } from './lab'
import { backupCommand } from './backup'
import { restoreCommand } from './restore'

export const commands: readonly Command[] = [
  appCommand,
  serveCommand,
  createCommand,
  listCommand,
  kubeconfigCommand,
  startCommand,
  stopCommand,
  deleteCommand,
  backupCommand,
  restoreCommand,
  nodeCommand,
  nodePortCommand,
  sshCommand,
  imageCommand,
  labCommand,
  versionCommand,
  createHelpCommand(() => commands),
]
