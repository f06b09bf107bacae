// `kubelab-node scheduler`: the scheduler as its own process, talking to the API server with a
// kubeconfig, flags named as upstream's kube-scheduler names them.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import { DEFAULT_SCHEDULER_NAME, startScheduler } from '../scheduler'
import { componentUserAgent } from '../client/user-agent'
import { LEADER_ELECTION_FLAGS, LEADER_ELECTION_HELP, leaderElectionFromFlags, runLeaderElected, type Loops } from '../leaderelection/run'

const HELP = `usage: kubelab-node scheduler --kubeconfig FILE [flags]

  --kubeconfig FILE                   how to reach and authenticate to the API server (required)
  --scheduler-name NAME               schedule pods whose spec.schedulerName is NAME (default ${DEFAULT_SCHEDULER_NAME})
  --percentage-of-nodes-to-score N    share of nodes to find feasible before scoring, 1-100
                                      (default: adaptive, 50% at 100 nodes falling to 5% at 5000)
${LEADER_ELECTION_HELP.replace("the component's, as upstream", 'kube-scheduler')}`

export async function runScheduler(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'scheduler-name': { type: 'string', default: DEFAULT_SCHEDULER_NAME },
      'percentage-of-nodes-to-score': { type: 'string' },
      ...LEADER_ELECTION_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  let percentage = 0
  if (values['percentage-of-nodes-to-score'] !== undefined) {
    percentage = Number(values['percentage-of-nodes-to-score'])
    if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) {
      throw new Error(`--percentage-of-nodes-to-score must be a whole number from 1 to 100, got ${values['percentage-of-nodes-to-score']}`)
    }
  }
  const le = leaderElectionFromFlags(values, 'kube-scheduler')
  const cfg = loadKubeconfig(resolve(values.kubeconfig))
  const client = createClient({ ...cfg, userAgent: componentUserAgent('kube-scheduler') })
  const name = values['scheduler-name']!
  const start = async (): Promise<Loops> => {
    const s = await startScheduler({ client, schedulerName: name, percentageOfNodesToScore: percentage, log: (l) => console.log(l) })
    console.log(`scheduler: scheduling pods with schedulerName ${name} on ${cfg.server}`)
    return s
  }
  // As upstream: only the holder of kube-system/kube-scheduler schedules; losing it exits (the supervisor or systemd restarts us).
  const scheduler: Loops = le.enabled
    ? runLeaderElected({
        client,
        name: le.name,
        namespace: le.namespace,
        timing: le.timing,
        start,
        onLost: () => {
          console.error('scheduler: leaderelection lost')
          process.exit(1)
        },
      })
    : await start()
  await new Promise<void>((done) => {
    // Keeps the process alive while it only waits (a leader-election standby's timers are
    // unref'd; without this it would end with exit code 13).
    const alive = setInterval(() => {}, 1 << 30)
    const stop = (sig: string) => {
      clearInterval(alive)
      console.log(`scheduler: ${sig}, shutting down`)
      Promise.resolve(scheduler.stop()).then(
        () => {
          client.close()
          done()
        },
        (e: unknown) => {
          console.error(`scheduler: shutdown failed: ${String(e)}`)
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
