import type { Command } from '../command'
import { packageVersion } from '../project'

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the KubeLab version',
  usage: 'kubelab version',
  async run(_args, io) {
    io.out(`kubelab ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})`)
    return 0
  },
}
