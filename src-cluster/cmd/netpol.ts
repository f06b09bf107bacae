// `kubelab-node netpol`: enforces NetworkPolicies for the pods of one node with iptables.
import { resolve } from 'node:path'
import { hostCommands } from '../kit/host'
import { ensureBridgeNetfilter, NetworkPolicyAgent, removeNetpolRules } from '../netpol'
import { defineComponent, requireFlags } from './component'

export const netpol = defineComponent({
  name: 'netpol',
  about: "NetworkPolicy enforcement for this node's pods (iptables)",
  usage: '--kubeconfig FILE --node-name NAME [flags]',
  flags: {
    kubeconfig: { type: 'string', arg: 'FILE', help: 'how to reach and authenticate to the API server (required)' },
    'node-name': { type: 'string', arg: 'NAME', help: 'the node whose pods this agent guards (required)' },
    resync: { type: 'string', arg: 'SECONDS', default: '10', help: 're-check our chains and jump positions this often (default 10)' },
    cleanup: { type: 'boolean', help: 'remove every KUBELAB-NP-* chain and jump, then exit' },
  },
  async run(values, ctx) {
    const cmd = hostCommands()
    if (values.cleanup) {
      await removeNetpolRules(cmd)
      console.log('netpol: rules removed')
      return
    }
    requireFlags(values, 'kubeconfig', 'node-name')
    const resyncS = Number(values.resync)
    if (!Number.isFinite(resyncS) || resyncS <= 0) throw new Error(`--resync ${JSON.stringify(values.resync)}: expected a positive number of seconds`)
    const node = values['node-name']!
    const warning = await ensureBridgeNetfilter(cmd)
    if (warning) console.log(`netpol: WARNING: ${warning}`)
    const client = ctx.client(resolve(values.kubeconfig!), `kubelab-netpol/${node}`)
    const agent = new NetworkPolicyAgent(client, { nodeName: node, resyncMs: resyncS * 1000, informers: ctx.informers(client), log: (l) => console.log(l) })
    await agent.start().catch(async (e: unknown) => {
      await agent.stop({ cleanup: false }).catch(() => undefined)
      client.close()
      throw e
    })
    console.log(`netpol: node ${node} enforcing NetworkPolicies from ${client.config.server}`)
    return async () => {
      console.log('netpol: removing rules')
      try {
        await agent.stop({ cleanup: true })
      } catch (e) {
        throw new Error(`cleanup failed: ${String(e)}; run 'kubelab-node netpol --cleanup'`)
      }
      client.close()
    }
  },
})
