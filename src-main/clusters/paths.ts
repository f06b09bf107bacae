import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** Where KubeLab keeps its state on the host: `$KUBELAB_HOME`, else `~/.kubelab`. */
export function kubelabHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KUBELAB_HOME
  return fromEnv && fromEnv.trim() !== '' ? resolve(fromEnv) : join(homedir(), '.kubelab')
}

/** The folder holding one sub-folder per cluster. */
export function clustersDir(home: string): string {
  return join(home, 'clusters')
}
