// `kubelab-node apiserver`: flags named as upstream's kube-apiserver names them.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { startApiServer } from '../apiserver/server'

const HELP = `usage: kubelab-node apiserver --data-dir DIR [flags]

  --data-dir DIR                    store, certificates and tokens live here (required)
  --bind-address ADDR               address to listen on (default 127.0.0.1)
  --secure-port PORT                HTTPS port (default 6443; 0 picks a free one)
  --advertise-address ADDR          address other nodes and pods use to reach this server
  --admin-kubeconfig FILE           write an admin kubeconfig here (mode 0600)
  --service-cluster-ip-range CIDR   Service IPs (default 10.96.0.0/12)
  --service-node-port-range A-B     NodePort range (default 30000-32767)
  --default-toleration-seconds N    how long new pods tolerate an unreachable/not-ready node (default 300)
  --tls-san NAME                    extra name or IP for the serving certificate (repeatable)`

export async function runApiserver(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1' },
      'secure-port': { type: 'string', default: '6443' },
      'advertise-address': { type: 'string' },
      'admin-kubeconfig': { type: 'string' },
      'service-cluster-ip-range': { type: 'string', default: '10.96.0.0/12' },
      'service-node-port-range': { type: 'string', default: '30000-32767' },
      'tls-san': { type: 'string', multiple: true },
      'default-toleration-seconds': { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (!values['data-dir']) throw new Error(`--data-dir is required\n\n${HELP}`)
  const port = Number(values['secure-port'])
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--secure-port must be a port number, got ${values['secure-port']}`)
  const range = /^(\d+)-(\d+)$/.exec(values['service-node-port-range']!)
  if (!range || Number(range[1]) > Number(range[2])) throw new Error(`--service-node-port-range must look like 30000-32767, got ${values['service-node-port-range']}`)
  const server = await startApiServer({
    dataDir: resolve(values['data-dir']),
    bindAddress: values['bind-address'],
    securePort: port,
    advertiseAddress: values['advertise-address'],
    adminKubeconfig: values['admin-kubeconfig'] ? resolve(values['admin-kubeconfig']) : undefined,
    serviceClusterIPRange: values['service-cluster-ip-range'],
    nodePortRange: { min: Number(range[1]), max: Number(range[2]) },
    extraSANs: values['tls-san'],
    defaultTolerationSeconds: Number(values['default-toleration-seconds']),
  })
  if (values['admin-kubeconfig']) console.log(`apiserver: admin kubeconfig written to ${resolve(values['admin-kubeconfig'])}`)
  const stop = (sig: string) => {
    console.log(`apiserver: ${sig}, shutting down`)
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`apiserver: shutdown failed: ${String(e)}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}
