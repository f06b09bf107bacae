// RFC 3339 timestamps as metav1.Time / MicroTime accept them.

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

export function isRFC3339(text: string): boolean {
  return RFC3339_RE.test(text) && !Number.isNaN(Date.parse(text.replace(' ', 'T')))
}
