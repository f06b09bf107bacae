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
export function forbiddenMessage(user: User, attrs: Attributes, reason = ''): string {
  const why = reason ? `: ${reason}` : ''
  if (attrs.kind === 'nonresource') return `forbidden: User "${user.name}" cannot ${attrs.verb} path "${attrs.path}"${why}`
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource
  const qualified = attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource
  const subject = attrs.name ? `${qualified} "${attrs.name}" is forbidden` : `${qualified} is forbidden`
  const scope = attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope'
  return `${subject}: User "${user.name}" cannot ${attrs.verb} resource "${res}" in API group "${attrs.group}"${scope}${why}`
}
