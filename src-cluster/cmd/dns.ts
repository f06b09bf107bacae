// `kubelab-node dns`: cluster DNS for the cluster domain, registered as Service kube-system/kube-dns.
import { resolve } from 'node:path'
import { DEFAULT_DNS_CLUSTER_IP, registerKubeDns, startClusterDns, upstreamFromResolvConf } from '../dns'
import { defineComponent } from './component'
import { KUBECONFIG_FLAG } from './flags'

export const dns = defineComponent({
  name: 'dns',
  about: 'cluster DNS for cluster.local, forwarding other names upstream',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    bind: { type: 'string', arg: 'HOST:PORT', default: '0.0.0.0:53', help: 'where to serve UDP and TCP DNS (default 0.0.0.0:53)' },
    'cluster-domain': { type: 'string', arg: 'DOMAIN', default: 'cluster.local', help: "the cluster's DNS domain (default cluster.local)" },
    upstream: { type: 'string', arg: 'IP[:PORT]', help: 'resolver for other names (default: first nameserver in /etc/resolv.conf)' },
    'advertise-address': {
      type: 'string',
      arg: 'IP',
      help: "publish this server as the endpoint of Service kube-system/kube-dns\n(the node's InternalIP; omit to leave the Service alone)",
    },
    'cluster-ip': {
      type: 'string',
      arg: 'IP',
      default: DEFAULT_DNS_CLUSTER_IP,
      help: `cluster IP of the kube-dns Service (default ${DEFAULT_DNS_CLUSTER_IP})`,
    },
    'node-name': { type: 'string', arg: 'NAME', help: 'node this server runs on (names its EndpointSlice)' },
  },
  async run(values, ctx) {
    const m = /^(.*):(\d+)$/.exec(values.bind)
    if (!m) throw new Error(`--bind must be HOST:PORT, e.g. 0.0.0.0:53 (got ${values.bind})`)
    const upstream = values.upstream ?? upstreamFromResolvConf()
    if (!upstream) console.warn('dns: no upstream resolver (none in /etc/resolv.conf, no --upstream): names outside the cluster get SERVFAIL')
    const client = ctx.client(resolve(values.kubeconfig), 'kubelab-dns')
    let dns: Awaited<ReturnType<typeof startClusterDns>> | undefined
    let unregister: (() => Promise<void>) | undefined
    try {
      dns = await startClusterDns(client, {
        host: m[1]!,
        port: Number(m[2]),
        clusterDomain: values['cluster-domain'],
        upstream,
        informers: ctx.informers(client),
        log: (l) => console.log(l),
      })
      if (values['advertise-address']) {
        unregister = await registerKubeDns(client, {
          address: values['advertise-address'],
          port: dns.server.port,
          clusterIP: values['cluster-ip'],
          nodeName: values['node-name'],
        })
      }
    } catch (e) {
      await dns?.stop().catch(() => undefined)
      client.close()
      throw e
    }
    console.log(`dns: serving ${values['cluster-domain']} on ${m[1]}:${dns.server.port} (udp+tcp), upstream ${upstream ?? 'none'}`)
    return async () => {
      await Promise.resolve(unregister?.()).catch((e: unknown) => console.error(`dns: could not remove the kube-dns endpoint: ${String(e)}`))
      await dns.stop()
      client.close()
    }
  },
})
