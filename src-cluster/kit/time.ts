// Kubernetes timestamps: metav1.Time (RFC 3339, whole seconds) and metav1.MicroTime (microseconds).

let lastSecond = NaN
let lastText = ''

/** metav1.Time: 2006-01-02T15:04:05Z. (Every write stamps one; within a second it is the same text.) */
export function rfc3339(date: Date): string {
  const second = Math.floor(date.getTime() / 1000)
  if (second !== lastSecond) {
    // toISOString always ends in ".sssZ"; an invalid date throws, as before (NaN never matches).
    lastText = date.toISOString().slice(0, -5) + 'Z'
    lastSecond = second
  }
  return lastText
}

/** metav1.MicroTime: 2006-01-02T15:04:05.000000Z (a Date has milliseconds; the rest are zeros). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z')
}
