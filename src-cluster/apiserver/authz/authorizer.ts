// The authorization step of every request, as upstream's --authorization-mode=Node,RBAC:
// members of system:masters may do anything (the privileged-group check), kubelets are
// decided by the Node authorizer first, and everyone else (and what the Node authorizer
// leaves open) needs an RBAC rule. A denial keeps the Node authorizer's reason.
import type { Attributes, Decision, User } from './attributes'
import { authorizeNode, nodeIdentity, NODE_RULES } from './node-authorizer'
import type { NodeGraph } from './node-graph'
import { authorizeRbac, rulesFor, type PolicyRule, type PolicySource, type RoleRef } from './rules'

export const MASTERS = 'system:masters'

export class Authorizer {
  constructor(
    private readonly policy: PolicySource,
    private readonly nodes?: NodeGraph,
  ) {}

  authorize(user: User, attrs: Attributes): Decision {
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: `member of ${MASTERS}` }
    const node = this.nodes ? authorizeNode(this.nodes, user, attrs) : undefined
    if (node?.allowed) return node
    const rbac = authorizeRbac(this.policy, user, attrs)
    return rbac.allowed || !node ? rbac : { allowed: false, reason: node.reason }
  }

  /** The rules a binding's roleRef grants (a Role only within `namespace`); undefined when the role does not exist. */
  roleRefRules(ref: RoleRef, namespace: string | undefined): readonly PolicyRule[] | undefined {
    if (ref.kind === 'ClusterRole') return this.policy.clusterRoleRules(ref.name)
    if (ref.kind === 'Role' && namespace) return this.policy.roleRules(namespace, ref.name)
    return undefined
  }

  /** What the user may do in a namespace (SelfSubjectRulesReview). */
  rules(user: User, namespace: string | undefined): PolicyRule[] {
    if (user.groups.includes(MASTERS))
      return [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ]
    const rules = rulesFor(this.policy, user, namespace)
    // A kubelet's static node rules (upstream's Node authorizer lists them too, as incomplete).
    return nodeIdentity(user) ? [...NODE_RULES, ...rules] : rules
  }
}
