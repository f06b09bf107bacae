// A node's NetworkPolicy plan as iptables-restore input (filter table, for --noflush: only our
// chains are touched). Layout:
//   FORWARD → KUBELAB-NP-FORWARD   pod traffic routed or bridged through this node
//   INPUT   → KUBELAB-NP-INPUT     traffic from this node's pods to the node itself (egress only)
// Both return at once for replies (conntrack ESTABLISHED,RELATED), then send traffic from an
// egress-isolated local pod to its KUBELAB-NP-E-* chain and traffic to an ingress-isolated
// local pod to its KUBELAB-NP-I-* chain. A pod chain clears the "allowed" mark bit, runs the
// chain of every policy isolating it (KUBELAB-NP-PI-* / KUBELAB-NP-PE-*, which set the bit for
// traffic they allow), drops what no policy allowed, and clears the bit again. Our chains only
// ever DROP or RETURN: what passes is then judged by the rest of the node's rules as before.
// Pure: the same plan always gives the same text, so syncs that change nothing are skipped.
import { createHash } from 'node:crypto'
import type { Allow, Direction, NodePlan } from './model'

export const FORWARD_CHAIN = 'KUBELAB-NP-FORWARD'
export const INPUT_CHAIN = 'KUBELAB-NP-INPUT'
export const BASE_CHAINS = [FORWARD_CHAIN, INPUT_CHAIN] as const
/** Chains made per pod and per policy, removed when no longer used. */
export const DYNAMIC_CHAIN = /^KUBELAB-NP-(I|E|PI|PE)-[A-Z2-7]{12}$/
/** Every chain the agent owns starts with this. */
export const CHAIN_PREFIX = 'KUBELAB-NP-'
/** The packet mark bit meaning "a policy allowed this"; the proxy uses 0x4000, so no overlap. */
export const ALLOW_MARK = '0x10000'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** A prefix and 12 base32 characters of a SHA-256: unique enough and within iptables' 28. */
function hashed(prefix: string, key: string): string {
  const h = createHash('sha256').update(key).digest()
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of h) {
    value = ((value << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5 && out.length < 12) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    if (out.length >= 12) break
  }
  return `${prefix}-${out}`
}

/** The chain judging traffic into (I) or out of (E) one pod, keyed by "namespace/name". */
export const podChain = (dir: Direction, pod: string): string => hashed(dir === 'ingress' ? 'KUBELAB-NP-I' : 'KUBELAB-NP-E', pod)
/** The chain marking what one policy allows in one direction, keyed by "namespace/name". */
export const policyChain = (dir: Direction, policy: string): string => hashed(dir === 'ingress' ? 'KUBELAB-NP-PI' : 'KUBELAB-NP-PE', policy)

const q = (s: string): string => `"${s.replace(/["\\]/g, '')}"`

/** The match part of one allowance, e.g. `-s 10.244.1.5/32 -p tcp --dport 80`. */
export function allowMatch(allow: Allow): string {
  const parts: string[] = []
  if (allow.src) parts.push(`-s ${allow.src}`)
  if (allow.dst) parts.push(`-d ${allow.dst}`)
  if (allow.protocol) {
    parts.push(`-p ${allow.protocol.toLowerCase()}`)
    if (allow.port !== undefined) parts.push(`--dport ${allow.port}${allow.endPort !== undefined ? `:${allow.endPort}` : ''}`)
  }
  return parts.join(' ')
}

export interface NetpolRulesInput {
  readonly plan: NodePlan
  /** Per-pod/per-policy chains that exist now; those not in the new ruleset are deleted. */
  readonly existingChains?: readonly string[]
}

/** The iptables-restore text for a plan. */
export function buildNetpolRules(input: NetpolRulesInput): string {
  const { plan } = input
  const chains: string[] = [...BASE_CHAINS]
  const rules: string[] = []
  const clearMark = `-j MARK --set-xmark 0x0/${ALLOW_MARK}`

  const replies = '-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "replies of allowed connections" -j RETURN'
  rules.push(`-A ${FORWARD_CHAIN} ${replies}`, `-A ${INPUT_CHAIN} ${replies}`)
  // Egress first: a packet between two isolated pods on this node must pass both checks.
  for (const p of plan.pods) {
    if (!p.egress.length) continue
    for (const ip of p.ips) {
      for (const base of BASE_CHAINS) rules.push(`-A ${base} -s ${ip}/32 -m comment --comment ${q(`${p.pod} egress`)} -j ${podChain('egress', p.pod)}`)
    }
  }
  for (const p of plan.pods) {
    if (!p.ingress.length) continue
    for (const ip of p.ips) rules.push(`-A ${FORWARD_CHAIN} -d ${ip}/32 -m comment --comment ${q(`${p.pod} ingress`)} -j ${podChain('ingress', p.pod)}`)
  }

  for (const p of plan.pods) {
    for (const dir of ['ingress', 'egress'] as const) {
      const policies = p[dir]
      if (!policies.length) continue
      const chain = podChain(dir, p.pod)
      chains.push(chain)
      // Kubelet probes and anything else the node itself sends are always let in.
      if (dir === 'ingress') rules.push(`-A ${chain} -m addrtype --src-type LOCAL -m comment --comment "from the node itself" -j RETURN`)
      rules.push(`-A ${chain} ${clearMark}`)
      for (const pol of policies) rules.push(`-A ${chain} -m comment --comment ${q(`policy ${pol}`)} -j ${policyChain(dir, pol)}`)
      rules.push(
        `-A ${chain} -m mark ! --mark ${ALLOW_MARK}/${ALLOW_MARK} -m comment --comment ${q(`${p.pod} ${dir} not allowed by any NetworkPolicy`)} -j DROP`,
      )
      rules.push(`-A ${chain} ${clearMark}`)
    }
  }

  for (const pol of plan.policies) {
    const chain = policyChain(pol.direction, pol.policy)
    chains.push(chain)
    for (const a of pol.allows) {
      const m = allowMatch(a)
      rules.push(`-A ${chain}${m ? ` ${m}` : ''} -m comment --comment ${q(pol.policy)} -j MARK --set-xmark ${ALLOW_MARK}/${ALLOW_MARK}`)
    }
  }

  const live = new Set(chains)
  const stale = [...new Set(input.existingChains ?? [])].filter((c) => DYNAMIC_CHAIN.test(c) && !live.has(c)).sort()
  return [
    '*filter',
    ...chains.map((c) => `:${c} - [0:0]`),
    // Declaring a stale chain flushes it, so nothing it references blocks the deletes below.
    ...stale.map((c) => `:${c} - [0:0]`),
    ...rules,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n')
}
