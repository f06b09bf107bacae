// `kubelab-node simulated-nodes`: hollow kubelets for N nodes in this one process.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, loadKubeconfig } from '../client'
import type { Client } from '../client/types'
import { defineComponent, type FlagValues } from './component'
import { durationMs, wholeNumber } from './flags'
import { startControlServer, type ControlServer } from '../simulated/control-api'
import { SimulatedNodes, type SimulatedNodesOptions } from '../simulated/fleet'
import { kubeletServingTls } from '../simulated/tls'
import type { ServingTls } from '../simulated/metrics-server'
import { componentUserAgent } from '../client/user-agent'

export const NODE_FLAGS = {
  count: { type: 'string', arg: 'N', help: 'worker nodes to simulate (named PREFIX1 … PREFIXN)' },
  prefix: { type: 'string', arg: 'P', help: 'node name prefix (default node-)' },
  control: { type: 'boolean', help: 'also register a control-plane node (role label, NoSchedule taint)' },
  'control-name': { type: 'string', arg: 'NAME', help: 'its name (default control-plane)' },
  'start-delay': { type: 'string', arg: 'D', help: 'binding → Running, and each init container (default 1s)' },
  'run-time': { type: 'string', arg: 'D', help: 'how long restartPolicy Never/OnFailure pods run (default 5s)' },
  cpu: { type: 'string', arg: 'Q', help: "each node's CPU capacity (default 4)" },
  memory: { type: 'string', arg: 'Q', help: "each node's memory capacity (default 8Gi)" },
  pods: { type: 'string', arg: 'N', help: "each node's pod capacity (default 110)" },
  'host-ip': { type: 'string', arg: 'IP', help: "the nodes' InternalIP and metrics address (default 127.0.0.1)" },
  'control-socket': { type: 'string', arg: 'PATH', help: 'serve the node stop/start control API here (unix socket, or a loopback port)' },
  stopped: { type: 'string', arg: 'NAME,...', help: 'nodes that start stopped (a failure drill kept across restarts)' },
} as const

type NodeFlagValues = Partial<FlagValues<typeof NODE_FLAGS>>

/** SimulatedNodesOptions (without client, tls) from parsed node flags. */
export function nodeOptionsFromFlags(nodeFlagValues: NodeFlagValues): Omit<SimulatedNodesOptions, 'client'> {
  const pods = wholeNumber('pods', nodeFlagValues.pods, 1)
  return {
    count: wholeNumber('count', nodeFlagValues.count) ?? 0,
    prefix: nodeFlagValues.prefix ?? 'node-',
    controlPlaneNode: nodeFlagValues.control ? (nodeFlagValues['control-name'] ?? 'control-plane') : undefined,
    startDelayMs: durationMs('start-delay', nodeFlagValues['start-delay']),
    runTimeMs: durationMs('run-time', nodeFlagValues['run-time']),
    cpu: nodeFlagValues.cpu,
    memory: nodeFlagValues.memory,
    ...(pods !== undefined ? { pods } : {}),
    hostIP: nodeFlagValues['host-ip'],
    ...(nodeFlagValues.stopped
      ? {
          stopped: nodeFlagValues.stopped
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
export async function startSimulatedNodes(opts: SimulatedNodesOptions & { controlSocket?: string }): Promise<RunningNodes> {
  const nodes = new SimulatedNodes(opts)
  await nodes.start()
  const control = opts.controlSocket ? await startControlServer(nodes, opts.controlSocket) : undefined
  if (control) (opts.log ?? console.log)(`simulated-nodes: control API on ${control.address}`)
  return {
    nodes,
    control,
    async stop() {
      await control?.close()
      await nodes.stop()
    },
  }
}

export const simulatedNodes = defineComponent({
  name: 'simulated-nodes',
  about: 'hollow kubelets: many simulated nodes in one process',
  usage: '--kubeconfig FILE --count N [flags]',
  flags: {
    kubeconfig: { type: 'string', arg: 'FILE', required: true, help: 'how to reach the API server (required)' },
    ...NODE_FLAGS,
    'cluster-ca-cert': {
      type: 'string',
      arg: 'FILE',
      help: "with --cluster-ca-key: sign the metrics endpoint's certificate with the cluster CA\n(without them no metrics are served and kubectl top has no data)",
    },
    'cluster-ca-key': { type: 'string', arg: 'FILE', help: "the cluster CA's key" },
  },
  async run(values) {
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
    return async () => {
      await running.stop()
      client.close()
    }
  },
})

/** A bare port stays a port; anything else is a socket path. */
export function resolveSocket(text: string): string {
  return /^(127\.0\.0\.1:)?\d{1,5}$/.test(text) ? text : resolve(text)
}
