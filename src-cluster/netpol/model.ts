// From NetworkPolicies, Pods and Namespaces to what one node enforces: which of its pods are
// isolated in which direction by which policies, and for each policy and direction the flat
// list of traffic it allows (source/destination range, protocol, port range). Pure: the same
// objects always give the same plan, so the whole of upstream's semantics is unit-testable.
//
// Semantics (networking.k8s.io/v1): a pod selected by a policy whose policyTypes include a
// direction is isolated in that direction; what passes is the union of the rules of every such
// policy. policyTypes defaults to Ingress, plus Egress when egress rules exist. A rule with no
// peers allows any peer, with no ports any port. Peers: podSelector (policy's namespace),
// namespaceSelector (all pods of matching namespaces), both (matching pods in matching
// namespaces), ipBlock (a range minus its exceptions). Named ports resolve against the pod
// that receives the traffic: the selected pod for ingress, the destination pod for egress.
import type { NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1'
import { labelSelectorFromObject, matchLabels, NOTHING, type LabelSelector, type LabelSelectorObject } from '../api/selectors'
import { inIpBlock, isIPv4Cidr, subtractCidrs } from './cidr'
import type { Protocol } from './types'
import type { NamespaceObj, NetworkPolicyObj, PodObj } from '../kit/objects'

export type Direction = 'ingress' | 'egress'

/** One kind of traffic a policy allows; every field left out matches anything. */
export interface Allow {
  /** Source range (ingress peers), e.g. 10.244.1.5/32. */
  readonly src?: string
  /** Destination range (egress peers; named ports pin the destination pod). */
  readonly dst?: string
  readonly protocol?: Protocol
  readonly port?: number
  /** Last port of a range starting at `port`. */
  readonly endPort?: number
}

/** A policy's allowances in one direction, for the pods of this node it selects. */
export interface PolicyPlan {
  /** "namespace/name". */
  readonly policy: string
  readonly direction: Direction
  /** Empty: the policy isolates its pods in this direction and allows nothing. */
  readonly allows: readonly Allow[]
}

/** A pod on this node that at least one policy isolates. */
export interface IsolatedPod {
  /** "namespace/name". */
  readonly pod: string
  readonly ips: readonly string[]
  /** Policies ("namespace/name") isolating it for ingress; empty when not isolated. */
  readonly ingress: readonly string[]
  readonly egress: readonly string[]
}

export interface NodePlan {
  readonly pods: readonly IsolatedPod[]
  readonly policies: readonly PolicyPlan[]
  /** Policies or selectors that could not be used, each said once (for the log). */
  readonly problems: readonly string[]
}

export interface PlanInput {
  readonly nodeName: string
  readonly policies: readonly NetworkPolicyObj[]
  readonly pods: readonly PodObj[]
  readonly namespaces: readonly NamespaceObj[]
}

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP']
const keyOf = (o: { metadata?: { namespace?: string; name?: string } }): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function isIPv4(s: string | undefined): s is string {
  return !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s)
}

/** The pod's IPv4 addresses while it has a network of its own that can send or receive. */
export function podIPs(pod: PodObj): string[] {
  if (pod.spec?.hostNetwork) return [] // its address is the node's: policies do not apply
  const phase = pod.status?.phase
  if (phase === 'Succeeded' || phase === 'Failed') return []
  const ips = (pod.status?.podIPs ?? []).map((x) => x.ip).filter(isIPv4)
  if (!ips.length && isIPv4(pod.status?.podIP)) ips.push(pod.status!.podIP!)
  return [...new Set(ips)]
}

/** policyTypes as upstream defaults them: Ingress always, Egress when egress rules exist. */
export function policyTypes(np: NetworkPolicyObj): Direction[] {
  const types = np.spec?.policyTypes
  if (types && types.length) return (['ingress', 'egress'] as const).filter((d) => types.some((t) => t.toLowerCase() === d))
  return np.spec?.egress?.length ? ['ingress', 'egress'] : ['ingress']
}

interface PodInfo {
  readonly key: string
  readonly namespace: string
  readonly labels: Record<string, string>
  readonly ips: readonly string[]
  readonly pod: PodObj
}

/** The container port named `name` with `protocol`, as upstream resolves named ports. */
export function namedPort(pod: PodObj, name: string, protocol: Protocol): number | undefined {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const cp of c.ports ?? []) if (cp.name === name && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort
  }
  return undefined
}

class Planner {
  readonly problems = new Set<string>()
  private readonly nsLabels = new Map<string, Record<string, string>>()
  readonly pods: PodInfo[]

  constructor(input: PlanInput) {
    for (const ns of input.namespaces) if (ns.metadata?.name) this.nsLabels.set(ns.metadata.name, ns.metadata.labels ?? {})
    this.pods = input.pods
      .map((pod) => ({ key: keyOf(pod), namespace: pod.metadata?.namespace ?? '', labels: pod.metadata?.labels ?? {}, ips: podIPs(pod), pod }))
      .filter((p) => p.ips.length > 0)
  }

  selector(sel: LabelSelectorObject | undefined, what: string): LabelSelector {
    try {
      return labelSelectorFromObject(sel ?? {})
    } catch (e) {
      this.problems.add(`${what}: ${(e as Error).message}; it matches nothing`)
      return NOTHING
    }
  }

  namespaceLabels(ns: string): Record<string, string> {
    // Until the namespace is seen, its name label (set on every namespace) still matches.
    return this.nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns }
  }

  /** Pods a podSelector/namespaceSelector peer names; undefined for an ipBlock peer. */
  peerPods(peer: NetworkPolicyPeer, policyNs: string, what: string): PodInfo[] | undefined {
    if (!peer.podSelector && !peer.namespaceSelector) return undefined
    const podSel = peer.podSelector ? this.selector(peer.podSelector as LabelSelectorObject, `${what} podSelector`) : undefined
    const nsSel = peer.namespaceSelector ? this.selector(peer.namespaceSelector as LabelSelectorObject, `${what} namespaceSelector`) : undefined
    return this.pods.filter((p) => {
      if (nsSel ? !matchLabels(nsSel, this.namespaceLabels(p.namespace)) : p.namespace !== policyNs) return false
      return podSel ? matchLabels(podSel, p.labels) : true
    })
  }

  /** Ranges (CIDR text) a list of peers covers; undefined = any peer (the list is empty). */
  peerRanges(peers: readonly NetworkPolicyPeer[] | undefined, policyNs: string, what: string): string[] | undefined {
    if (!peers || peers.length === 0) return undefined
    const out = new Set<string>()
    peers.forEach((peer, i) => {
      const w = `${what}[${i}]`
      const pods = this.peerPods(peer, policyNs, w)
      if (pods) for (const p of pods) for (const ip of p.ips) out.add(`${ip}/32`)
      else if (peer.ipBlock) for (const r of this.blockRanges(peer, w)) out.add(r)
      else this.problems.add(`${w}: a peer needs podSelector, namespaceSelector or ipBlock; it matches nothing`)
    })
    return [...out].sort(byText)
  }

  blockRanges(peer: NetworkPolicyPeer, what: string): string[] {
    const b = peer.ipBlock!
    if (!isIPv4Cidr(b.cidr)) return [] // IPv6 ranges cannot reach an IPv4-only pod network
    try {
      return subtractCidrs(b.cidr, (b.except ?? []).filter(isIPv4Cidr))
    } catch (e) {
      this.problems.add(`${what} ipBlock: ${(e as Error).message}; it matches nothing`)
      return []
    }
  }

  /** Pods (with IPs) the peers of an egress rule name: destinations for named ports. */
  peerPodsForNamedPorts(peers: readonly NetworkPolicyPeer[] | undefined, policyNs: string, what: string): PodInfo[] {
    if (!peers || peers.length === 0) return this.pods
    const out = new Map<string, PodInfo>()
    peers.forEach((peer, i) => {
      const pods = this.peerPods(peer, policyNs, `${what}[${i}]`)
      if (pods) for (const p of pods) out.set(p.key, p)
      else if (peer.ipBlock && isIPv4Cidr(peer.ipBlock.cidr)) {
        const ex = (peer.ipBlock.except ?? []).filter(isIPv4Cidr)
        for (const p of this.pods) if (p.ips.some((ip) => inIpBlock(ip, peer.ipBlock!.cidr, ex))) out.set(p.key, p)
      }
    })
    return [...out.values()]
  }

  /**
   * One rule's allowances. `ranges`: the peers' ranges (undefined = any); `namedTargets`: the
   * pods whose port names resolve a named port (their IPs become the destination).
   */
  ruleAllows(
    dir: Direction,
    ports: readonly NetworkPolicyPort[] | undefined,
    ranges: string[] | undefined,
    namedTargets: () => PodInfo[],
    what: string,
  ): Allow[] {
    const peerField = dir === 'ingress' ? 'src' : 'dst'
    const peerList: (string | undefined)[] = ranges ?? [undefined]
    const withPeer = (a: Allow, r: string | undefined): Allow => (r === undefined ? a : { ...a, [peerField]: r })
    if (!ports || ports.length === 0) return peerList.map((r) => withPeer({}, r))
    const out: Allow[] = []
    ports.forEach((p, i) => {
      const protocol = (p.protocol ?? 'TCP') as Protocol
      if (!PROTOCOLS.includes(protocol)) {
        this.problems.add(`${what}.ports[${i}]: protocol ${JSON.stringify(p.protocol)} is not TCP, UDP or SCTP; the port is skipped`)
        return
      }
      if (p.port === undefined || p.port === null) {
        for (const r of peerList) out.push(withPeer({ protocol }, r))
        return
      }
      if (typeof p.port === 'number') {
        const endPort = typeof p.endPort === 'number' && p.endPort > p.port ? p.endPort : undefined
        for (const r of peerList) out.push(withPeer({ protocol, port: p.port, ...(endPort ? { endPort } : {}) }, r))
        return
      }
      // Named: one allowance per pod that has a port of that name, pinned to that pod's IP.
      const name = p.port
      for (const t of namedTargets()) {
        const num = namedPort(t.pod, name, protocol)
        if (num === undefined) continue
        for (const ip of t.ips) {
          const pinned: Allow = { dst: `${ip}/32`, protocol, port: num }
          if (dir === 'egress')
            out.push(pinned) // targets already are the rule's peers
          else for (const r of peerList) out.push(withPeer(pinned, r))
        }
      }
    })
    return out
  }
}

const allowKey = (a: Allow): string => [a.src ?? '', a.dst ?? '', a.protocol ?? '', a.port ?? '', a.endPort ?? ''].join('|')

function dedupe(allows: Allow[]): Allow[] {
  const seen = new Map<string, Allow>()
  for (const a of allows) if (!seen.has(allowKey(a))) seen.set(allowKey(a), a)
  return [...seen.values()]
}

/** What this node enforces, in a stable order. */
export function planNode(input: PlanInput): NodePlan {
  const pl = new Planner(input)
  const local = pl.pods.filter((p) => p.pod.spec?.nodeName === input.nodeName)
  const isolating = new Map<string, { ingress: string[]; egress: string[] }>()
  const policies: PolicyPlan[] = []
  const sorted = [...input.policies].sort((a, b) => byText(keyOf(a), keyOf(b)))
  for (const np of sorted) {
    if (np.metadata?.deletionTimestamp) continue
    const key = keyOf(np)
    const ns = np.metadata?.namespace ?? ''
    const sel = pl.selector(np.spec?.podSelector as LabelSelectorObject | undefined, `NetworkPolicy ${key} spec.podSelector`)
    const selected = local.filter((p) => p.namespace === ns && matchLabels(sel, p.labels))
    if (!selected.length) continue
    for (const dir of policyTypes(np)) {
      const allows: Allow[] = []
      if (dir === 'ingress') {
        ;(np.spec?.ingress ?? []).forEach((r, i) => {
          const what = `NetworkPolicy ${key} spec.ingress[${i}]`
          const ranges = pl.peerRanges(r.from, ns, `${what}.from`)
          allows.push(...pl.ruleAllows('ingress', r.ports, ranges, () => selected, what))
        })
      } else {
        ;(np.spec?.egress ?? []).forEach((r, i) => {
          const what = `NetworkPolicy ${key} spec.egress[${i}]`
          const ranges = pl.peerRanges(r.to, ns, `${what}.to`)
          allows.push(...pl.ruleAllows('egress', r.ports, ranges, () => pl.peerPodsForNamedPorts(r.to, ns, `${what}.to`), what))
        })
      }
      policies.push({ policy: key, direction: dir, allows: dedupe(allows) })
      for (const p of selected) {
        let e = isolating.get(p.key)
        if (!e) isolating.set(p.key, (e = { ingress: [], egress: [] }))
        e[dir].push(key)
      }
    }
  }
  const pods: IsolatedPod[] = local
    .filter((p) => isolating.has(p.key))
    .sort((a, b) => byText(a.key, b.key))
    .map((p) => ({ pod: p.key, ips: [...p.ips], ...isolating.get(p.key)! }))
  return { pods, policies, problems: [...pl.problems] }
}
