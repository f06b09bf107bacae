// Kubernetes timestamps: metav1.Time (RFC 3339, whole seconds) and metav1.MicroTime (microseconds).

/** metav1.Time: 2006-01-02T15:04:05Z. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** metav1.MicroTime: 2006-01-02T15:04:05.000000Z (a Date has milliseconds; the rest are zeros). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z')
}
