// `kubelab-node proxy`: the service proxy on one node, programming iptables for Services.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import { parseCidr } from '../kit/ipv4'
import { ServiceProxy } from '../proxy'

const HELP = `usage: kubelab-node proxy --kubeconfig FILE --node-name NAME [flags]

  --kubeconfig FILE       how to reach and authenticate to the API server (required)
  --node-name NAME        the node this proxy runs on (required; used in logs)
  --cluster-cidr CIDR     the pod network; other traffic to cluster IPs is masqueraded (default 10.244.0.0/16)
  --cleanup               remove every rule and chain the proxy made, then exit`

export async function runProxy(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'cluster-cidr': { type: 'string', default: '10.244.0.0/16' },
      cleanup: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  const clusterCIDR = parseCidr(values['cluster-cidr']!).text
  if (values.cleanup) {
    const { removeProxyRules } = await import('../proxy/iptables')
    const { hostCommands } = await import('../kit/host')
    await removeProxyRules(hostCommands())
    console.log('proxy: rules removed')
    return
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  if (!values['node-name']) throw new Error(`--node-name is required\n\n${HELP}`)
  const node = values['node-name']
  const cfg = loadKubeconfig(resolve(values.kubeconfig))
  const client = createClient({ ...cfg, userAgent: `kubelab-proxy/${node}` })
  const proxy = new ServiceProxy(client, { clusterCIDR, log: (l) => console.log(l) })
  await proxy.start()
  console.log(`proxy: node ${node} serving Services from ${cfg.server}`)
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`proxy: ${sig}, removing rules and shutting down`)
      proxy.stop({ cleanup: true }).then(
        () => {
          client.close()
          done()
        },
        (e: unknown) => {
          console.error(`proxy: cleanup failed: ${String(e)}; run 'kubelab-node proxy --cleanup'`)
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
