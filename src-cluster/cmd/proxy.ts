// `kubelab-node proxy`: the service proxy on one node, programming iptables for Services.
import { resolve } from 'node:path'
import { parseCidr } from '../kit/ipv4'
import { ServiceProxy } from '../proxy'
import { defineComponent, requireFlags } from './component'

export const proxy = defineComponent({
  name: 'proxy',
  about: 'service proxy: iptables rules for ClusterIP, NodePort and LoadBalancer Services',
  usage: '--kubeconfig FILE --node-name NAME [flags]',
  flags: {
    kubeconfig: { type: 'string', arg: 'FILE', help: 'how to reach and authenticate to the API server (required)' },
    'node-name': { type: 'string', arg: 'NAME', help: 'the node this proxy runs on (required; used in logs)' },
    'cluster-cidr': {
      type: 'string',
      arg: 'CIDR',
      default: '10.244.0.0/16',
      help: 'the pod network; other traffic to cluster IPs is masqueraded (default 10.244.0.0/16)',
    },
    cleanup: { type: 'boolean', help: 'remove every rule and chain the proxy made, then exit' },
  },
  async run(values, ctx) {
    const clusterCIDR = parseCidr(values['cluster-cidr']).text
    if (values.cleanup) {
      const { removeProxyRules } = await import('../proxy/iptables')
      const { hostCommands } = await import('../kit/host')
      await removeProxyRules(hostCommands())
      console.log('proxy: rules removed')
      return
    }
    requireFlags(values, 'kubeconfig', 'node-name')
    const node = values['node-name']!
    const client = ctx.client(resolve(values.kubeconfig!), `kubelab-proxy/${node}`)
    const proxy = new ServiceProxy(client, { clusterCIDR, informers: ctx.informers(client), log: (l) => console.log(l) })
    await proxy.start().catch(async (e: unknown) => {
      await proxy.stop({ cleanup: false }).catch(() => undefined)
      client.close()
      throw e
    })
    console.log(`proxy: node ${node} serving Services from ${client.config.server}`)
    return async () => {
      console.log('proxy: removing rules')
      try {
        await proxy.stop({ cleanup: true })
      } catch (e) {
        throw new Error(`cleanup failed: ${String(e)}; run 'kubelab-node proxy --cleanup'`)
      }
      client.close()
    }
  },
})
