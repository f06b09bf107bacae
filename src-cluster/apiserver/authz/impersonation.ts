// Impersonate-User / -Group / -Uid headers (kubectl --as, --as-group, --as-uid): the requester
// must be allowed to impersonate each, then the request runs as the impersonated user.
import type { ApiRequest } from '../exchange'
import { errors } from '../status'
import { forbiddenMessage, type Attributes, type User } from './attributes'
import type { Authorizer } from './authorizer'

function headerList(req: ApiRequest, name: string): string[] {
  const v = req.headers[name]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)
}

export function impersonate(req: ApiRequest, requester: User, authz: Authorizer): User {
  const [asUser] = headerList(req, 'impersonate-user')
  const asGroups = headerList(req, 'impersonate-group')
  const [asUid] = headerList(req, 'impersonate-uid')
  if (!asUser) {
    if (asGroups.length || asUid) throw errors.badRequest('Impersonate-Group and Impersonate-Uid need Impersonate-User too (kubectl: add --as=USER)')
    return requester
  }
  const check = (a: Attributes): void => {
    const d = authz.authorize(requester, a)
    if (!d.allowed) throw errors.forbidden(forbiddenMessage(requester, a))
  }
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(asUser)
  if (sa) check({ kind: 'resource', verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] })
  else check({ kind: 'resource', verb: 'impersonate', group: '', resource: 'users', name: asUser })
  for (const g of asGroups) check({ kind: 'resource', verb: 'impersonate', group: '', resource: 'groups', name: g })
  if (asUid) check({ kind: 'resource', verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids', name: asUid })
  // Groups a service account or any authenticated user has, when none are asked for.
  const groups = new Set(asGroups)
  if (sa && !asGroups.length) {
    groups.add('system:serviceaccounts')
    groups.add(`system:serviceaccounts:${sa[1]}`)
  }
  if (asUser !== 'system:anonymous') groups.add('system:authenticated')
  return { name: asUser, groups: [...groups], uid: asUid }
}
