import { clusterCommand } from './cluster-util'

/** `kubelab node-port CLUSTER PORT`: a NodePort on 127.0.0.1 for clusters the host cannot address (qemu). */
export const nodePortCommand = clusterCommand({
  name: 'node-port',
  summary: 'Reach a NodePort from this machine (qemu clusters: a forward on 127.0.0.1)',
  usage: [
    'kubelab node-port CLUSTER NODEPORT [--host-port P]',
    '  forwards 127.0.0.1:P (default: a free port, or the one given before) to NODEPORT on the',
    '  control-plane VM and prints the address; the forward stays across stop/start',
  ].join('\n'),
  flags: { 'host-port': 'string' },
  positional: 2,
  async run(manager, { flags, positional }, io) {
    const [cluster, port] = positional as [string, string]
    if (!/^\d+$/.test(port)) throw new Error(`NODEPORT must be a port number, got ${port}`)
    if (flags['host-port'] !== undefined && !/^\d+$/.test(flags['host-port'])) throw new Error(`--host-port must be a port number, got ${flags['host-port']}`)
    const a = await manager.forwardNodePort(cluster, Number(port), flags['host-port'] === undefined ? undefined : Number(flags['host-port']))
    io.out(`${a.host}:${a.port}`)
    return 0
  },
})
