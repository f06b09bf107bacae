// `kubelab-node dns`: cluster DNS for the cluster domain, registered as Service kube-system/kube-dns.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import { DEFAULT_DNS_CLUSTER_IP, registerKubeDns, startClusterDns, upstreamFromResolvConf } from '../dns'

const HELP = `usage: kubelab-node dns --kubeconfig FILE [flags]

  --kubeconfig FILE          how to reach and authenticate to the API server (required)
  --bind HOST:PORT           where to serve UDP and TCP DNS (default 0.0.0.0:53)
  --cluster-domain DOMAIN    the cluster's DNS domain (default cluster.local)
  --upstream IP[:PORT]       resolver for other names (default: first nameserver in /etc/resolv.conf)
  --advertise-address IP     publish this server as the endpoint of Service kube-system/kube-dns
                             (the node's InternalIP; omit to leave the Service alone)
  --cluster-ip IP            cluster IP of the kube-dns Service (default ${DEFAULT_DNS_CLUSTER_IP})
  --node-name NAME           node this server runs on (names its EndpointSlice)`

export async function runDns(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      bind: { type: 'string', default: '0.0.0.0:53' },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      upstream: { type: 'string' },
      'advertise-address': { type: 'string' },
      'cluster-ip': { type: 'string', default: DEFAULT_DNS_CLUSTER_IP },
      'node-name': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  const m = /^(.*):(\d+)$/.exec(values.bind!)
  if (!m) throw new Error(`--bind must be HOST:PORT, e.g. 0.0.0.0:53 (got ${values.bind})`)
  const upstream = values.upstream ?? upstreamFromResolvConf()
  if (!upstream) console.warn('dns: no upstream resolver (none in /etc/resolv.conf, no --upstream): names outside the cluster get SERVFAIL')
  const cfg = loadKubeconfig(resolve(values.kubeconfig))
  const client = createClient({ ...cfg, userAgent: 'kubelab-dns' })
  const dns = await startClusterDns(client, { host: m[1]!, port: Number(m[2]), clusterDomain: values['cluster-domain'], upstream, log: (l) => console.log(l) })
  let unregister: (() => Promise<void>) | undefined
  if (values['advertise-address']) {
    unregister = await registerKubeDns(client, {
      address: values['advertise-address'],
      port: dns.server.port,
      clusterIP: values['cluster-ip'],
      nodeName: values['node-name'],
    })
  }
  console.log(`dns: serving ${values['cluster-domain']} on ${m[1]}:${dns.server.port} (udp+tcp), upstream ${upstream ?? 'none'}`)
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`dns: ${sig}, shutting down`)
      Promise.resolve(unregister?.())
        .catch((e: unknown) => console.error(`dns: could not remove the kube-dns endpoint: ${String(e)}`))
        .then(() => dns.stop())
        .then(() => {
          client.close()
          done()
        })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
