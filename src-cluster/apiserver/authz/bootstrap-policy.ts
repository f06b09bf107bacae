// The roles and bindings every cluster starts with, named and shaped as upstream's bootstrap
// policy so that `kubectl create rolebinding --clusterrole=view` and friends mean what learners
// read about. KubeLab components run under their own identities (see src-main/ssh-provisioning/pki.ts),
// each bound to a role for what it does. The controller manager runs every controller under one
// identity (upstream gives each controller its own service account), so its role is broad.
import { NODE_RULES } from './node-authorizer'
import type { PolicyRule, Subject } from './rules'

export interface BootstrapClusterRole {
  readonly name: string
  readonly labels?: Record<string, string>
  readonly rules: readonly PolicyRule[]
  readonly aggregateFrom?: string
}

export interface BootstrapBinding {
  readonly name: string
  readonly role: string
  readonly subjects: readonly Subject[]
}

const READ = ['get', 'list', 'watch']
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection']
const ALL = [...READ, ...WRITE]
const AGG = 'rbac.authorization.k8s.io/aggregate-to-'

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name })
const user = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name })
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources })

/** Namespaced things a workload owner works with (upstream's edit/view lists, in short). */
const WORKLOAD_CORE = [
  'pods',
  'pods/log',
  'pods/status',
  'services',
  'services/status',
  'endpoints',
  'configmaps',
  'persistentvolumeclaims',
  'persistentvolumeclaims/status',
  'replicationcontrollers',
  'replicationcontrollers/scale',
  'replicationcontrollers/status',
  'serviceaccounts',
  'events',
  'limitranges',
  'resourcequotas',
  'resourcequotas/status',
  'namespaces',
  'namespaces/status',
  'bindings',
]
const WORKLOAD_APPS = [
  'deployments',
  'deployments/scale',
  'deployments/status',
  'replicasets',
  'replicasets/scale',
  'replicasets/status',
  'statefulsets',
  'statefulsets/scale',
  'statefulsets/status',
  'daemonsets',
  'daemonsets/status',
  'controllerrevisions',
]

export const BOOTSTRAP_CLUSTER_ROLES: readonly BootstrapClusterRole[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }] },
  {
    name: 'system:discovery',
    rules: [
      {
        verbs: ['get'],
        nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/openapi', '/openapi/*', '/version', '/version/'],
      },
    ],
  },
  { name: 'system:public-info-viewer', rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
  {
    name: 'system:service-account-issuer-discovery',
    rules: [
      { verbs: ['get'], nonResourceURLs: ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'] },
    ],
  },
  {
    name: 'system:basic-user',
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  // admin ⊇ edit ⊇ view through aggregation labels, as upstream.
  { name: 'admin', aggregateFrom: `${AGG}admin`, rules: [] },
  { name: 'edit', aggregateFrom: `${AGG}edit`, labels: { [`${AGG}admin`]: 'true' }, rules: [] },
  { name: 'view', aggregateFrom: `${AGG}view`, labels: { [`${AGG}edit`]: 'true' }, rules: [] },
  {
    name: 'system:aggregate-to-view',
    labels: { [`${AGG}view`]: 'true' },
    rules: [
      rule(
        READ,
        [''],
        WORKLOAD_CORE.filter((r) => r !== 'bindings'),
      ),
      rule(READ, ['apps'], WORKLOAD_APPS),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status']),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['metrics.k8s.io'], ['pods', 'nodes']),
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [`${AGG}edit`]: 'true' },
    rules: [
      rule(
        ALL,
        [''],
        [
          'pods',
          'pods/exec',
          'pods/attach',
          'pods/portforward',
          'pods/proxy',
          'pods/eviction',
          'services',
          'services/proxy',
          'endpoints',
          'configmaps',
          'secrets',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
        ],
      ),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(READ, [''], ['secrets']),
      rule(
        ALL,
        ['apps'],
        WORKLOAD_APPS.filter((r) => !r.endsWith('/status')),
      ),
      rule(ALL, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(ALL, ['batch'], ['jobs', 'cronjobs']),
      rule(ALL, ['policy'], ['poddisruptionbudgets']),
      rule(ALL, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      rule(ALL, ['discovery.k8s.io'], ['endpointslices']),
    ],
  },
  {
    name: 'system:aggregate-to-admin',
    labels: { [`${AGG}admin`]: 'true' },
    rules: [rule(ALL, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']), rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews'])],
  },
  // Extension API servers delegate authentication and authorization to this one (upstream's role).
  {
    name: 'system:auth-delegator',
    rules: [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])],
  },
  // Approving a CSR needs `approve` on its signer (upstream's approver roles, bound to nobody).
  ...['kube-apiserver-client', 'kube-apiserver-client-kubelet', 'kubelet-serving', 'legacy-unknown'].map((signer) => ({
    name: `system:certificates.k8s.io:${signer}-approver`,
    rules: [{ verbs: ['approve'], apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: [`kubernetes.io/${signer}`] }],
  })),
  // Components.
  { name: 'system:kube-controller-manager', rules: [rule(['*'], ['*'], ['*'])] },
  {
    name: 'system:kube-scheduler',
    rules: [
      rule(READ, ['*'], ['*']),
      rule(['create'], [''], ['pods/binding', 'bindings']),
      rule(['update', 'patch'], [''], ['pods/status']),
      rule(['delete'], [''], ['pods']),
      rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
      rule(ALL, ['coordination.k8s.io'], ['leases']),
    ],
  },
  // Upstream's node rules; kubelets get them from the Node authorizer (node-authorizer.ts),
  // which narrows secrets, configmaps, volumes, tokens, leases and pods to the node's own.
  { name: 'system:node', rules: NODE_RULES },
  {
    name: 'system:node-proxier',
    rules: [
      rule(READ, [''], ['services', 'endpoints', 'nodes', 'pods', 'namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['networking.k8s.io'], ['networkpolicies']),
      // KubeLab's proxy also hands out LoadBalancer addresses (the job of a cloud's controller).
      rule(['update', 'patch'], [''], ['services/status']),
      rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
    ],
  },
  // The ingress controller on each node runs under the node's network-agent identity (the one
  // the proxy and the NetworkPolicy agent use): this is what it needs beyond theirs.
  {
    name: 'kubelab:ingress-controller',
    rules: [
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
      rule(['create'], ['networking.k8s.io'], ['ingressclasses']),
      rule(['update', 'patch'], ['networking.k8s.io'], ['ingresses/status']),
      rule(READ, [''], ['services', 'secrets']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(ALL, ['coordination.k8s.io'], ['leases']),
      rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
    ],
  },
  {
    name: 'system:kube-dns',
    // KubeLab's DNS publishes its own kube-dns Service and EndpointSlice (it runs as a host
    // process, not as a Deployment someone else exposes).
    rules: [
      rule(READ, [''], ['services', 'endpoints', 'pods', 'namespaces', 'nodes']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(['create', 'update', 'patch'], [''], ['services']),
      rule(['create', 'update', 'patch', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
    ],
  },
]

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly BootstrapBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [group('system:masters')] },
  { name: 'system:discovery', role: 'system:discovery', subjects: [group('system:authenticated')] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', subjects: [group('system:authenticated'), group('system:unauthenticated')] },
  { name: 'system:service-account-issuer-discovery', role: 'system:service-account-issuer-discovery', subjects: [group('system:serviceaccounts')] },
  { name: 'system:basic-user', role: 'system:basic-user', subjects: [group('system:authenticated')] },
  { name: 'system:kube-controller-manager', role: 'system:kube-controller-manager', subjects: [user('system:kube-controller-manager')] },
  { name: 'system:kube-scheduler', role: 'system:kube-scheduler', subjects: [user('system:kube-scheduler')] },
  // Bound to nobody, as upstream since 1.8: kubelets are authorized by the Node authorizer, so
  // one node's credentials do not reach other nodes' pods, Secrets or Node objects.
  { name: 'system:node', role: 'system:node', subjects: [] },
  { name: 'system:node-proxier', role: 'system:node-proxier', subjects: [user('system:kube-proxy'), group('system:node-proxier')] },
  { name: 'system:kube-dns', role: 'system:kube-dns', subjects: [user('system:kube-dns')] },
  { name: 'kubelab:ingress-controller', role: 'kubelab:ingress-controller', subjects: [user('system:kube-proxy'), group('system:node-proxier')] },
]
