// `kubelab-node simulated-nodes`: hollow kubelets for N nodes in this one process.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createClient, loadKubeconfig } from '../client'
import type { Client } from '../client/types'
import { durationMs, waitForSignal, wholeNumber } from '../simulated/cli-flags'
import { startControlServer, type ControlServer } from '../simulated/control-api'
import { SimulatedNodes, type SimulatedNodesOptions } from '../simulated/fleet'
import { kubeletServingTls } from '../simulated/tls'
import type { ServingTls } from '../simulated/metrics-server'
import { componentUserAgent } from '../client/user-agent'

export const NODE_FLAGS = {
  count: { type: 'string' },
  prefix: { type: 'string' },
  'start-delay': { type: 'string' },
  'run-time': { type: 'string' },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  pods: { type: 'string' },
  control: { type: 'boolean' },
  'control-name': { type: 'string' },
  'host-ip': { type: 'string' },
  'control-socket': { type: 'string' },
  stopped: { type: 'string' },
} as const

export const NODE_FLAGS_HELP = `  --count N                 worker nodes to simulate (named PREFIX1 … PREFIXN)
  --prefix P                node name prefix (default node-)
  --control                 also register a control-plane node (role label, NoSchedule taint)
  --control-name NAME       its name (default control-plane)
  --start-delay D           binding → Running, and each init container (default 1s)
  --run-time D              how long restartPolicy Never/OnFailure pods run (default 5s)
  --cpu Q --memory Q --pods N   each node's capacity (default 4, 8Gi, 110)
  --host-ip IP              the nodes' InternalIP and metrics address (default 127.0.0.1)
  --control-socket PATH     serve the node stop/start control API here (unix socket, or a loopback port)
  --stopped NAME,...        nodes that start stopped (a failure drill kept across restarts)`

type NodeFlagValues = Partial<Record<Exclude<keyof typeof NODE_FLAGS, 'control'>, string | undefined>> & { control?: boolean }

/** SimulatedNodesOptions (without client, tls) from parsed node flags. */
export function nodeOptionsFromFlags(v: NodeFlagValues): Omit<SimulatedNodesOptions, 'client'> {
  const pods = wholeNumber('pods', v.pods, 1)
  return {
    count: wholeNumber('count', v.count) ?? 0,
    prefix: v.prefix ?? 'node-',
    controlPlaneNode: v.control ? (v['control-name'] ?? 'control-plane') : undefined,
    startDelayMs: durationMs('start-delay', v['start-delay']),
    runTimeMs: durationMs('run-time', v['run-time']),
    cpu: v.cpu,
    memory: v.memory,
    ...(pods !== undefined ? { pods } : {}),
    hostIP: v['host-ip'],
    ...(v.stopped
      ? {
          stopped: v.stopped
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
  }
}

export interface RunningNodes {
  readonly nodes: SimulatedNodes
  readonly control?: ControlServer
  stop(): Promise<void>
}

/** Starts the nodes (and the control API when a socket is given). */
export async function startSimulatedNodes(o: SimulatedNodesOptions & { controlSocket?: string }): Promise<RunningNodes> {
  const nodes = new SimulatedNodes(o)
  await nodes.start()
  const control = o.controlSocket ? await startControlServer(nodes, o.controlSocket) : undefined
  if (control) (o.log ?? console.log)(`simulated-nodes: control API on ${control.address}`)
  return {
    nodes,
    control,
    async stop() {
      await control?.close()
      await nodes.stop()
    },
  }
}

const HELP = `usage: kubelab-node simulated-nodes --kubeconfig FILE --count N [flags]

  --kubeconfig FILE         how to reach the API server (required)
${NODE_FLAGS_HELP}
  --cluster-ca-cert FILE --cluster-ca-key FILE
                            sign the metrics endpoint's certificate with the cluster CA
                            (without them no metrics are served and kubectl top has no data)`

export async function runSimulatedNodes(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'cluster-ca-cert': { type: 'string' },
      'cluster-ca-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...NODE_FLAGS,
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  const opts = nodeOptionsFromFlags(values)
  let tls: ServingTls | undefined
  if (values['cluster-ca-cert'] && values['cluster-ca-key']) {
    const ca = { certPem: readFileSync(resolve(values['cluster-ca-cert']), 'utf8'), keyPem: readFileSync(resolve(values['cluster-ca-key']), 'utf8') }
    tls = kubeletServingTls(ca, opts.hostIP ?? '127.0.0.1')
  } else console.log('simulated-nodes: no --cluster-ca-cert/--cluster-ca-key: the metrics endpoint is off')
  const client: Client & { close(): void } = createClient({
    ...loadKubeconfig(resolve(values.kubeconfig)),
    userAgent: componentUserAgent('kubelet', 'simulated-nodes'),
  })
  const running = await startSimulatedNodes({
    ...opts,
    client,
    tls,
    controlSocket: values['control-socket'] ? resolveSocket(values['control-socket']) : undefined,
  })
  const sig = await waitForSignal()
  console.log(`simulated-nodes: ${sig}, shutting down`)
  await running.stop()
  client.close()
}

/** A bare port stays a port; anything else is a socket path. */
export function resolveSocket(s: string): string {
  return /^(127\.0\.0\.1:)?\d{1,5}$/.test(s) ? s : resolve(s)
}
