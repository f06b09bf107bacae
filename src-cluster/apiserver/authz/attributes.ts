// What an authorizer decides on (upstream's authorizer.Attributes): who, which verb, and either
// a resource (group, resource, subresource, namespace, name) or a non-resource URL path.
import type { User } from '../user'

export interface ResourceAttributes {
  readonly kind: 'resource'
  readonly verb: string
  readonly group: string
  readonly resource: string
  readonly subresource?: string
  readonly namespace?: string
  readonly name?: string
  /** A list/watch request's ?fieldSelector (the Node authorizer reads spec.nodeName from it). */
  readonly fieldSelector?: string
}

export interface NonResourceAttributes {
  readonly kind: 'nonresource'
  readonly verb: string
  readonly path: string
}

export type Attributes = ResourceAttributes | NonResourceAttributes

export interface Decision {
  readonly allowed: boolean
  /** Which binding allowed it, or why nothing did. */
  readonly reason: string
}

export type { User }

/**
 * Upstream's Forbidden message, word for word in shape, so kubectl users see the familiar text;
 * an authorizer's reason (the Node authorizer's "no relationship found …") follows after ": ".
 */
export function forbiddenMessage(user: User, a: Attributes, reason = ''): string {
  const why = reason ? `: ${reason}` : ''
  if (a.kind === 'nonresource') return `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"${why}`
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource
  const subject = a.name ? `${qualified} "${a.name}" is forbidden` : `${qualified} is forbidden`
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope'
  return `${subject}: User "${user.name}" cannot ${a.verb} resource "${res}" in API group "${a.group}"${scope}${why}`
}
