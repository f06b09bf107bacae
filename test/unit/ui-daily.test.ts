// Pure pieces of the desktop app's day-to-day work (issue 15): URLs, wizard checks, the detail
// summary, the edit-conflict diff, YAML colours, and the exec refusal's words.
import { describe, expect, it } from 'vitest'
import { formatRoute, inNamespaces, isNewPlace, parseRoute, topologyDefaults, type Route } from '../../src-renderer/src/nav/route'
import { cliDefaults, validateWizard } from '../../src-renderer/src/clusters/validate'
import { ownedTypes, summarize } from '../../src-renderer/src/resources/summary'
import { changedHunks, lineDiff } from '../../src-renderer/src/resources/line-diff'
import { tokenizeLine } from '../../src-renderer/src/resources/yaml-tokens'
import { repeatedNames } from '../../src-renderer/src/topology/graph'
import { refusalReason } from '../../src-main/backend/terminals/pod'
import type { ResourceRow } from '../../src-main/contract'

const route = (r: Partial<Route>): Route => ({
  view: 'clusters',
  cluster: null,
  type: null,
  object: null,
  namespaces: [],
  topology: { ...topologyDefaults },
  ...r,
})

describe('routes', () => {
  it('round-trips views, objects, clusters and namespaces', () => {
    const cases: Route[] = [
      route({ view: 'topology', cluster: 'lab' }),
      route({ view: 'resources', cluster: 'lab', type: 'deployments', namespaces: ['default', 'team-a'] }),
      route({ view: 'resources', cluster: 'my lab', type: 'deployments', object: { namespace: 'default', name: 'web' } }),
      route({ view: 'resources', cluster: 'lab', type: 'nodes', object: { namespace: null, name: 'node-1' } }),
    ]
    for (const r of cases) expect(parseRoute(formatRoute(r))).toEqual(r)
    expect(formatRoute(cases[2]!)).toBe('#/resources/deployments/default/web?cluster=my%20lab')
    expect(formatRoute(cases[3]!)).toBe('#/resources/nodes/-/node-1?cluster=lab')
  })
  it("carries the topology's filter and picture, defaults left out, nonsense ignored", () => {
    const t = route({ view: 'topology', cluster: 'lab', topology: { filter: 'app=web b/c', status: 'bad', pods: 'grouped', by: 'namespace' } })
    expect(formatRoute(t)).toBe('#/topology?cluster=lab&q=app%3Dweb%20b%2Fc&status=bad&pods=grouped&by=namespace')
    expect(parseRoute(formatRoute(t))).toEqual(t)
    expect(parseRoute('#/topology?status=purple&pods=all&by=rack').topology).toEqual(topologyDefaults)
    // Other views neither write nor read them.
    expect(formatRoute({ ...t, view: 'logs' })).toBe('#/logs?cluster=lab')
    expect(parseRoute('#/logs?q=web').topology).toEqual(topologyDefaults)
    // Typing a filter replaces the entry rather than adding Back steps.
    expect(isNewPlace(route({ view: 'topology' }), t)).toBe(false)
  })
  it('falls back to Clusters for anything unknown', () => {
    expect(parseRoute('#/nowhere/x').view).toBe('clusters')
    expect(parseRoute('').view).toBe('clusters')
  })
  it('pushes a Back step for a new place, not for a default filled in', () => {
    expect(isNewPlace(route({ view: 'clusters' }), route({ view: 'clusters', cluster: 'lab' }))).toBe(false)
    expect(isNewPlace(route({ view: 'clusters', cluster: 'a' }), route({ view: 'clusters', cluster: 'b' }))).toBe(true)
    expect(isNewPlace(route({ view: 'resources', type: 'pods' }), route({ view: 'resources', type: 'pods', object: { namespace: 'd', name: 'x' } }))).toBe(true)
  })
  it('matches namespaces: none chosen shows all, cluster-scoped rows always', () => {
    expect(inNamespaces('a', [])).toBe(true)
    expect(inNamespaces('a', ['b'])).toBe(false)
    expect(inNamespaces(null, ['b'])).toBe(true)
  })
})

describe('wizard checks', () => {
  const ok = { name: 'lab', provider: 'simulated', workers: 2, cpu: '4', memory: '8Gi' }
  it('accepts the defaults and says what is wrong in words', () => {
    expect(validateWizard(ok, [])).toEqual({})
    expect(validateWizard({ ...ok, name: '' }, []).name).toContain('Give the cluster a name')
    expect(validateWizard({ ...ok, name: 'Lab_1' }, []).name).toContain('lowercase')
    expect(validateWizard(ok, ['lab']).name).toContain('exists already')
    expect(validateWizard({ ...ok, workers: '' }, []).workers).toContain('how many worker nodes')
    expect(validateWizard({ ...ok, workers: '1.5' }, []).workers).toContain('whole number')
    expect(validateWizard({ ...ok, cpu: 'two' }, []).cpu).toContain('Not a CPU amount')
    expect(validateWizard({ ...ok, memory: '8 gigs' }, []).memory).toContain('Not a memory amount')
  })
  it('offers 1, 3 or 5 control planes, on etcd when several, only where nodes are machines', () => {
    const local = { ...ok, provider: 'local' }
    expect(validateWizard({ ...local, controlPlanes: 3 }, [])).toEqual({})
    expect(validateWizard({ ...local, controlPlanes: 1, store: 'etcd' }, [])).toEqual({})
    expect(validateWizard({ ...local, controlPlanes: 2 }, []).controlPlanes).toContain('1, 3 or 5')
    expect(validateWizard({ ...local, controlPlanes: 3, store: 'embedded' }, []).store).toContain('keep objects in etcd')
    expect(validateWizard({ ...ok, controlPlanes: 3 }, []).controlPlanes).toContain('machines')
    expect(validateWizard({ ...ok, store: 'etcd' }, []).store).toContain('machines')
  })
  it('defaults like the CLI', () => {
    expect(cliDefaults('simulated')).toEqual({ workers: 2, cpu: '4', memory: '8Gi' })
    expect(cliDefaults('multipass')).toEqual({ workers: 2, cpu: '2', memory: '2Gi' })
  })
})

describe('detail summary', () => {
  it('reads containers with state, ports and restarts, the node and owners', () => {
    const pod = {
      metadata: { name: 'web-1', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'u' }] },
      spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'web', ready: true, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    }
    const s = summarize('Pod', pod, 'Running')
    expect(s.node).toBe('node-1')
    expect(s.owners).toEqual([{ kind: 'ReplicaSet', name: 'web-abc', type: 'replicasets' }])
    expect(s.containers).toEqual([
      { name: 'web', init: false, image: 'nginx:1.27', ports: ['80/TCP'], ready: true, restarts: 2, state: 'Waiting (CrashLoopBackOff)' },
    ])
    expect(s.labels).toEqual([['app', 'web']])
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' })
    expect(ownedTypes('Deployment')).toEqual(['replicasets'])
    expect(ownedTypes('ReplicaSet')).toEqual(['pods'])
  })
})

describe('edit conflict diff', () => {
  it('shows removed and added lines with context, gaps as …', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh'
    const b = 'a\nb\nc\nd\ne\nf\ng\nH'
    expect(lineDiff('x\ny', 'x\nz')).toEqual([
      { op: ' ', text: 'x' },
      { op: '-', text: 'y' },
      { op: '+', text: 'z' },
    ])
    const h = changedHunks(lineDiff(a, b), 1)
    expect(h[0]).toBeNull()
    expect(h.slice(1)).toEqual([
      { op: ' ', text: 'g' },
      { op: '-', text: 'h' },
      { op: '+', text: 'H' },
    ])
  })
})

describe('YAML colours', () => {
  it('splits keys, values and comments without changing the text', () => {
    const lines = ['  name: web # the app', '- containerPort: 80', 'enabled: true', '# note', '  - "quoted: not a key"']
    for (const l of lines)
      expect(
        tokenizeLine(l)
          .map((t) => t.text)
          .join(''),
      ).toBe(l)
    expect(tokenizeLine('  name: web # the app').map((t) => t.kind)).toEqual(
      ['punct', 'key', 'punct', 'plain', 'str', 'plain', 'comment'].filter((k, i, all) => !(k === 'plain' && all[i - 1] === 'str')),
    )
    expect(tokenizeLine('replicas: 3').find((t) => t.kind === 'num')?.text).toBe('3')
  })
})

describe('topology names', () => {
  it('finds names used in more than one namespace', () => {
    const row = (namespace: string, name: string): ResourceRow => ({
      key: `${namespace}/${name}`,
      uid: name,
      name,
      namespace,
      resourceVersion: '1',
      createdAt: null,
      cells: [],
      tone: 'ok',
      status: '',
      labels: {},
      owners: [],
      nodeName: null,
      selector: null,
    })
    expect([...repeatedNames([row('a', 'web'), row('b', 'web'), row('a', 'db')])]).toEqual(['web'])
  })
})

describe('exec refusal', () => {
  it("words it with the API server's message", () => {
    expect(refusalReason(400, JSON.stringify({ kind: 'Status', reason: 'BadRequest', message: 'container nope is not valid for pod web' }))).toBe(
      'the API server refused the exec (HTTP 400 BadRequest): container nope is not valid for pod web',
    )
    expect(refusalReason(403, 'forbidden')).toBe('the API server refused the exec (HTTP 403): forbidden')
  })
})
