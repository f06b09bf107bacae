// `kubelab-node control-plane`: API server, scheduler and controller manager (and, for a
// simulated cluster, the hollow nodes) in ONE process — the small/simulated cluster mode.
// Components still talk to each other only through the API server, exactly as when each runs
// as its own service, but over the in-process transport (no TLS to their own process).
import { resolve } from 'node:path'
import { startApiServer, type ApiServer } from '../apiserver/server'
import { createClient, type ClosableClient } from '../client'
import type { ControllerOptions } from '../controllers/framework'
import { defineComponent } from './component'
import { portNumber } from './flags'
import { startScheduler, type Scheduler } from '../scheduler'
import type { SimulatedNodesOptions } from '../simulated/fleet'
import { kubeletServingTls } from '../simulated/tls'
import { realClock, type Clock } from '../util/clock'
import { CONTROLLER_FLAGS, controllerOptionsFromFlags, startControllerManager, type RunningControllerManager } from './controller-manager'
import { NODE_FLAGS, nodeOptionsFromFlags, resolveSocket, startSimulatedNodes, type RunningNodes } from './simulated-nodes'
import { componentUserAgent } from '../client/user-agent'

export interface ControlPlaneOptions {
  readonly dataDir: string
  readonly bindAddress?: string
  /** 0 picks a free port. */
  readonly securePort?: number
  readonly adminKubeconfig?: string
  readonly extraSANs?: readonly string[]
  /** Time for every component (and the API server's timestamps); tests pass a FakeClock. */
  readonly clock?: Clock
  readonly controllerOptions?: Partial<ControllerOptions>
  /** Hollow nodes to run in this process; omitted or count 0 and no control node: none. */
  readonly nodes?: Omit<SimulatedNodesOptions, 'client' | 'clock' | 'tls' | 'log'>
  /** Serve the node stop/start control API here (unix socket path or loopback port). */
  readonly controlSocket?: string
  /** Leave a component out (a lab showing pods stay Pending without a scheduler). */
  readonly scheduler?: boolean
  readonly controllerManager?: boolean
  readonly log?: (line: string) => void
}

export interface ControlPlane {
  readonly apiserver: ApiServer
  /** An admin client for callers (tests, the CLI's waits). */
  readonly client: ClosableClient
  readonly scheduler?: Scheduler
  readonly controllerManager?: RunningControllerManager
  readonly nodes?: RunningNodes
  close(): Promise<void>
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.log ?? ((l: string) => console.log(l))
  const clock = opts.clock ?? realClock
  const apiserver = await startApiServer({
    dataDir: opts.dataDir,
    bindAddress: opts.bindAddress,
    securePort: opts.securePort ?? 0,
    adminKubeconfig: opts.adminKubeconfig,
    extraSANs: opts.extraSANs,
    // The admission default (tolerations new pods get) must match what the controllers use.
    defaultTolerationSeconds: opts.controllerOptions?.defaultTolerationSeconds,
    now: () => clock.now(),
    log,
  })
  // The components reach the API server through the in-process transport (the same request
  // pipeline, as the admin certificate's identity, without TLS sockets to their own process).
  const connect = apiserver.inProcessConnect(apiserver.admin.certPem)
  const clientFor = (userAgent: string): ClosableClient =>
    createClient({
      server: apiserver.url,
      caPem: apiserver.pki.ca.certPem,
      certPem: apiserver.admin.certPem,
      keyPem: apiserver.admin.keyPem,
      userAgent,
      connect,
    })
  const clients: ClosableClient[] = []
  const client = clientFor('kubelab-control-plane')
  clients.push(client)
  let scheduler: Scheduler | undefined
  let controllerManager: RunningControllerManager | undefined
  let nodes: RunningNodes | undefined
  const close = async (): Promise<void> => {
    await nodes?.stop()
    controllerManager?.stop()
    await scheduler?.stop()
    for (const c of clients) c.close()
    await apiserver.close()
  }
  try {
    if (opts.controllerManager !== false) {
      const c = clientFor(componentUserAgent('kube-controller-manager'))
      clients.push(c)
      // The signer issues from the API server's CA, as kubeadm points --cluster-signing-* at it.
      controllerManager = await startControllerManager({ client: c, clock, options: { clusterSigningCa: apiserver.pki.ca, ...opts.controllerOptions }, log })
    }
    if (opts.scheduler !== false) {
      const c = clientFor(componentUserAgent('kube-scheduler'))
      clients.push(c)
      scheduler = await startScheduler({ client: c, clock, log })
    }
    if (opts.nodes && (opts.nodes.count > 0 || opts.nodes.controlPlaneNode || opts.controlSocket)) {
      const c = clientFor(componentUserAgent('kubelet', 'simulated-nodes'))
      clients.push(c)
      const hostIP = opts.nodes.hostIP ?? '127.0.0.1'
      nodes = await startSimulatedNodes({
        ...opts.nodes,
        client: c,
        clock,
        log,
        tls: kubeletServingTls(apiserver.pki.ca, hostIP),
        controlSocket: opts.controlSocket,
      })
    }
  } catch (e) {
    await close().catch(() => {})
    throw e
  }
  return { apiserver, client, scheduler, controllerManager, nodes, close }
}

const { count: _count, ...NODE_FLAGS_NO_COUNT } = NODE_FLAGS

export const controlPlane = defineComponent({
  name: 'control-plane',
  about: 'apiserver + scheduler + controller-manager (+ simulated nodes) in one process',
  flags: {
    'data-dir': { type: 'string', arg: 'DIR', required: true, help: 'store, certificates and tokens live here (required)' },
    'bind-address': { type: 'string', arg: 'ADDR', help: 'API server address (default 127.0.0.1)' },
    'secure-port': { type: 'string', arg: 'PORT', default: '6443', help: 'API server HTTPS port (default 6443; 0 picks a free one)' },
    'admin-kubeconfig': { type: 'string', arg: 'FILE', help: 'write an admin kubeconfig here (mode 0600)' },
    'tls-san': { type: 'string', arg: 'NAME', multiple: true, help: 'extra name or IP for the serving certificate (repeatable)' },
    'no-scheduler': { type: 'boolean', help: 'leave the scheduler out' },
    'no-controller-manager': { type: 'boolean', help: 'leave the controller manager out' },
    'simulated-nodes': { type: 'string', arg: 'N', help: 'run N hollow worker nodes in this process' },
    ...NODE_FLAGS_NO_COUNT,
    ...CONTROLLER_FLAGS,
  },
  async run(values) {
    const port = portNumber('secure-port', values['secure-port'])
    const nodeOpts = nodeOptionsFromFlags({ ...values, count: values['simulated-nodes'] ?? '0' })
    const controllerOptions = controllerOptionsFromFlags(values)
    const cp = await startControlPlane({
      dataDir: resolve(values['data-dir']),
      bindAddress: values['bind-address'],
      securePort: port,
      adminKubeconfig: values['admin-kubeconfig'] ? resolve(values['admin-kubeconfig']) : undefined,
      extraSANs: values['tls-san'],
      scheduler: !values['no-scheduler'],
      controllerManager: !values['no-controller-manager'],
      controllerOptions,
      nodes: nodeOpts && heartbeatWithin(nodeOpts, controllerOptions.nodeMonitorGracePeriodSeconds),
      controlSocket: values['control-socket'] ? resolveSocket(values['control-socket']) : undefined,
    })
    console.log(`control-plane: running (API server ${cp.apiserver.url}, pid ${process.pid})`)
    return () => cp.close()
  },
})

/**
 * Hollow nodes must heartbeat well inside the node monitor grace period (upstream: lease renewed
 * every 10 s against 40 s); a lab that shortens the grace period gets faster heartbeats too.
 */
function heartbeatWithin<T extends { heartbeatMs?: number }>(nodes: T, graceSeconds: number | undefined): T {
  if (!graceSeconds || nodes.heartbeatMs !== undefined) return nodes
  return { ...nodes, heartbeatMs: Math.min(10_000, Math.max(250, (graceSeconds * 1000) / 4)) }
}
