// The authorization step of every request: members of system:masters may do anything (as
// upstream's privileged-group check); everyone else needs an RBAC rule.
import type { Attributes, Decision, User } from './attributes'
import { authorizeRbac, rulesFor, type PolicyRule, type PolicySource } from './rules'

export const MASTERS = 'system:masters'

export class Authorizer {
  constructor(private readonly policy: PolicySource) {}

  authorize(user: User, a: Attributes): Decision {
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: `member of ${MASTERS}` }
    return authorizeRbac(this.policy, user, a)
  }

  /** What the user may do in a namespace (SelfSubjectRulesReview). */
  rules(user: User, namespace: string | undefined): PolicyRule[] {
    if (user.groups.includes(MASTERS)) return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }]
    return rulesFor(this.policy, user, namespace)
  }
}
