// The SSH path of cluster creation, for every provider with machines (local now, VMs next):
// start the machines, make the cluster's SSH key and PKI, build the node bundle, provision the
// master then the workers over SSH (steps streamed as events), and write the admin kubeconfig.
import { dirname, join } from 'node:path'
import { kubeconfigYaml, writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { buildNodeBundle } from '../../provisioning/bundle'
import type { Provider, ProviderContext } from '../providers/types'
import { buildStandardImages } from '../ssh-provisioning/images'
import { ensureClusterSshKey } from '../ssh-provisioning/keys'
import { API_SERVER_PORT, ensureClusterPki } from '../ssh-provisioning/pki'
import { ensureNodeRuntime, type NodeArch } from '../ssh-provisioning/node-runtime'
import { ensureNodeKubectl } from '../ssh-provisioning/node-kubectl'
import { provisionNode } from '../ssh-provisioning/provision'
import { NODE_API_LB_PORT } from '../ssh-provisioning/node-plan'
import { loginFor } from '../ssh-provisioning/ssh'
import { StepRunner, type StepEvent } from '../ssh-provisioning/steps'

export interface ProvisionClusterOptions {
  readonly provider: Provider
  readonly ctx: ProviderContext
  readonly onEvent: (e: StepEvent) => void
  readonly cancelled?: () => string | undefined
}

/** Returns the step timings (for the create benchmark). */
export async function provisionCluster(opts: ProvisionClusterOptions): Promise<StepRunner['timings']> {
  const { provider, ctx } = opts
  const runner = new StepRunner({ logDir: join(ctx.clusterDir, 'logs'), onEvent: opts.onEvent, cancelled: opts.cancelled })
  ensureClusterSshKey(ctx.clusterDir, `kubelab-${ctx.clusterName}`)
  const masters = ctx.nodes.filter((n) => n.role === 'control-plane')
  const master = masters[0]
  if (!master) throw new Error(`cluster ${ctx.clusterName} has no control-plane node in cluster.json`)
  if (masters.length > 1 && !provider.haApiEndpoint)
    throw new Error(
      `provider ${provider.name} cannot run several control-plane nodes yet (it has no stable API endpoint to put in front of them): use --provider local, or --control-planes 1`,
    )
  if (provider.startsNodesTogether) await Promise.all(ctx.nodes.map((n) => runner.run('start machine', n.name, () => provider.start(ctx, n))))
  else for (const n of ctx.nodes) await runner.run('start machine', n.name, () => provider.start(ctx, n))
  const ips = new Map<string, string>()
  for (const n of ctx.nodes) {
    const ip = await provider.address(ctx, n)
    if (!ip) throw new Error(`provider ${provider.name} gave node ${n.name} no address: check it with kubelab list and run create again`)
    ips.set(n.name, ip)
  }
  const masterIp = ips.get(master.name)!
  // Several control planes: one stable endpoint (the provider's load balancer) for every
  // kubelet, proxy and the host; each API server's certificate names it and every control plane.
  const ha = masters.length > 1 ? await provider.haApiEndpoint?.(ctx) : undefined
  if (masters.length > 1 && !ha)
    throw new Error(`provider ${provider.name} gave cluster ${ctx.clusterName} no API endpoint for its ${masters.length} control-plane nodes`)
  const controlPlanes = masters.map((n) => ({ name: n.name, role: n.role, ip: ips.get(n.name)! }))
  const apiSans = ha ? [...new Set([...controlPlanes.map((n) => n.ip), ha.host, ...(provider.nodeApiLb ? ['127.0.0.1'] : [])])] : []
  const pki = await runner.run('certificates', undefined, async () =>
    ensureClusterPki(
      ctx.clusterDir,
      ctx.clusterName,
      masterIp,
      ctx.nodes.map((n) => ({ name: n.name, ip: ips.get(n.name)! })),
      apiSans,
    ),
  )
  const bundle = await runner.run('bundle', undefined, async (c) => {
    const b = await buildNodeBundle()
    c.line(`kubelab-node.js ${(b.bytes / 1024 / 1024).toFixed(1)} MiB; components: ${b.components.join(', ')}`)
    return b
  })
  const images = await runner.run('images', undefined, async (c) => {
    const list = await buildStandardImages(join(ctx.clusterDir, 'images'))
    c.line(list.map((x) => x.name).join(', '))
    return list
  })
  // VMs get the host's copy of the Linux Node.js runtime: fetched (or taken from the cache or
  // KUBELAB_NODE_RUNTIME) once per architecture, however many nodes ask at once.
  const home = dirname(dirname(ctx.clusterDir))
  const nodeRuntime = provider.shipsNodeRuntime ? oncePerArch((arch, progress) => ensureNodeRuntime({ home, arch, progress })) : undefined
  const nodeKubectl = provider.shipsNodeRuntime ? oncePerArch((arch, progress) => ensureNodeKubectl({ home, arch, progress })) : undefined
  // What kubectl inside the cluster uses (admin.conf on the control plane, lab scripts on any
  // node): the master's own address, which the API server's certificate names.
  const admin = {
    caPem: pki.ca.certPem,
    user: 'kubernetes-admin',
    certPem: pki.admin.certPem,
    keyPem: pki.admin.keyPem,
    clusterName: `kubelab-${ctx.clusterName}`,
  }
  // VM providers: the nodes cannot reach the host's endpoint; each runs its own balancer on
  // 127.0.0.1 (kubelab-api-lb), which its agents and admin.conf use.
  const nodeLb = ha && provider.nodeApiLb ? { host: '127.0.0.1', port: NODE_API_LB_PORT } : undefined
  const nodesSee = nodeLb ?? ha
  const inCluster = { ...admin, server: nodesSee ? `https://${nodesSee.host}:${nodesSee.port}` : `https://${masterIp}:${API_SERVER_PORT}` }
  writeKubeconfig(nodeKubeconfigPath(ctx.clusterDir), inCluster)
  const nodeAdminKubeconfig = kubeconfigYaml(inCluster)
  const one = async (name: string, beforeInstall?: () => Promise<void>): Promise<void> => {
    const n = ctx.nodes.find((x) => x.name === name)!
    const t = await provider.sshTarget(ctx, n)
    if (!t) throw new Error(`provider ${provider.name} gives node ${name} no SSH access`)
    await provisionNode({
      cluster: ctx.clusterName,
      node: { name, role: n.role, ip: ips.get(name)! },
      masterIp,
      loadBalancerPool: provider.loadBalancerPool?.(ctx),
      store: ctx.settings.store === 'etcd' ? 'etcd' : 'embedded',
      ...(nodesSee ? { controlPlanes, apiEndpoint: `${nodesSee.host}:${nodesSee.port}`, apiSans, ...(nodeLb ? { nodeApiLb: true } : {}) } : {}),
      login: loginFor(t),
      bundle,
      pki,
      runner,
      images,
      ...(nodeRuntime ? { nodeRuntime } : {}),
      ...(nodeKubectl ? { nodeKubectl, nodeAdminKubeconfig } : {}),
      ...(beforeInstall ? { beforeInstall } : {}),
      timeoutScale: provider.timeoutScale?.(ctx) ?? 1,
    })
  }
  // Every node uploads at once; a worker installs (starts its kubelet) once the control plane
  // is installed, as its kubelet needs the API server. Control-plane nodes install together:
  // their etcd members form one cluster only once a quorum of them runs.
  const mastersDone = Promise.all(masters.map((n) => one(n.name)))
  const workers = ctx.nodes.filter((n) => n.role !== 'control-plane').map((n) => one(n.name, () => mastersDone.then(() => {})))
  await Promise.all([mastersDone, ...workers])
  // The host may reach the API server through a forward rather than at the master's address.
  const api = ha ?? (await provider.apiServerEndpoint?.(ctx)) ?? { host: masterIp, port: API_SERVER_PORT }
  writeKubeconfig(join(ctx.clusterDir, 'kubeconfig'), { ...admin, server: `https://${api.host}:${api.port}` })
  // Every node was provisioned at the address it has now: a change noted at start is settled.
  provider.acknowledgeAddressChanges?.(ctx)
  return runner.timings
}

/** The admin kubeconfig as the nodes see the API server (the host's may go through a forward). */
export function nodeKubeconfigPath(clusterDir: string): string {
  return join(clusterDir, 'kubeconfig.in-cluster')
}

/**
 * One fetch per architecture however many nodes ask at once (a failed one may be retried):
 * what VMs get from the host, the Node.js runtime and kubectl.
 */
function oncePerArch<T>(
  get: (arch: NodeArch, progress: (line: string) => void) => Promise<T>,
): (arch: NodeArch, progress: (line: string) => void) => Promise<T> {
  const byArch = new Map<NodeArch, Promise<T>>()
  return (arch, progress) => {
    let p = byArch.get(arch)
    if (!p) {
      p = get(arch, progress)
      p.catch(() => byArch.delete(arch))
      byArch.set(arch, p)
    }
    return p
  }
}
