// `kubelab-node netpol`: enforces NetworkPolicies for the pods of one node with iptables.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import { hostCommands } from '../kit/host'
import { ensureBridgeNetfilter, NetworkPolicyAgent, removeNetpolRules } from '../netpol'

const HELP = `usage: kubelab-node netpol --kubeconfig FILE --node-name NAME [flags]

  --kubeconfig FILE       how to reach and authenticate to the API server (required)
  --node-name NAME        the node whose pods this agent guards (required)
  --resync SECONDS        re-check our chains and jump positions this often (default 10)
  --cleanup               remove every KUBELAB-NP-* chain and jump, then exit`

export async function runNetpol(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      resync: { type: 'string', default: '10' },
      cleanup: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  const cmd = hostCommands()
  if (values.cleanup) {
    await removeNetpolRules(cmd)
    console.log('netpol: rules removed')
    return
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  if (!values['node-name']) throw new Error(`--node-name is required\n\n${HELP}`)
  const resyncS = Number(values.resync)
  if (!Number.isFinite(resyncS) || resyncS <= 0) throw new Error(`--resync ${JSON.stringify(values.resync)}: expected a positive number of seconds`)
  const node = values['node-name']
  const warning = await ensureBridgeNetfilter(cmd)
  if (warning) console.log(`netpol: WARNING: ${warning}`)
  const cfg = loadKubeconfig(resolve(values.kubeconfig))
  const client = createClient({ ...cfg, userAgent: `kubelab-netpol/${node}` })
  const agent = new NetworkPolicyAgent(client, { nodeName: node, resyncMs: resyncS * 1000, log: (l) => console.log(l) })
  await agent.start()
  console.log(`netpol: node ${node} enforcing NetworkPolicies from ${cfg.server}`)
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`netpol: ${sig}, removing rules and shutting down`)
      agent.stop({ cleanup: true }).then(
        () => {
          client.close()
          done()
        },
        (e: unknown) => {
          console.error(`netpol: cleanup failed: ${String(e)}; run 'kubelab-node netpol --cleanup'`)
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
