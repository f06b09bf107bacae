// Go's time.Duration.String(), so protobuf Durations (nanoseconds) read back as kubectl wrote
// them in JSON: "1h2m3s", "30s", "1.5s", "500ms", "0s".

function trimFraction(intPart: number, frac: number, digits: number): string {
  if (frac === 0) return String(intPart)
  const f = String(frac).padStart(digits, '0').replace(/0+$/, '')
  return `${intPart}.${f}`
}

export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s'
  const neg = ns < 0
  let u = Math.abs(ns)
  let out: string
  if (u < 1e3) out = `${u}ns`
  else if (u < 1e6) out = `${trimFraction(Math.floor(u / 1e3), u % 1e3, 3)}µs`
  else if (u < 1e9) out = `${trimFraction(Math.floor(u / 1e6), u % 1e6, 6)}ms`
  else {
    const frac = u % 1e9
    u = Math.floor(u / 1e9)
    const h = Math.floor(u / 3600)
    const m = Math.floor((u % 3600) / 60)
    const s = u % 60
    out = `${trimFraction(s, frac, 9)}s`
    if (h > 0 || m > 0) out = `${m}m${out}`
    if (h > 0) out = `${h}h${out}`
  }
  return neg ? `-${out}` : out
}
