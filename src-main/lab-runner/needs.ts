// What a cluster can do, and whether a lab's needs are met. Capabilities that follow from the
// provider (real containers, SSH to nodes) come from its declared capabilities (contract/providers.ts); the ones a cluster may or may not
// have installed are read from the cluster itself, so the answer is about this cluster, not its
// kind: metrics, storage and IngressClasses from its API, RBAC by asking whether an unbound
// identity is refused, and NetworkPolicy enforcement / the ingress controller from the
// components its nodes run (netpol, ingress). Every unmet need says why and what would help.
import { capabilitiesOf } from '../contract'
import { canonicalImage, hasStandIn } from './images'
import type { Kubectl } from './kubectl'
import type { Capability, Lab } from './types'

export interface LabNode {
  /** cp, w1, w2, ... (what lab files use). */
  readonly alias: string
  /** The node's real name in the cluster. */
  readonly name: string
  readonly ip?: string
  readonly controlPlane: boolean
}

export interface ClusterFacts {
  readonly provider: string
  readonly nodes: readonly LabNode[]
  readonly workers: number
  /** Control-plane nodes (3 or more: a highly available control plane). */
  readonly controlPlanes: number
  /** Capabilities present. */
  readonly capabilities: ReadonlySet<Capability>
  /** For each missing capability: why this cluster lacks it. */
  readonly missing: Readonly<Partial<Record<Capability, string>>>
  /** Images present on every node, when the provider can tell (real runtimes). */
  readonly images?: ReadonlySet<string>
  /** The runner can load KubeLab's offline stand-ins (images.ts) onto the nodes. */
  readonly canLoadImages?: boolean
}

/** Node alias → the KubeLab components running on it (apiserver, kubelet, netpol, ingress, ...). */
export type NodeComponents = ReadonlyMap<string, ReadonlySet<string>>

export interface UnmetNeed {
  readonly need: string
  readonly why: string
}

/** Capabilities decided by the provider alone, with the reason when absent. */
export function providerCapabilities(provider: string): { have: Capability[]; missing: Partial<Record<Capability, string>> } {
  const have: Capability[] = []
  const missing: Partial<Record<Capability, string>> = {}
  const caps = capabilitiesOf(provider)
  if (caps.machines) {
    have.push('runtime', 'node-ssh')
    // QEMU nodes sit on a private L2 inside the VMs: the host reaches them only through forwards.
    if (!caps.hostReachesNodes)
      missing['host-to-node'] = `${provider} nodes are on a private network the host cannot address (only forwards on 127.0.0.1: kubelab node-port)`
    else have.push('host-to-node')
  } else {
    const what = caps.hollowNodes ? 'simulated nodes report pods Running without starting containers' : `provider ${provider} is not known to run containers`
    missing.runtime = `${what}: use a local, multipass, virtualbox or qemu cluster`
    missing['node-ssh'] = `${caps.hollowNodes ? 'simulated nodes are not machines' : `provider ${provider} has no machines`}, so there is no shell to log in to`
    missing['host-to-node'] = `${caps.hollowNodes ? 'simulated nodes' : 'these nodes'} have no network address the host can reach`
    missing.networkpolicy = `${noTraffic(provider)}, so NetworkPolicy cannot be enforced (objects are accepted, nothing is filtered)`
    missing.ingress = `${noTraffic(provider)}, so no ingress controller can serve Ingresses`
  }
  missing.etcd = "this cluster stores its state in KubeLab's embedded store, not etcd (kubelab create --store etcd)"
  return { have, missing }
}

/** Why nodes without machines carry no pod traffic. */
function noTraffic(provider: string): string {
  return capabilitiesOf(provider).hollowNodes ? 'simulated nodes carry no traffic' : `provider ${provider} runs no pod network`
}

/** Node aliases: control-plane nodes are cp (cp2, ...), workers w1..wN in name order. */
export function nodeAliases(nodes: readonly { name: string; ip?: string; controlPlane: boolean }[]): LabNode[] {
  const cps = nodes.filter((n) => n.controlPlane).sort((a, b) => a.name.localeCompare(b.name))
  const ws = nodes.filter((n) => !n.controlPlane).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
  return [...cps.map((n, i) => ({ ...n, alias: i === 0 ? 'cp' : `cp${i + 1}` })), ...ws.map((n, i) => ({ ...n, alias: `w${i + 1}` }))]
}

interface NodeList {
  items: { metadata: { name: string; labels?: Record<string, string> }; status?: { addresses?: { type: string; address: string }[] } }[]
}

/** The cluster's nodes with their lab aliases, read from the API. */
export async function readNodes(kubectl: Kubectl): Promise<LabNode[]> {
  const nodesRes = await kubectl(['get', 'nodes', '-o', 'json'])
  if (nodesRes.code !== 0) throw new Error(`cannot read the cluster's nodes: ${nodesRes.stderr.trim()}: is the cluster running? (kubelab start NAME)`)
  const list = JSON.parse(nodesRes.stdout) as NodeList
  return nodeAliases(
    list.items.map((n) => ({
      name: n.metadata.name,
      ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      controlPlane: n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined || n.metadata.name === 'control-plane',
    })),
  )
}

/** A component every node must run for a capability; the reason names the first node without it. */
function everyNodeRuns(nodes: readonly LabNode[], components: NodeComponents | undefined, component: string, what: string): string | undefined {
  if (!components) return `could not read which components the nodes run, so ${what} cannot be confirmed`
  const without = nodes.filter((n) => !components.get(n.alias)?.has(component)).map((n) => n.alias)
  if (without.length === 0) return undefined
  return `node${without.length === 1 ? '' : 's'} ${without.join(', ')} run${without.length === 1 ? 's' : ''} no ${component} component, so ${what}; recreate the cluster with a KubeLab version that installs it, or start it on the node`
}

/** Reads nodes and installed add-ons from the cluster's API (and, for machines, its nodes' components). */
export async function detectFacts(
  kubectl: Kubectl,
  provider: string,
  opts: { images?: ReadonlySet<string>; components?: NodeComponents; canLoadImages?: boolean } = {},
): Promise<ClusterFacts> {
  const nodes = await readNodes(kubectl)
  const { have, missing } = providerCapabilities(provider)
  const caps = new Set<Capability>(have)
  if (capabilitiesOf(provider).machines) {
    const np = everyNodeRuns(nodes, opts.components, 'netpol', 'NetworkPolicy is not enforced there')
    if (np) missing.networkpolicy = np
    else caps.add('networkpolicy')
    const lb = everyNodeRuns(
      nodes.filter((n) => n.controlPlane),
      opts.components,
      'lb-pool',
      'LoadBalancer Services get no address and stay <pending>',
    )
    if (lb) missing.loadbalancer = lb.replace(/runs? no lb-pool component/, 'runs the controller manager without an address pool (--lb-pool)')
    else caps.add('loadbalancer')
    // etcd: every control-plane node runs an etcd member (kubelab create --store etcd).
    const etcd = everyNodeRuns(
      nodes.filter((n) => n.controlPlane),
      opts.components,
      'etcd',
      "the cluster keeps its state in KubeLab's embedded store",
    )
    if (!etcd) caps.add('etcd')
    else if (!opts.components) missing.etcd = etcd
  } else {
    missing.loadbalancer = `${noTraffic(provider)}, so no LoadBalancer address can be served`
  }
  // An identity nothing is bound to must be refused; an API server that says yes authorizes everyone.
  const canI = await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', 'kube-system', '--as=system:serviceaccount:kube-system:kubelab-rbac-probe'])
  if (canI.stdout.trim() === 'no') caps.add('rbac')
  else
    missing.rbac =
      canI.stdout.trim() === 'yes'
        ? 'the API server authorizes every request (RBAC is not enforced): an unbound ServiceAccount may read secrets'
        : `could not ask the API server whether RBAC is enforced: ${canI.stderr.trim() || `kubectl auth can-i exited ${canI.code}`}`
  const groups = await kubectl(['api-versions'])
  if (groups.stdout.split('\n').some((l) => l.startsWith('metrics.k8s.io/'))) caps.add('metrics')
  else missing.metrics = 'the metrics.k8s.io API is not served (no metrics server)'
  const sc = await kubectl([
    'get',
    'storageclasses',
    '-o',
    'jsonpath={range .items[*]}{.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}{"\\n"}{end}',
  ])
  if (sc.code === 0 && sc.stdout.split('\n').includes('true')) caps.add('storage')
  else missing.storage = 'no default StorageClass, so claims do not bind by themselves'
  if (capabilitiesOf(provider).machines) {
    const ing = await kubectl(['get', 'ingressclasses', '-o', 'name'])
    const noController = everyNodeRuns(
      nodes.filter((n) => !n.controlPlane),
      opts.components,
      'ingress',
      'no ingress controller listens on their port 80',
    )
    if (ing.code !== 0 || ing.stdout.trim() === '') missing.ingress = 'no IngressClass: no ingress controller is installed'
    else if (noController) missing.ingress = noController
    else caps.add('ingress')
  }
  for (const c of caps) delete missing[c]
  return {
    provider,
    nodes,
    workers: nodes.filter((n) => !n.controlPlane).length,
    controlPlanes: nodes.filter((n) => n.controlPlane).length,
    capabilities: caps,
    missing,
    images: opts.images,
    canLoadImages: opts.canLoadImages,
  }
}

/** The needs of `lab` that `facts` cannot meet, each with why; empty when it can start. */
export function unmetNeeds(lab: Lab, facts: ClusterFacts): UnmetNeed[] {
  const out: UnmetNeed[] = []
  if (facts.workers < lab.needs.workers)
    out.push({
      need: `workers>=${lab.needs.workers}`,
      why: `the cluster has ${facts.workers} worker${facts.workers === 1 ? '' : 's'}; create one with --workers ${lab.needs.workers} or more`,
    })
  // (A control plane that runs on no node, as in some test harnesses, counts as one.)
  if (lab.needs.controlPlanes > 1 && facts.controlPlanes < lab.needs.controlPlanes)
    out.push({
      need: `control-planes>=${lab.needs.controlPlanes}`,
      why: `the cluster has ${facts.controlPlanes} control-plane node${facts.controlPlanes === 1 ? '' : 's'}, so there is no highly available control plane to drill; create one with kubelab create NAME --provider local --control-planes ${lab.needs.controlPlanes}`,
    })
  for (const c of lab.needs.capabilities) if (!facts.capabilities.has(c)) out.push({ need: c, why: facts.missing[c] ?? `this cluster does not provide ${c}` })
  if (facts.capabilities.has('runtime') && lab.needs.images.length > 0) {
    if (!facts.images) out.push({ need: 'images', why: `could not list the images on the nodes to confirm ${lab.needs.images.join(', ')} are loaded` })
    else {
      // Images KubeLab has offline stand-ins for are loaded by the runner when the lab starts.
      const absent = lab.needs.images.filter((i) => !hasImage(facts.images!, i) && !(facts.canLoadImages && hasStandIn(i)))
      if (absent.length)
        out.push({
          need: 'images',
          why: `not loaded on every node: ${absent.join(', ')}; load them with kubelab image load CLUSTER FILE.tar (labs run offline)`,
        })
    }
  }
  return out
}

/** nginx:1.27 matches docker.io/library/nginx:1.27 as containerd names it. */
export function hasImage(present: ReadonlySet<string>, ref: string): boolean {
  return present.has(ref) || present.has(canonicalImage(ref))
}
