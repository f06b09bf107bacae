// The authorization step of every request: members of system:masters may do anything (as
// upstream's privileged-group check); everyone else needs an RBAC rule.
import type { Attributes, Decision, User } from './attributes'
import { authorizeRbac, rulesFor, type PolicyRule, type PolicySource, type RoleRef } from './rules'

export const MASTERS = 'system:masters'

export class Authorizer {
  constructor(private readonly policy: PolicySource) {}

  authorize(user: User, a: Attributes): Decision {
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: `member of ${MASTERS}` }
    return authorizeRbac(this.policy, user, a)
  }

  /** The rules a binding's roleRef grants (a Role only within `namespace`); undefined when the role does not exist. */
  roleRefRules(ref: RoleRef, namespace: string | undefined): readonly PolicyRule[] | undefined {
    if (ref.kind === 'ClusterRole') return this.policy.clusterRoleRules(ref.name)
    if (ref.kind === 'Role' && namespace) return this.policy.roleRules(namespace, ref.name)
    return undefined
  }

  /** What the user may do in a namespace (SelfSubjectRulesReview). */
  rules(user: User, namespace: string | undefined): PolicyRule[] {
    if (user.groups.includes(MASTERS)) return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }]
    return rulesFor(this.policy, user, namespace)
  }
}
