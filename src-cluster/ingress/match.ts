// Host and path matching as the Ingress API defines it. Hosts: exact (case-insensitive) or a
// wildcard "*.example.com" covering exactly one extra leading label. Paths: Exact compares the
// whole path; Prefix compares element by element on "/" (a trailing "/" in the rule does not
// matter, and "/foo" does not match "/foobar"). ImplementationSpecific is treated as Prefix here.

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific'

/** The host part of a Host header: lower case, without port or IPv6 brackets. */
export function normalizeHost(header: string | undefined): string {
  if (!header) return ''
  let h = header.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end < 0 ? h : h.slice(1, end)
  }
  const colon = h.indexOf(':')
  if (colon >= 0) h = h.slice(0, colon)
  return h.endsWith('.') ? h.slice(0, -1) : h
}

/** The path of a request target, without query or fragment; "/" when empty. */
export function requestPath(url: string | undefined): string {
  let p = url ?? '/'
  // An absolute-form target (a client talking to us as a forward proxy) keeps only its path.
  if (!p.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(p)
    p = m?.[1] ?? '/'
  }
  const q = p.search(/[?#]/)
  if (q >= 0) p = p.slice(0, q)
  return p || '/'
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*.')
}

/** Whether a rule host ('' = every host) covers a request host. */
export function hostMatches(ruleHost: string, host: string): boolean {
  if (!ruleHost) return true
  const rule = ruleHost.toLowerCase()
  if (!isWildcardHost(rule)) return rule === host
  const suffix = rule.slice(1) // ".example.com"
  if (!host.endsWith(suffix)) return false
  const label = host.slice(0, host.length - suffix.length)
  return label.length > 0 && !label.includes('.')
}

function elements(path: string): string[] {
  return path.split('/').filter((e) => e !== '')
}

/** Whether a rule path of a given type matches a request path. */
export function pathMatches(type: PathType, rulePath: string, path: string): boolean {
  if (type === 'Exact') return rulePath === path
  const want = elements(rulePath)
  if (want.length === 0) return true
  const got = elements(path)
  if (got.length < want.length) return false
  return want.every((e, i) => e === got[i])
}

/**
 * How specific a matching rule path is, for "longest match wins": the length of the rule path
 * without its trailing "/", so "/a/" and "/a" tie (and Exact then beats Prefix).
 */
export function pathLength(type: PathType, rulePath: string): number {
  if (type === 'Exact') return rulePath.length
  return rulePath.replace(/\/+$/, '').length
}
