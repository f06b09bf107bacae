import { clusterCommand } from './cluster-util'

export const startCommand = clusterCommand({
  name: 'start',
  summary: 'Start a stopped cluster (its objects are kept) and wait until it is Ready',
  usage: [
    'kubelab start NAME [--timeout D]',
    '  --timeout D   give up waiting for Ready nodes after D seconds (default 120 + a little per node; x4 for VMs under TCG emulation)',
  ].join('\n'),
  flags: { timeout: 'string' },
  positional: 1,
  async run(manager, { flags, positional }) {
    const timeoutS = flags.timeout === undefined ? undefined : Number(flags.timeout)
    if (timeoutS !== undefined && !(timeoutS > 0)) throw new Error(`--timeout must be a number of seconds, got ${flags.timeout}`)
    await manager.start(positional[0] as string, timeoutS === undefined ? undefined : timeoutS * 1000)
    return 0
  },
})
