import { describe, expect, it } from 'vitest'
import {
  allowMatch,
  buildNetpolRules,
  DYNAMIC_CHAIN,
  FORWARD_CHAIN,
  INPUT_CHAIN,
  planNode,
  podChain,
  policyChain,
  type NodePlan,
  type PlanInput,
} from '../../src-cluster/netpol'
import { cidrContains, parseCidr } from '../../src-cluster/kit/ipv4'
import { ns, pod, policy } from './netpol-fixtures'

// A small interpreter for the subset of iptables the compiler emits, so tests can ask what
// happens to a packet instead of only comparing text.
interface Packet {
  src: string
  dst: string
  proto: 'tcp' | 'udp' | 'sctp' | 'icmp'
  dport?: number
  /** conntrack state */
  state?: 'NEW' | 'ESTABLISHED'
  /** the source is an address of this node */
  srcLocal?: boolean
}

function parseRules(text: string): Map<string, string[][]> {
  const chains = new Map<string, string[][]>()
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.set(line.slice(1).split(' ')[0]!, [])
    else if (line.startsWith('-A ')) {
      const words = line.match(/"[^"]*"|\S+/g)!
      chains.get(words[1]!)!.push(words.slice(2))
    }
  }
  return chains
}

function matches(w: string[], p: Packet, mark: { v: boolean }): boolean {
  for (let i = 0; i < w.length; i++) {
    const neg = w[i] === '!'
    if (neg) i++
    const opt = w[i]!
    let ok: boolean
    switch (opt) {
      case '-s':
        ok = cidrContains(parseCidr(w[++i]!), p.src)
        break
      case '-d':
        ok = cidrContains(parseCidr(w[++i]!), p.dst)
        break
      case '-p':
        ok = p.proto === w[++i]
        break
      case '--dport': {
        const [lo, hi] = w[++i]!.split(':').map(Number) as [number, number | undefined]
        ok = p.dport !== undefined && p.dport >= lo && p.dport <= (hi ?? lo)
        break
      }
      case '-m':
        i++
        continue
      case '--comment':
        i++
        continue
      case '--ctstate':
        ok = w[++i]!.split(',').includes(p.state ?? 'NEW')
        break
      case '--src-type':
        ok = w[++i] === 'LOCAL' && !!p.srcLocal
        break
      case '--mark':
        ok = mark.v === (w[++i] === '0x10000/0x10000')
        break
      case '-j':
        return true
      default:
        throw new Error(`interpreter does not know ${opt}`)
    }
    if (neg ? ok : !ok) return false
  }
  return true
}

/** 'DROP' or 'RETURN' (handed on to the node's other rules). */
function verdict(chains: Map<string, string[][]>, chain: string, p: Packet, mark = { v: false }): 'DROP' | 'RETURN' {
  for (const w of chains.get(chain) ?? []) {
    if (!matches(w, p, mark)) continue
    const target = w[w.indexOf('-j') + 1]!
    if (target === 'DROP') return 'DROP'
    if (target === 'RETURN') return 'RETURN'
    if (target === 'MARK') mark.v = w[w.length - 1] === '0x10000/0x10000'
    else if (verdict(chains, target, p, mark) === 'DROP') return 'DROP'
  }
  return 'RETURN'
}

const input = (o: Partial<PlanInput>): PlanInput => ({
  nodeName: 'node-a',
  policies: [],
  pods: [],
  namespaces: [ns('default'), ns('ops', { team: 'ops' })],
  ...o,
})
const pods = [
  pod('default/web', { labels: { app: 'web' }, ip: '10.244.0.10', ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('default/client', { labels: { role: 'client' }, ip: '10.244.0.20' }),
  pod('default/remote', { labels: { role: 'client' }, ip: '10.244.1.20', node: 'node-b' }),
  pod('default/stranger', { ip: '10.244.1.21', node: 'node-b' }),
  pod('ops/probe', { ip: '10.244.1.30', node: 'node-b' }),
]
const forward = (plan: NodePlan, p: Packet): string => verdict(parseRules(buildNetpolRules({ plan })), FORWARD_CHAIN, p)
const tcp = (src: string, dst: string, dport = 80): Packet => ({ src, dst, proto: 'tcp', dport })

describe('chain names', () => {
  it('are stable, distinct per pod/policy and direction, and fit iptables', () => {
    const names = [
      podChain('ingress', 'default/web'),
      podChain('egress', 'default/web'),
      podChain('ingress', 'default/web2'),
      policyChain('ingress', 'default/web'),
      policyChain('egress', 'default/web'),
    ]
    expect(new Set(names).size).toBe(names.length)
    for (const n of names) {
      expect(n).toMatch(DYNAMIC_CHAIN)
      expect(n.length).toBeLessThanOrEqual(28)
    }
    expect(podChain('ingress', 'default/web')).toBe(podChain('ingress', 'default/web'))
    expect(podChain('ingress', 'default/web')).toMatch(/^KUBELAB-NP-I-/)
    expect(policyChain('egress', 'x/y')).toMatch(/^KUBELAB-NP-PE-/)
  })
})

describe('allowMatch', () => {
  it('renders sources, destinations, protocols and port ranges', () => {
    expect(allowMatch({})).toBe('')
    expect(allowMatch({ src: '10.0.0.0/8', protocol: 'TCP', port: 80 })).toBe('-s 10.0.0.0/8 -p tcp --dport 80')
    expect(allowMatch({ dst: '10.244.0.1/32', protocol: 'SCTP', port: 1000, endPort: 2000 })).toBe('-d 10.244.0.1/32 -p sctp --dport 1000:2000')
    expect(allowMatch({ protocol: 'UDP' })).toBe('-p udp')
  })
})

describe('the ruleset text', () => {
  it('without isolated pods has only the two base chains letting replies through', () => {
    expect(buildNetpolRules({ plan: planNode(input({ pods })) })).toBe(
      [
        '*filter',
        `:${FORWARD_CHAIN} - [0:0]`,
        `:${INPUT_CHAIN} - [0:0]`,
        `-A ${FORWARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "replies of allowed connections" -j RETURN`,
        `-A ${INPUT_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "replies of allowed connections" -j RETURN`,
        'COMMIT',
        '',
      ].join('\n'),
    )
  })

  it('sends isolated pods to their chains, egress before ingress, egress also from INPUT', () => {
    const plan = planNode(
      input({ pods, policies: [policy('default/both', { podSelector: { matchLabels: { app: 'web' } }, egress: [{}], ingress: [{ ports: [{ port: 80 }] }] })] }),
    )
    const text = buildNetpolRules({ plan })
    const lines = text.split('\n')
    const e = podChain('egress', 'default/web')
    const i = podChain('ingress', 'default/web')
    const fwdEgress = lines.indexOf(`-A ${FORWARD_CHAIN} -s 10.244.0.10/32 -m comment --comment "default/web egress" -j ${e}`)
    const fwdIngress = lines.indexOf(`-A ${FORWARD_CHAIN} -d 10.244.0.10/32 -m comment --comment "default/web ingress" -j ${i}`)
    expect(fwdEgress).toBeGreaterThan(0)
    expect(fwdIngress).toBeGreaterThan(fwdEgress)
    expect(lines).toContain(`-A ${INPUT_CHAIN} -s 10.244.0.10/32 -m comment --comment "default/web egress" -j ${e}`)
    expect(lines.some((l) => l.startsWith(`-A ${INPUT_CHAIN} -d `))).toBe(false)
    expect(lines.filter((l) => l.startsWith(`-A ${i} `))).toEqual([
      `-A ${i} -m addrtype --src-type LOCAL -m comment --comment "from the node itself" -j RETURN`,
      `-A ${i} -j MARK --set-xmark 0x0/0x10000`,
      `-A ${i} -m comment --comment "policy default/both" -j ${policyChain('ingress', 'default/both')}`,
      `-A ${i} -m mark ! --mark 0x10000/0x10000 -m comment --comment "default/web ingress not allowed by any NetworkPolicy" -j DROP`,
      `-A ${i} -j MARK --set-xmark 0x0/0x10000`,
    ])
    expect(lines).toContain(
      `-A ${policyChain('ingress', 'default/both')} -p tcp --dport 80 -m comment --comment "default/both" -j MARK --set-xmark 0x10000/0x10000`,
    )
    expect(lines).toContain(`-A ${policyChain('egress', 'default/both')} -m comment --comment "default/both" -j MARK --set-xmark 0x10000/0x10000`)
  })

  it('is the same text for the same objects in any order', () => {
    const pols = [policy('default/a', { ingress: [{ from: [{ podSelector: {} }] }] }), policy('default/b', { policyTypes: ['Egress'] })]
    const one = buildNetpolRules({ plan: planNode(input({ pods, policies: pols })) })
    const two = buildNetpolRules({
      plan: planNode(input({ pods: [...pods].reverse(), policies: [...pols].reverse(), namespaces: [ns('ops', { team: 'ops' }), ns('default')] })),
    })
    expect(two).toBe(one)
  })

  it('flushes and deletes chains no longer used, never the base chains or live ones', () => {
    const plan = planNode(input({ pods, policies: [policy('default/deny', {})] }))
    const live = podChain('ingress', 'default/web')
    const gone = podChain('ingress', 'default/deleted')
    const text = buildNetpolRules({ plan, existingChains: [live, gone, FORWARD_CHAIN, 'KUBE-FORWARD'] })
    const lines = text.split('\n')
    expect(lines).toContain(`:${gone} - [0:0]`)
    expect(lines).toContain(`-X ${gone}`)
    expect(lines.filter((l) => l.startsWith('-X '))).toEqual([`-X ${gone}`])
    // deletes come after every rule, so nothing refers to the chain any more
    expect(lines.indexOf(`-X ${gone}`)).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith('-A ')))
  })
})

describe('what passes (through an interpreter of the rules)', () => {
  it('lets everything through when no policy selects the pod', () => {
    const plan = planNode(input({ pods, policies: [policy('default/deny-web', { podSelector: { matchLabels: { app: 'nope' } } })] }))
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10'))).toBe('RETURN')
  })

  it('default deny blocks new connections but not replies nor the node itself', () => {
    const plan = planNode(input({ pods, policies: [policy('default/deny', {})] }))
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10'))).toBe('DROP')
    expect(forward(plan, { ...tcp('10.244.1.21', '10.244.0.10'), state: 'ESTABLISHED' })).toBe('RETURN')
    expect(forward(plan, { ...tcp('10.244.0.1', '10.244.0.10'), srcLocal: true })).toBe('RETURN')
    // egress is not isolated by an Ingress-only policy
    expect(forward(plan, tcp('10.244.0.10', '10.244.1.21'))).toBe('RETURN')
  })

  it('an allow by podSelector admits labelled clients only, on the allowed port', () => {
    const plan = planNode(
      input({
        pods,
        policies: [
          policy('default/deny', {}),
          policy('default/allow', {
            podSelector: { matchLabels: { app: 'web' } },
            ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 80 }] }],
          }),
        ],
      }),
    )
    expect(forward(plan, tcp('10.244.1.20', '10.244.0.10'))).toBe('RETURN') // cross-node client
    expect(forward(plan, tcp('10.244.0.20', '10.244.0.10'))).toBe('RETURN') // same-node client (its own egress is not isolated)
    expect(forward(plan, tcp('10.244.0.10', '10.244.0.20'))).toBe('DROP') // the other way round: client's ingress is isolated by deny
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10'))).toBe('DROP')
    expect(forward(plan, tcp('10.244.1.20', '10.244.0.10', 443))).toBe('DROP')
    expect(forward(plan, { ...tcp('10.244.1.20', '10.244.0.10'), proto: 'udp' })).toBe('DROP')
  })

  it('a namespaceSelector admits the pods of labelled namespaces', () => {
    const plan = planNode(
      input({ pods, policies: [policy('default/ops', { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }] })] }),
    )
    expect(forward(plan, tcp('10.244.1.30', '10.244.0.10'))).toBe('RETURN')
    expect(forward(plan, tcp('10.244.1.20', '10.244.0.10'))).toBe('DROP')
  })

  it('a named port admits traffic to the port the pod calls by that name', () => {
    const plan = planNode(
      input({ pods, policies: [policy('default/http', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }] }] })] }),
    )
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10', 8080))).toBe('RETURN')
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10', 80))).toBe('DROP')
  })

  it('egress deny blocks a pod going out, DNS included, unless a policy allows it', () => {
    const deny = policy('default/no-egress', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] })
    const dns: Packet = { src: '10.244.0.20', dst: '10.231.0.2', proto: 'udp', dport: 53 }
    const denied = planNode(input({ pods, policies: [deny] }))
    expect(forward(denied, tcp('10.244.0.20', '10.244.1.21'))).toBe('DROP')
    expect(forward(denied, dns)).toBe('DROP')
    expect(verdict(parseRules(buildNetpolRules({ plan: denied })), INPUT_CHAIN, dns)).toBe('DROP')
    const withDns = planNode(
      input({
        pods,
        policies: [
          deny,
          policy('default/dns', {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [
              {
                ports: [
                  { port: 53, protocol: 'UDP' },
                  { port: 53, protocol: 'TCP' },
                ],
              },
            ],
          }),
        ],
      }),
    )
    expect(forward(withDns, dns)).toBe('RETURN')
    expect(verdict(parseRules(buildNetpolRules({ plan: withDns })), INPUT_CHAIN, dns)).toBe('RETURN')
    expect(forward(withDns, tcp('10.244.0.20', '10.244.1.21'))).toBe('DROP')
  })

  it('between two isolated pods of this node, both the egress and the ingress side must allow', () => {
    const egressToWeb = policy('default/client-out', {
      podSelector: { matchLabels: { role: 'client' } },
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      policyTypes: ['Egress'],
    })
    const webIn = policy('default/web-in', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    })
    const c2w = tcp('10.244.0.20', '10.244.0.10')
    expect(forward(planNode(input({ pods, policies: [egressToWeb, webIn] })), c2w)).toBe('RETURN')
    expect(forward(planNode(input({ pods, policies: [egressToWeb, policy('default/deny', { podSelector: { matchLabels: { app: 'web' } } })] })), c2w)).toBe(
      'DROP',
    )
    expect(
      forward(
        planNode(
          input({ pods, policies: [policy('default/client-out', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] }), webIn] }),
        ),
        c2w,
      ),
    ).toBe('DROP')
  })

  it('ipBlock exceptions stay blocked', () => {
    const plan = planNode(
      input({ pods, policies: [policy('default/net', { ingress: [{ from: [{ ipBlock: { cidr: '10.244.1.0/24', except: ['10.244.1.21/32'] } }] }] })] }),
    )
    expect(forward(plan, tcp('10.244.1.20', '10.244.0.10'))).toBe('RETURN')
    expect(forward(plan, tcp('10.244.1.21', '10.244.0.10'))).toBe('DROP')
  })
})
