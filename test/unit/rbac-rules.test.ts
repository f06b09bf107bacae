// RBAC evaluation without a server: rule matching (verbs, groups, resources, subresources,
// names, non-resource URLs), subjects, the binding walk, and aggregation through the cache.
import { describe, expect, it } from 'vitest'
import { Authorizer, forbiddenMessage, type Attributes } from '../../src-cluster/apiserver/authz'
import { authorizeRbac, ruleAllows, subjectMatches, type Binding, type PolicyRule, type PolicySource } from '../../src-cluster/apiserver/authz/rules'

const pods = (verb: string, extra: Partial<Extract<Attributes, { kind: 'resource' }>> = {}): Attributes => ({
  kind: 'resource',
  verb,
  group: '',
  resource: 'pods',
  namespace: 'dev',
  ...extra,
})

function source(o: { clusterRoles?: Record<string, PolicyRule[]>; roles?: Record<string, PolicyRule[]>; crbs?: Binding[]; rbs?: Binding[] }): PolicySource {
  return {
    clusterRoleRules: (n) => o.clusterRoles?.[n],
    roleRules: (ns, n) => o.roles?.[`${ns}/${n}`],
    clusterRoleBindings: () => o.crbs ?? [],
    roleBindings: (ns) => (o.rbs ?? []).filter((b) => b.namespace === ns),
  }
}

describe('rule matching', () => {
  it('matches verbs, groups and resources, with * wildcards', () => {
    const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }
    expect(ruleAllows(r, pods('get'))).toBe(true)
    expect(ruleAllows(r, pods('delete'))).toBe(false)
    expect(ruleAllows(r, pods('get', { group: 'apps' }))).toBe(false)
    expect(ruleAllows(r, pods('get', { resource: 'services' }))).toBe(false)
    expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, pods('delete', { group: 'apps', resource: 'deployments' }))).toBe(true)
  })

  it('needs the subresource named, or */subresource', () => {
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, pods('get', { subresource: 'log' }))).toBe(false)
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, pods('get', { subresource: 'log' }))).toBe(true)
    expect(
      ruleAllows(
        { verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] },
        { kind: 'resource', verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale' },
      ),
    ).toBe(true)
  })

  it('limits by resourceNames, which a request without a name does not meet', () => {
    const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'] }
    expect(ruleAllows(r, { kind: 'resource', verb: 'get', group: '', resource: 'configmaps', name: 'app-config' })).toBe(true)
    expect(ruleAllows(r, { kind: 'resource', verb: 'get', group: '', resource: 'configmaps', name: 'other' })).toBe(false)
    expect(ruleAllows(r, { kind: 'resource', verb: 'list', group: '', resource: 'configmaps' })).toBe(false)
  })

  it('matches non-resource URLs exactly or by a trailing *', () => {
    const r: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] }
    expect(ruleAllows(r, { kind: 'nonresource', verb: 'get', path: '/healthz' })).toBe(true)
    expect(ruleAllows(r, { kind: 'nonresource', verb: 'get', path: '/apis/apps/v1' })).toBe(true)
    expect(ruleAllows(r, { kind: 'nonresource', verb: 'get', path: '/metrics' })).toBe(false)
    expect(ruleAllows(r, pods('get'))).toBe(false)
  })
})

describe('subjects and bindings', () => {
  const bob = { name: 'bob', groups: ['devs', 'system:authenticated'] }
  const sa = { name: 'system:serviceaccount:dev:viewer', groups: ['system:serviceaccounts'] }

  it('matches users, groups and service accounts (namespace defaulted from a RoleBinding)', () => {
    expect(subjectMatches({ kind: 'User', name: 'bob' }, bob, undefined)).toBe(true)
    expect(subjectMatches({ kind: 'Group', name: 'devs' }, bob, undefined)).toBe(true)
    expect(subjectMatches({ kind: 'Group', name: 'ops' }, bob, undefined)).toBe(false)
    expect(subjectMatches({ kind: 'ServiceAccount', name: 'viewer' }, sa, 'dev')).toBe(true)
    expect(subjectMatches({ kind: 'ServiceAccount', name: 'viewer' }, sa, 'prod')).toBe(false)
    expect(subjectMatches({ kind: 'ServiceAccount', name: 'viewer', namespace: 'dev' }, sa, undefined)).toBe(true)
  })

  it('a RoleBinding grants only in its namespace; a ClusterRoleBinding everywhere', () => {
    const src = source({
      clusterRoles: { view: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] },
      roles: { 'dev/deleter': [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }] },
      rbs: [
        { name: 'v', namespace: 'dev', subjects: [{ kind: 'User', name: 'bob' }], roleRef: { kind: 'ClusterRole', name: 'view' } },
        { name: 'd', namespace: 'dev', subjects: [{ kind: 'Group', name: 'devs' }], roleRef: { kind: 'Role', name: 'deleter' } },
      ],
    })
    expect(authorizeRbac(src, bob, pods('list')).allowed).toBe(true)
    expect(authorizeRbac(src, bob, pods('delete')).allowed).toBe(true)
    expect(authorizeRbac(src, bob, pods('list', { namespace: 'prod' })).allowed).toBe(false)
    expect(authorizeRbac(src, bob, pods('list', { namespace: undefined })).allowed).toBe(false)
    const everywhere = source({
      clusterRoles: { view: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }] },
      crbs: [{ name: 'v', subjects: [{ kind: 'User', name: 'bob' }], roleRef: { kind: 'ClusterRole', name: 'view' } }],
    })
    expect(authorizeRbac(everywhere, bob, pods('list', { namespace: 'prod' }))).toMatchObject({
      allowed: true,
      reason: expect.stringContaining('ClusterRoleBinding "v"'),
    })
  })

  it('a binding to a missing role grants nothing; system:masters needs no binding', () => {
    const src = source({ rbs: [{ name: 'v', namespace: 'dev', subjects: [{ kind: 'User', name: 'bob' }], roleRef: { kind: 'Role', name: 'gone' } }] })
    expect(new Authorizer(src).authorize(bob, pods('get')).allowed).toBe(false)
    expect(new Authorizer(src).authorize({ name: 'admin', groups: ['system:masters'] }, pods('delete')).allowed).toBe(true)
  })
})

describe('forbidden messages', () => {
  it('reads as upstream writes them', () => {
    const u = { name: 'bob', groups: [] }
    expect(forbiddenMessage(u, pods('delete', { name: 'web' }))).toBe(
      'pods "web" is forbidden: User "bob" cannot delete resource "pods" in API group "" in the namespace "dev"',
    )
    expect(forbiddenMessage(u, { kind: 'resource', verb: 'list', group: '', resource: 'nodes' })).toBe(
      'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope',
    )
    expect(forbiddenMessage(u, { kind: 'resource', verb: 'create', group: 'apps', resource: 'deployments', namespace: 'dev' })).toBe(
      'deployments.apps is forbidden: User "bob" cannot create resource "deployments" in API group "apps" in the namespace "dev"',
    )
    expect(forbiddenMessage(u, { kind: 'nonresource', verb: 'get', path: '/metrics' })).toBe('forbidden: User "bob" cannot get path "/metrics"')
  })
})
