// Upstream's Node authorizer: a kubelet (user system:node:NAME in group system:nodes) reads only
// the Secrets, ConfigMaps, PersistentVolumeClaims/Volumes and ServiceAccount tokens its own
// pods use, lists pods only with spec.nodeName=NAME, touches only its own Lease, and for the rest
// holds the static node rules (upstream's NodeRules). What a node may write to its Node and its
// pods is narrowed further by NodeRestriction admission (../admission/node-restriction.ts).
// A request this authorizer does not allow falls through to RBAC with the reason kept for the
// Forbidden message, as upstream's union authorizer does.
import type { Attributes, Decision, User } from './attributes'
import type { NodeGraph, NodeRefKind } from './node-graph'
import { ruleAllows, type PolicyRule } from './rules'

export const NODES_GROUP = 'system:nodes'
const NODE_USER_PREFIX = 'system:node:'

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources })
const READ = ['get', 'list', 'watch']

/** Upstream's NodeRules(): also the rules of the system:node ClusterRole (bound to nobody). */
export const NODE_RULES: readonly PolicyRule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [''], ['services']),
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['update', 'patch'], [''], ['nodes/status']),
  rule(['update', 'patch'], [''], ['nodes']),
  rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  rule(READ, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['update', 'patch'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(READ, [''], ['secrets', 'configmaps']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [''], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(['update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(READ, ['storage.k8s.io'], ['csidrivers']),
  rule([...READ, 'create', 'update', 'patch', 'delete'], ['storage.k8s.io'], ['csinodes']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
]

/** The node a user is, as upstream's NodeIdentifier: name system:node:NAME and group system:nodes. */
export function nodeIdentity(user: User | undefined): string | undefined {
  if (!user || !user.name.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined
  return user.name.slice(NODE_USER_PREFIX.length)
}

const ALLOW: Decision = { allowed: true, reason: 'node authorizer' }
const noOpinion = (reason: string): Decision => ({ allowed: false, reason })
const noRelationship = (node: string): Decision => noOpinion(`no relationship found between node '${node}' and this object`)

function staticRules(a: Attributes): Decision {
  return NODE_RULES.some((r) => ruleAllows(r, a)) ? ALLOW : noOpinion('')
}

/**
 * The Node authorizer's decision for a node's request; undefined when the user is no node.
 * `fieldSelector` is the list/watch request's raw ?fieldSelector.
 */
export function authorizeNode(graph: NodeGraph, user: User, attrs: Attributes): Decision | undefined {
  const node = nodeIdentity(user)
  if (node === undefined) return undefined
  if (!node) return noOpinion(`unknown node for user "${user.name}"`)
  if (attrs.kind !== 'resource') return staticRules(attrs)
  const gr = `${attrs.resource}.${attrs.group}`
  const graphCheck = (kind: NodeRefKind): Decision => {
    if (!attrs.name) return noOpinion('No Object name found')
    return graph.references(node, kind, attrs.namespace ?? '', attrs.name) ? ALLOW : noRelationship(node)
  }
  // Upstream (AuthorizeNodeWithSelectors) also narrows Node reads to the node's own Node. KubeLab's
  // kubelet is its node's network agent too (routes to every other node's podCIDR, the job of a
  // CNI DaemonSet with its own identity upstream), so nodes stay readable by the node rules.
  switch (gr) {
    case 'secrets.':
    case 'configmaps.': {
      if (!['get', 'list', 'watch'].includes(attrs.verb)) return noOpinion('can only read resources of this type')
      if (attrs.subresource) return noOpinion('cannot read subresource')
      if (!attrs.namespace) return noOpinion('can only read namespaced object of this type')
      return graphCheck(attrs.resource === 'secrets' ? 'secret' : 'configmap')
    }
    case 'persistentvolumeclaims.': {
      if (attrs.subresource === 'status') {
        if (attrs.verb !== 'update' && attrs.verb !== 'patch') return noOpinion('can only get or update persistentvolumeclaim status')
        return graphCheck('pvc')
      }
      if (attrs.verb !== 'get') return noOpinion('can only get individual resources of this type')
      if (attrs.subresource) return noOpinion('cannot get subresource')
      return graphCheck('pvc')
    }
    case 'persistentvolumes.': {
      if (attrs.verb !== 'get') return noOpinion('can only get individual resources of this type')
      if (attrs.subresource) return noOpinion('cannot get subresource')
      if (!attrs.name) return noOpinion('No Object name found')
      return graph.referencesVolume(node, attrs.name) ? ALLOW : noRelationship(node)
    }
    case 'serviceaccounts.': {
      if (attrs.verb !== 'create' || !attrs.name) return noOpinion('can only create tokens for individual service accounts')
      if (attrs.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount')
      return graphCheck('serviceaccount')
    }
    case 'leases.coordination.k8s.io': {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease')
      if (attrs.namespace !== 'kube-node-lease') return noOpinion('can only access leases in the "kube-node-lease" system namespace')
      // The name of a create is checked by NodeRestriction (the authorizer does not see the body).
      if (attrs.verb !== 'create' && attrs.name !== node) return noOpinion('can only access node lease with the same name as the requesting node')
      return ALLOW
    }
    case 'pods.': {
      if (attrs.subresource) return staticRules(attrs)
      if (attrs.verb === 'get') {
        if (!attrs.name || !attrs.namespace) return noOpinion('No Object name found')
        return graph.podNode(attrs.namespace, attrs.name) === node ? ALLOW : noRelationship(node)
      }
      if (attrs.verb === 'list' || attrs.verb === 'watch') {
        if (selectsNode(attrs.fieldSelector, node)) return ALLOW
        // One pod by metadata.name: allowed when it is bound to this node.
        if (attrs.name && attrs.namespace) return graph.podNode(attrs.namespace, attrs.name) === node ? ALLOW : noRelationship(node)
        return noOpinion('can only list/watch pods with spec.nodeName field selector')
      }
      return staticRules(attrs)
    }
  }
  return staticRules(attrs)
}

/** Whether a field selector pins spec.nodeName to exactly this node (upstream accepts `=` and `==`). */
function selectsNode(fieldSelector: string | undefined, node: string): boolean {
  if (!fieldSelector) return false
  return fieldSelector.split(',').some((req) => {
    const m = /^\s*spec\.nodeName\s*==?\s*(.*?)\s*$/.exec(req)
    return m !== null && m[1] === node
  })
}
