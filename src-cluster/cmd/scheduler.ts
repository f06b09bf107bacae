// `kubelab-node scheduler`: the scheduler as its own process, talking to the API server with a
// kubeconfig, flags named as upstream's kube-scheduler names them.
import { resolve } from 'node:path'
import { loadKubeconfig } from '../client'
import { DEFAULT_SCHEDULER_NAME, startScheduler } from '../scheduler'
import { componentUserAgent } from '../client/user-agent'
import { runLeaderElected, type Loops } from '../leaderelection/run'
import { defineComponent } from './component'
import { KUBECONFIG_FLAG, leaderElectionFlags, leaderElectionFromFlags } from './flags'

export const scheduler = defineComponent({
  name: 'scheduler',
  about: 'binds pending pods to nodes (filters, scores, events)',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'scheduler-name': {
      type: 'string',
      arg: 'NAME',
      default: DEFAULT_SCHEDULER_NAME,
      help: `schedule pods whose spec.schedulerName is NAME (default ${DEFAULT_SCHEDULER_NAME})`,
    },
    'percentage-of-nodes-to-score': {
      type: 'string',
      arg: 'N',
      help: 'share of nodes to find feasible before scoring, 1-100\n(default: adaptive, 50% at 100 nodes falling to 5% at 5000)',
    },
    ...leaderElectionFlags('kube-scheduler'),
  },
  async run(values, ctx) {
    let percentage = 0
    if (values['percentage-of-nodes-to-score'] !== undefined) {
      percentage = Number(values['percentage-of-nodes-to-score'])
      if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) {
        throw new Error(`--percentage-of-nodes-to-score must be a whole number from 1 to 100, got ${values['percentage-of-nodes-to-score']}`)
      }
    }
    const le = leaderElectionFromFlags(values, 'kube-scheduler')
    const file = resolve(values.kubeconfig)
    const cfg = loadKubeconfig(file)
    const client = ctx.client(file, componentUserAgent('kube-scheduler'))
    const name = values['scheduler-name']
    const start = async (): Promise<Loops> => {
      const s = await startScheduler({ client, schedulerName: name, percentageOfNodesToScore: percentage, log: (l) => console.log(l) })
      console.log(`scheduler: scheduling pods with schedulerName ${name} on ${cfg.server}`)
      return s
    }
    // As upstream: only the holder of kube-system/kube-scheduler schedules; losing it exits (the
    // supervisor or systemd restarts the process; in the node agent, the agent restarts this part).
    const loops: Loops = le.enabled
      ? runLeaderElected({
          client,
          name: le.name,
          namespace: le.namespace,
          timing: le.timing,
          start,
          onLost: () => ctx.exit('scheduler: leaderelection lost'),
        })
      : await start()
    return async () => {
      await loops.stop()
      client.close()
    }
  },
})
