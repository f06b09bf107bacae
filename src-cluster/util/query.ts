// Query parameters as upstream's apiserver reads them (apimachinery runtime/conversion.go):
// a boolean is false when absent, "0" or "false" in any case, and true otherwise, so the
// Python client's `watch=True` and a bare `?watch` both mean true. Only the first value counts.

export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name)
  if (v === null) return false
  const s = v.toLowerCase()
  return s !== '0' && s !== 'false'
}

/** True when any of the names is set to a true value (the kubelet accepts two spellings). */
export function queryAnyBool(query: URLSearchParams, ...names: string[]): boolean {
  return names.some((n) => queryBool(query, n))
}
