// The proxy's whole ruleset as iptables-restore input, in the shape of kube-proxy's iptables
// mode: nat KUBE-SERVICES matches service frontends and jumps to KUBE-SVC-* (load balancing with
// statistic-random rules, ClientIP affinity with `recent`), KUBE-SEP-* DNATs to one endpoint,
// KUBE-NODEPORTS and KUBE-EXT-* handle traffic from outside (always masqueraded so replies come
// back through this node); filter rejects frontends without endpoints. Pure: the same input
// always gives the same text, so it can be unit-tested and compared to skip no-op syncs.
import { createHash } from 'node:crypto'
import type { ServicePortInfo } from './model'
import type { Endpoint } from '../kit/endpoints'

export const MASQ_MARK = '0x4000'

/** Our chains that live as long as the proxy (created once, rewritten every sync). */
export const NAT_BASE_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'] as const
export const FILTER_BASE_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD'] as const

/** Per-service chains are recognised by these prefixes (and removed when no longer used). */
export const DYNAMIC_CHAIN = /^KUBE-(SVC|SEP|EXT)-[A-Z2-7]{16}$/

export interface RulesInput {
  readonly ports: readonly ServicePortInfo[]
  /** The cluster's pod network: traffic to a cluster IP from outside it is masqueraded. */
  readonly clusterCIDR?: string
  /** Per-service nat chains that exist now; those not in the new ruleset are deleted. */
  readonly existingNatChains?: readonly string[]
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** kube-proxy's naming idea: a prefix and 16 base32 characters of a SHA-256 (fits iptables' 28). */
export function chainName(prefix: 'KUBE-SVC' | 'KUBE-SEP' | 'KUBE-EXT', ...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('')).digest()
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of h) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    if (out.length >= 16) break
  }
  return `${prefix}-${out}`
}

export const svcChain = (servicePortInfo: ServicePortInfo): string => chainName('KUBE-SVC', servicePortInfo.name, servicePortInfo.protocol.toLowerCase())
export const extChain = (servicePortInfo: ServicePortInfo): string => chainName('KUBE-EXT', servicePortInfo.name, servicePortInfo.protocol.toLowerCase())
export const sepChain = (servicePortInfo: ServicePortInfo, endpoint: Endpoint): string =>
  chainName('KUBE-SEP', servicePortInfo.name, servicePortInfo.protocol.toLowerCase(), `${endpoint.ip}:${endpoint.port}`)

const q = (s: string): string => `"${s.replace(/"/g, '')}"`

/** The iptables-restore text (use with --noflush: only our chains are touched). */
export function buildProxyRules(input: RulesInput): string {
  const natChains: string[] = [...NAT_BASE_CHAINS]
  const nat: string[] = []
  const filter: string[] = []
  const nodePortRules: string[] = []

  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`)
  // Clear the mark so a packet re-entering the stack (e.g. through a tunnel) is not SNATed twice.
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`)
  nat.push(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`)
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`)

  filter.push(`-A KUBE-FORWARD -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -m comment --comment "kubernetes forwarding rules" -j ACCEPT`)
  filter.push(`-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "kubernetes forwarding conntrack rule" -j ACCEPT`)

  for (const p of input.ports) {
    const proto = p.protocol.toLowerCase()
    const svc = svcChain(p)
    const ext = extChain(p)
    const hasEndpoints = p.endpoints.length > 0
    const external = p.nodePort !== undefined || p.loadBalancerIPs.length > 0 || p.externalIPs.length > 0

    if (!hasEndpoints) {
      // Refuse at once (ICMP) instead of letting clients time out.
      const why = q(`${p.name} has no endpoints`)
      if (p.clusterIP) filter.push(`-A KUBE-SERVICES -m comment --comment ${why} -d ${p.clusterIP}/32 -p ${proto} --dport ${p.port} -j REJECT`)
      for (const ip of [...p.loadBalancerIPs, ...p.externalIPs])
        filter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} -d ${ip}/32 -p ${proto} --dport ${p.port} -j REJECT`)
      if (p.nodePort !== undefined)
        filter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} -m addrtype --dst-type LOCAL -p ${proto} --dport ${p.nodePort} -j REJECT`)
      continue
    }

    natChains.push(svc)
    if (p.clusterIP) {
      nat.push(`-A KUBE-SERVICES -m comment --comment ${q(`${p.name} cluster IP`)} -d ${p.clusterIP}/32 -p ${proto} --dport ${p.port} -j ${svc}`)
      if (input.clusterCIDR)
        nat.push(
          `-A ${svc} -m comment --comment ${q(`${p.name} cluster IP`)} ! -s ${input.clusterCIDR} -d ${p.clusterIP}/32 -p ${proto} --dport ${p.port} -j KUBE-MARK-MASQ`,
        )
    }
    if (external) {
      natChains.push(ext)
      nat.push(`-A ${ext} -m comment --comment ${q(`masquerade traffic for ${p.name} external destinations`)} -j KUBE-MARK-MASQ`)
      nat.push(`-A ${ext} -j ${svc}`)
      for (const ip of p.loadBalancerIPs)
        nat.push(`-A KUBE-SERVICES -m comment --comment ${q(`${p.name} loadbalancer IP`)} -d ${ip}/32 -p ${proto} --dport ${p.port} -j ${ext}`)
      for (const ip of p.externalIPs)
        nat.push(`-A KUBE-SERVICES -m comment --comment ${q(`${p.name} external IP`)} -d ${ip}/32 -p ${proto} --dport ${p.port} -j ${ext}`)
      if (p.nodePort !== undefined) nodePortRules.push(`-A KUBE-NODEPORTS -m comment --comment ${q(p.name)} -p ${proto} --dport ${p.nodePort} -j ${ext}`)
    }

    const seps = p.endpoints.map((e) => ({ e, chain: sepChain(p, e) }))
    if (p.affinitySeconds !== undefined) {
      // A client seen recently goes back to the endpoint it used before.
      for (const { e, chain } of seps) {
        nat.push(
          `-A ${svc} -m comment --comment ${q(`${p.name} -> ${e.ip}:${e.port}`)} -m recent --name ${chain} --rcheck --seconds ${p.affinitySeconds} --reap -j ${chain}`,
        )
      }
    }
    seps.forEach(({ e, chain }, i) => {
      const left = seps.length - i
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''
      nat.push(`-A ${svc} -m comment --comment ${q(`${p.name} -> ${e.ip}:${e.port}`)}${pick} -j ${chain}`)
    })
    for (const { e, chain } of seps) {
      natChains.push(chain)
      // Hairpin: a pod reaching itself through the service must see the reply come from the node.
      nat.push(`-A ${chain} -m comment --comment ${q(p.name)} -s ${e.ip}/32 -j KUBE-MARK-MASQ`)
      const recent = p.affinitySeconds !== undefined ? ` -m recent --name ${chain} --set` : ''
      nat.push(`-A ${chain} -m comment --comment ${q(p.name)}${recent} -p ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`)
    }
  }
  nat.push(...nodePortRules)
  nat.push(
    `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  )

  const live = new Set(natChains)
  const stale = (input.existingNatChains ?? []).filter((c) => DYNAMIC_CHAIN.test(c) && !live.has(c)).sort()
  return [
    '*filter',
    ...FILTER_BASE_CHAINS.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '*nat',
    ...natChains.map((c) => `:${c} - [0:0]`),
    // Declaring a stale chain flushes it, so nothing references the chains deleted next.
    ...stale.map((c) => `:${c} - [0:0]`),
    ...nat,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n')
}
