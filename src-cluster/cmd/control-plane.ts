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
import { issueClientCert, type KeyPair } from '../kit/pki'
import { findResource, type ResourceInfo } from '../api/resources'
import type { Client } from '../client/types'

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
  // pipeline, without TLS sockets to their own process), each as its own identity, as kubeadm
  // gives every component its own client certificate: system:kube-scheduler,
  // system:kube-controller-manager, system:node:NAME in system:nodes (Node authorizer and
  // NodeRestriction apply). The admin certificate is for the CLI and tests (`client`) only.
  const clientAs = (userAgent: string, pair: KeyPair): ClosableClient =>
    createClient({
      server: apiserver.url,
      caPem: apiserver.pki.ca.certPem,
      certPem: pair.certPem,
      keyPem: pair.keyPem,
      userAgent,
      dispatch: apiserver.inProcessDispatch(pair.certPem),
    })
  const clientFor = (userAgent: string, user: string, groups: readonly string[] = []): ClosableClient =>
    clientAs(userAgent, issueClientCert(apiserver.pki.ca, user, groups))
  const clients: ClosableClient[] = []
  const client = clientAs('kubelab-control-plane', apiserver.admin)
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
      const c = clientFor(componentUserAgent('kube-controller-manager'), 'system:kube-controller-manager')
      clients.push(c)
      // The signer issues from the API server's CA, as kubeadm points --cluster-signing-* at it.
      controllerManager = await startControllerManager({ client: c, clock, options: { clusterSigningCa: apiserver.pki.ca, ...opts.controllerOptions }, log })
    }
    if (opts.scheduler !== false) {
      const c = clientFor(componentUserAgent('kube-scheduler'), 'system:kube-scheduler')
      clients.push(c)
      scheduler = await startScheduler({ client: c, clock, log })
    }
    if (opts.nodes && (opts.nodes.count > 0 || opts.nodes.controlPlaneNode || opts.controlSocket)) {
      // The fleet's shared informers (one watch for all nodes' pods, one for nodes) and the
      // control-plane node's role label (kubeadm's mark-control-plane) are no kubelet's: they
      // run as kubelab:simulated-nodes, bound to a ClusterRole for just that.
      const c = clientFor(componentUserAgent('kubelet', 'simulated-nodes'), FLEET_USER)
      clients.push(c)
      await ensureFleetRole(client, c)
      const nodeClients = new Map<string, ClosableClient>()
      const nodeClient = (name: string): ClosableClient => {
        let nc = nodeClients.get(name)
        if (!nc) {
          nc = clientFor(componentUserAgent('kubelet', name), `system:node:${name}`, ['system:nodes'])
          nodeClients.set(name, nc)
          clients.push(nc)
        }
        return nc
      }
      const hostIP = opts.nodes.hostIP ?? '127.0.0.1'
      nodes = await startSimulatedNodes({
        ...opts.nodes,
        client: c,
        nodeClient,
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

/** The identity of the hollow-node fleet's shared reads (not any one kubelet's). */
export const FLEET_USER = 'kubelab:simulated-nodes'

/**
 * The ClusterRole and binding of the fleet's shared identity: read nodes and pods (all nodes'
 * pods, through one watch) and patch nodes (the control-plane role label, kubeadm's job).
 * Created once (kept when they exist); waits until the authorizer's cache has the binding.
 */
async function ensureFleetRole(admin: Client, fleet: Client): Promise<void> {
  const rbac = { apiVersion: 'rbac.authorization.k8s.io/v1' }
  const RBAC_RES = {
    clusterroles: findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles')!,
    clusterrolebindings: findResource('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!,
  }
  const created = async (res: ResourceInfo, obj: Record<string, unknown>): Promise<void> => {
    try {
      await admin.create(res, undefined, obj as never)
    } catch (e) {
      if ((e as { code?: unknown }).code !== 409) throw e
    }
  }
  await created(RBAC_RES.clusterroles, {
    ...rbac,
    kind: 'ClusterRole',
    metadata: { name: FLEET_USER },
    rules: [
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
    ],
  })
  await created(RBAC_RES.clusterrolebindings, {
    ...rbac,
    kind: 'ClusterRoleBinding',
    metadata: { name: FLEET_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: FLEET_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: FLEET_USER }],
  })
  // The authorizer reads RBAC through a watch: a fresh binding takes a moment to count.
  for (let i = 0; ; i++) {
    try {
      await fleet.list(findResource('', 'v1', 'nodes')!, { limit: 1 })
      return
    } catch (e) {
      if ((e as { code?: unknown }).code !== 403 || i >= 200) throw e
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}
