// Go-style durations on the command line ("1s", "500ms", "2m30s", "1h"), as upstream flags take them.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Milliseconds in a Go duration string; a bare number is seconds. Throws with the bad text. */
export function parseDurationMs(text: string): number {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g
  let total = 0
  let consumed = 0
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index !== consumed) break
    total += Number(m[1]) * UNIT_MS[m[2]!]!
    consumed = m.index + m[0].length
  }
  if (s === '' || consumed !== s.length) throw new Error(`${JSON.stringify(text)} is not a duration: use a number with a unit, e.g. 500ms, 5s, 2m, 1h30m`)
  return Math.round(total)
}
