import { describe, expect, it } from 'vitest'
import { planNode, policyTypes, type PlanInput } from '../../src-cluster/netpol'
import { ns, pod, policy } from './netpol-fixtures'

const base = (o: Partial<PlanInput>): PlanInput => ({
  nodeName: 'node-a',
  policies: [],
  pods: [],
  namespaces: [ns('default'), ns('other'), ns('prod', { team: 'x' })],
  ...o,
})

const web = pod('default/web', {
  labels: { app: 'web' },
  ip: '10.244.0.10',
  ports: [
    { name: 'http', containerPort: 8080 },
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
  ],
})
const client = pod('default/client', { labels: { role: 'client' }, ip: '10.244.1.20', node: 'node-b' })
const other = pod('other/tool', { labels: { role: 'client' }, ip: '10.244.1.30', node: 'node-b' })
const prodDb = pod('prod/db', { labels: { app: 'db' }, ip: '10.244.0.40', ports: [{ name: 'pg', containerPort: 5432 }] })
const all = [web, client, other, prodDb]

function allowsOf(plan: ReturnType<typeof planNode>, ref: string, dir: 'ingress' | 'egress'): unknown {
  return plan.policies.find((p) => p.policy === ref && p.direction === dir)?.allows
}

describe('policyTypes', () => {
  it('defaults to Ingress, adding Egress only when egress rules exist', () => {
    expect(policyTypes(policy('default/a', {}))).toEqual(['ingress'])
    expect(policyTypes(policy('default/a', { egress: [] }))).toEqual(['ingress'])
    expect(policyTypes(policy('default/a', { egress: [{}] }))).toEqual(['ingress', 'egress'])
    expect(policyTypes(policy('default/a', { policyTypes: ['Egress'] }))).toEqual(['egress'])
    expect(policyTypes(policy('default/a', { policyTypes: ['Egress', 'Ingress'], egress: [{}] }))).toEqual(['ingress', 'egress'])
  })
})

describe('which pods a node isolates', () => {
  it('isolates nothing without policies', () => {
    expect(planNode(base({ pods: all }))).toEqual({ pods: [], policies: [], problems: [] })
  })

  it('default-deny ingress isolates the namespace pods on this node only, allowing nothing', () => {
    const plan = planNode(base({ pods: all, policies: [policy('default/deny', { policyTypes: ['Ingress'] })] }))
    // client is in default but runs on node-b; other namespaces are untouched
    expect(plan.pods).toEqual([{ pod: 'default/web', ips: ['10.244.0.10'], ingress: ['default/deny'], egress: [] }])
    expect(plan.policies).toEqual([{ policy: 'default/deny', direction: 'ingress', allows: [] }])
  })

  it('the same policies on node-b isolate the pods there', () => {
    const plan = planNode(base({ nodeName: 'node-b', pods: all, policies: [policy('default/deny', {})] }))
    expect(plan.pods.map((p) => p.pod)).toEqual(['default/client'])
  })

  it('selects by podSelector labels, expressions included', () => {
    const pods = [...all, pod('default/web2', { labels: { app: 'web', tier: 'b' }, ip: '10.244.0.11' }), pod('default/plain', { ip: '10.244.0.12' })]
    const byLabel = planNode(base({ pods, policies: [policy('default/p', { podSelector: { matchLabels: { app: 'web' } } })] }))
    expect(byLabel.pods.map((p) => p.pod)).toEqual(['default/web', 'default/web2'])
    const byExpr = planNode(base({ pods, policies: [policy('default/p', { podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } })] }))
    expect(byExpr.pods.map((p) => p.pod)).toEqual(['default/plain', 'default/web'])
  })

  it('lists every policy isolating a pod, per direction', () => {
    const plan = planNode(
      base({
        pods: all,
        policies: [policy('default/b-in', {}), policy('default/a-both', { egress: [{}] }), policy('default/c-out', { policyTypes: ['Egress'] })],
      }),
    )
    expect(plan.pods).toEqual([
      { pod: 'default/web', ips: ['10.244.0.10'], ingress: ['default/a-both', 'default/b-in'], egress: ['default/a-both', 'default/c-out'] },
    ])
  })

  it('ignores pods without an IP, on the host network or finished, as targets and as peers', () => {
    const pods = [
      pod('default/pending', { labels: { app: 'web' } }),
      pod('default/host', { labels: { app: 'web', role: 'client' }, ip: '10.231.0.2', hostNetwork: true }),
      pod('default/done', { labels: { app: 'web', role: 'client' }, ip: '10.244.0.99', phase: 'Succeeded' }),
      pod('default/peer', { labels: { role: 'client' }, ip: '10.244.0.50' }),
    ]
    const plan = planNode(base({ pods, policies: [policy('default/p', { ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] })] }))
    expect(plan.pods.map((p) => p.pod)).toEqual(['default/peer'])
    expect(allowsOf(plan, 'default/p', 'ingress')).toEqual([{ src: '10.244.0.50/32' }])
  })

  it('skips policies being deleted and policies selecting no local pod', () => {
    const going = policy('default/going', {})
    going.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z'
    const plan = planNode(base({ pods: all, policies: [going, policy('default/none', { podSelector: { matchLabels: { app: 'nope' } } })] }))
    expect(plan).toEqual({ pods: [], policies: [], problems: [] })
  })
})

describe('peers', () => {
  const ingressFrom = (from: object[], pods = all): unknown =>
    allowsOf(
      planNode(base({ pods, policies: [policy('default/p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: from as never }] })] })),
      'default/p',
      'ingress',
    )

  it('podSelector alone means pods of the policy namespace', () => {
    expect(ingressFrom([{ podSelector: { matchLabels: { role: 'client' } } }])).toEqual([{ src: '10.244.1.20/32' }])
  })

  it('an empty podSelector means every pod of the policy namespace', () => {
    expect(ingressFrom([{ podSelector: {} }])).toEqual([{ src: '10.244.0.10/32' }, { src: '10.244.1.20/32' }])
  })

  it('namespaceSelector alone means every pod of matching namespaces', () => {
    expect(ingressFrom([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }])).toEqual([{ src: '10.244.1.30/32' }])
    expect(ingressFrom([{ namespaceSelector: {} }])).toEqual([
      { src: '10.244.0.10/32' },
      { src: '10.244.0.40/32' },
      { src: '10.244.1.20/32' },
      { src: '10.244.1.30/32' },
    ])
  })

  it('both selectors in one peer must both match; in two peers either may', () => {
    const pods = [...all, pod('other/web', { labels: { app: 'x' }, ip: '10.244.1.31' })]
    const nsOther = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }
    const clients = { podSelector: { matchLabels: { role: 'client' } } }
    expect(ingressFrom([{ ...nsOther, ...clients }], pods)).toEqual([{ src: '10.244.1.30/32' }])
    expect(ingressFrom([nsOther, clients], pods)).toEqual([{ src: '10.244.1.20/32' }, { src: '10.244.1.30/32' }, { src: '10.244.1.31/32' }])
  })

  it('follows namespace labels, and knows an unseen namespace by its name label', () => {
    const sel = [{ namespaceSelector: { matchLabels: { team: 'x' } } }]
    expect(ingressFrom(sel)).toEqual([{ src: '10.244.0.40/32' }])
    const relabelled = planNode(
      base({
        namespaces: [ns('default'), ns('other', { team: 'x' }), ns('prod')],
        pods: all,
        policies: [policy('default/p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: sel }] })],
      }),
    )
    expect(allowsOf(relabelled, 'default/p', 'ingress')).toEqual([{ src: '10.244.1.30/32' }])
    const unseen = planNode(
      base({
        namespaces: [],
        pods: all,
        policies: [
          policy('default/p', {
            podSelector: { matchLabels: { app: 'web' } },
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } } }] }],
          }),
        ],
      }),
    )
    expect(allowsOf(unseen, 'default/p', 'ingress')).toEqual([{ src: '10.244.0.40/32' }])
  })

  it('ipBlock allows the range minus its exceptions; IPv6 blocks are left out', () => {
    expect(ingressFrom([{ ipBlock: { cidr: '172.16.0.0/30', except: ['172.16.0.1/32'] } }, { ipBlock: { cidr: 'fd00::/64' } }])).toEqual([
      { src: '172.16.0.0/32' },
      { src: '172.16.0.2/31' },
    ])
  })

  it('no peers means anyone; peers matching nothing allow nothing', () => {
    expect(ingressFrom([])).toEqual([{}])
    expect(ingressFrom([{ podSelector: { matchLabels: { role: 'ghost' } } }])).toEqual([])
  })

  it('a rule list with an empty rule allows everything; an empty list allows nothing', () => {
    const allowAll = planNode(base({ pods: all, policies: [policy('default/p', { ingress: [{}] })] }))
    expect(allowsOf(allowAll, 'default/p', 'ingress')).toEqual([{}])
    const denyAll = planNode(base({ pods: all, policies: [policy('default/p', { ingress: [] })] }))
    expect(allowsOf(denyAll, 'default/p', 'ingress')).toEqual([])
  })

  it('reports an invalid selector once and lets it match nothing', () => {
    const bad = { matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] }
    const plan = planNode(base({ pods: all, policies: [policy('default/p', { ingress: [{ from: [{ podSelector: bad }] }] })] }))
    expect(allowsOf(plan, 'default/p', 'ingress')).toEqual([])
    expect(plan.problems).toHaveLength(1)
    expect(plan.problems[0]).toMatch(/default\/p spec\.ingress\[0\]\.from\[0\] podSelector: .*Near.*matches nothing/)
  })
})

describe('ports', () => {
  const ingressPorts = (ports: object[], from?: object[]): unknown =>
    allowsOf(
      planNode(
        base({
          pods: all,
          policies: [policy('default/p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: ports as never, from: from as never }] })],
        }),
      ),
      'default/p',
      'ingress',
    )

  it('numbers default to TCP; UDP, SCTP, ranges and protocol-only entries are kept', () => {
    expect(
      ingressPorts([{ port: 80 }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 9 }, { port: 32000, endPort: 32010 }, { protocol: 'UDP' }]),
    ).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 53 },
      { protocol: 'SCTP', port: 9 },
      { protocol: 'TCP', port: 32000, endPort: 32010 },
      { protocol: 'UDP' },
    ])
  })

  it('combines every peer with every port', () => {
    expect(
      ingressPorts([{ port: 80 }, { port: 443 }], [{ podSelector: { matchLabels: { role: 'client' } } }, { ipBlock: { cidr: '192.168.0.0/24' } }]),
    ).toEqual([
      { src: '10.244.1.20/32', protocol: 'TCP', port: 80 },
      { src: '192.168.0.0/24', protocol: 'TCP', port: 80 },
      { src: '10.244.1.20/32', protocol: 'TCP', port: 443 },
      { src: '192.168.0.0/24', protocol: 'TCP', port: 443 },
    ])
  })

  it('ingress named ports resolve on the selected pod, with the protocol of the port', () => {
    expect(ingressPorts([{ port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 'dns' }])).toEqual([
      { dst: '10.244.0.10/32', protocol: 'TCP', port: 8080 },
      { dst: '10.244.0.10/32', protocol: 'UDP', port: 53 },
    ])
    expect(ingressPorts([{ port: 'http' }], [{ ipBlock: { cidr: '10.0.0.0/8' } }])).toEqual([
      { dst: '10.244.0.10/32', protocol: 'TCP', port: 8080, src: '10.0.0.0/8' },
    ])
  })

  it('egress named ports resolve on the destination pods the rule names', () => {
    const egress = (to: object[] | undefined): unknown =>
      allowsOf(
        planNode(
          base({
            pods: all,
            policies: [policy('default/p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ ports: [{ port: 'pg' }], to: to as never }] })],
          }),
        ),
        'default/p',
        'egress',
      )
    expect(egress(undefined)).toEqual([{ dst: '10.244.0.40/32', protocol: 'TCP', port: 5432 }])
    expect(egress([{ namespaceSelector: { matchLabels: { team: 'x' } } }])).toEqual([{ dst: '10.244.0.40/32', protocol: 'TCP', port: 5432 }])
    expect(egress([{ ipBlock: { cidr: '10.244.0.0/24', except: ['10.244.0.40/32'] } }])).toEqual([])
    expect(egress([{ podSelector: {} }])).toEqual([]) // db is not in default
  })

  it('egress peers and numeric ports become destinations', () => {
    const plan = planNode(
      base({
        pods: all,
        policies: [
          policy('default/p', {
            policyTypes: ['Egress'],
            egress: [{ to: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 53, protocol: 'UDP' }] }],
          }),
        ],
      }),
    )
    expect(plan.pods).toEqual([{ pod: 'default/web', ips: ['10.244.0.10'], ingress: [], egress: ['default/p'] }])
    expect(allowsOf(plan, 'default/p', 'egress')).toEqual([{ dst: '10.244.1.20/32', protocol: 'UDP', port: 53 }])
  })

  it('drops duplicate allowances from overlapping rules', () => {
    const plan = planNode(
      base({ pods: all, policies: [policy('default/p', { ingress: [{ ports: [{ port: 80 }] }, { ports: [{ port: 80, protocol: 'TCP' }] }] })] }),
    )
    expect(allowsOf(plan, 'default/p', 'ingress')).toEqual([{ protocol: 'TCP', port: 80 }])
  })
})
