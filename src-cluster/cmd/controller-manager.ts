// `kubelab-node controller-manager`: every controller of src-cluster/controllers over shared
// informers and one API client. Flags are named as upstream's kube-controller-manager names them.
import { resolve } from 'node:path'
import type { Client } from '../client/types'
import { allControllers } from '../controllers'
import { LoadBalancerIpController } from '../controllers/core/loadbalancer-ip'
import { createControllerContext, type Controller, type ControllerOptions } from '../controllers/framework'
import { realClock, type Clock } from '../util/clock'
import { componentUserAgent } from '../client/user-agent'
import { runLeaderElected, type Loops } from '../leaderelection/run'
import { defineComponent, type FlagValues } from './component'
import { durationSeconds, KUBECONFIG_FLAG, leaderElectionFlags, leaderElectionFromFlags, wholeNumber } from './flags'

export interface ControllerManagerOptions {
  readonly client: Client
  readonly clock?: Clock
  readonly options?: Partial<ControllerOptions>
  readonly log?: (line: string) => void
  /** Run these instead of allControllers() (tests that want a subset). */
  readonly controllers?: readonly Controller[]
}

export interface RunningControllerManager {
  readonly controllers: readonly Controller[]
  stop(): void
}

/** Starts the controllers; resolves once each has started (informers listed, workers running). */
export async function startControllerManager(opts: ControllerManagerOptions): Promise<RunningControllerManager> {
  const log = opts.log ?? ((l: string) => console.log(l))
  const ctx = createControllerContext({ client: opts.client, clock: opts.clock ?? realClock, options: opts.options, log })
  const lbPool = ctx.options.loadBalancerPool
  const controllers = opts.controllers ?? [...allControllers(), ...(lbPool ? [new LoadBalancerIpController(lbPool)] : [])]
  // Informers a controller asks for after this start at once, so controllers may await their sync.
  await ctx.informers.startAll()
  const started: Controller[] = []
  try {
    await Promise.all(
      controllers.map(async (c) => {
        await c.start(ctx)
        started.push(c)
      }),
    )
  } catch (e) {
    for (const c of started) c.stop()
    ctx.informers.stopAll()
    throw e
  }
  log(`controller-manager: ${controllers.length} controllers running (${controllers.map((c) => c.name).join(', ')})`)
  return {
    controllers,
    stop() {
      for (const c of controllers) c.stop()
      ctx.informers.stopAll()
    },
  }
}

export const CONTROLLER_FLAGS = {
  'node-monitor-grace-period': { type: 'string', arg: 'D', help: 'heartbeat age after which a node is Ready=Unknown (default 40s)' },
  'node-monitor-period': { type: 'string', arg: 'D', help: 'how often node health is checked (default 5s)' },
  'node-startup-grace-period': { type: 'string', arg: 'D', help: 'grace for a node that never reported (default 60s)' },
  'default-toleration-seconds': { type: 'string', arg: 'N', help: 'tolerationSeconds of the default unreachable/not-ready tolerations (default 300)' },
  'pod-eviction-timeout': { type: 'string', arg: 'D', help: 'eviction delay for pods on unhealthy nodes (default 5m)' },
  'cluster-cidr': { type: 'string', arg: 'CIDR', help: 'pod network; each node gets a slice (default 10.244.0.0/16)' },
  'node-cidr-mask-size': { type: 'string', arg: 'N', help: "prefix length of each node's podCIDR (default 24)" },
  'concurrent-syncs': { type: 'string', arg: 'N', help: 'workers per controller (default 5)' },
  'horizontal-pod-autoscaler-sync-period': { type: 'string', arg: 'D', help: 'HPA evaluation period (default 15s)' },
  'resource-quota-sync-period': { type: 'string', arg: 'D', help: 'full recount of every ResourceQuota (default 5m)' },
  'lb-pool': { type: 'string', arg: 'CIDR', help: 'addresses for LoadBalancer Services (default: none, they stay <pending>)' },
  'cluster-signing-cert-file': { type: 'string', arg: 'FILE', help: 'CA certificate that signs approved CSRs (kubernetes.io signers)' },
  'cluster-signing-key-file': { type: 'string', arg: 'FILE', help: 'its private key (without both, CSRs are not signed)' },
  'cluster-signing-duration': { type: 'string', arg: 'D', help: 'longest certificate the CSR signer issues (default 8760h)' },
} as const

/** ControllerOptions overrides from parsed controller flags. */
export function controllerOptionsFromFlags(flagValues: Partial<FlagValues<typeof CONTROLLER_FLAGS>>): Partial<ControllerOptions> {
  const out: { -readonly [K in keyof ControllerOptions]?: ControllerOptions[K] } = {}
  const set = <K extends keyof ControllerOptions>(k: K, val: ControllerOptions[K] | undefined): void => {
    if (val !== undefined) out[k] = val
  }
  set('nodeMonitorGracePeriodSeconds', durationSeconds('node-monitor-grace-period', flagValues['node-monitor-grace-period']))
  set('nodeMonitorPeriodSeconds', durationSeconds('node-monitor-period', flagValues['node-monitor-period']))
  set('nodeStartupGracePeriodSeconds', durationSeconds('node-startup-grace-period', flagValues['node-startup-grace-period']))
  set('defaultTolerationSeconds', wholeNumber('default-toleration-seconds', flagValues['default-toleration-seconds']))
  set('podEvictionTimeoutSeconds', durationSeconds('pod-eviction-timeout', flagValues['pod-eviction-timeout']))
  set('clusterCIDR', flagValues['cluster-cidr'])
  set('nodeCIDRMaskSize', wholeNumber('node-cidr-mask-size', flagValues['node-cidr-mask-size'], 1))
  set('concurrentSyncs', wholeNumber('concurrent-syncs', flagValues['concurrent-syncs'], 1))
  set('horizontalPodAutoscalerSyncPeriodSeconds', durationSeconds('horizontal-pod-autoscaler-sync-period', flagValues['horizontal-pod-autoscaler-sync-period']))
  set('resourceQuotaSyncPeriodSeconds', durationSeconds('resource-quota-sync-period', flagValues['resource-quota-sync-period']))
  set('loadBalancerPool', flagValues['lb-pool'])
  set('clusterSigningCertFile', flagValues['cluster-signing-cert-file'])
  set('clusterSigningKeyFile', flagValues['cluster-signing-key-file'])
  set('clusterSigningDurationSeconds', durationSeconds('cluster-signing-duration', flagValues['cluster-signing-duration']))
  return out
}

export const controllerManager = defineComponent({
  name: 'controller-manager',
  about: 'every controller (workloads, nodes, namespaces, jobs, HPA, ...)',
  flags: {
    kubeconfig: { ...KUBECONFIG_FLAG, help: 'how to reach the API server (required)' },
    ...CONTROLLER_FLAGS,
    ...leaderElectionFlags('kube-controller-manager'),
  },
  async run(values, ctx) {
    const le = leaderElectionFromFlags(values, 'kube-controller-manager')
    const options = controllerOptionsFromFlags(values)
    const client = ctx.client(resolve(values.kubeconfig), componentUserAgent('kube-controller-manager'))
    const start = (): Promise<Loops> => startControllerManager({ client, options })
    // As upstream: only the holder of kube-system/kube-controller-manager runs controllers; losing
    // it exits (in the node agent: this part is started again, the process goes on).
    const cm: Loops = le.enabled
      ? runLeaderElected({
          client,
          name: le.name,
          namespace: le.namespace,
          timing: le.timing,
          start,
          onLost: () => ctx.exit('controller-manager: leaderelection lost'),
        })
      : await start()
    return async () => {
      await cm.stop()
      client.close()
    }
  },
})
