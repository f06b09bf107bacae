// Resource lists (name → quantity) as upstream's quota helpers treat them: exact sums, masks,
// comparisons, and the `a=1,b=2` printing used in quota messages.
import { addQuantity, exactQuantity, formatExact, maxQuantity, subQuantity, ZERO_QUANTITY, type ExactQuantity } from '../quantity'

export type ResourceList = Map<string, ExactQuantity>

/** From an object's `{cpu: "1", memory: "1Gi"}` map; unparsable values are skipped (validation refuses them). */
export function fromMap(m: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = new Map()
  for (const [k, v] of Object.entries(m ?? {})) {
    if (typeof v !== 'string' && typeof v !== 'number') continue
    try {
      out.set(k, exactQuantity(String(v)))
    } catch {
      // not a quantity: validation answers for it
    }
  }
  return out
}

export function toMap(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of [...l.keys()].sort()) out[k] = formatExact(l.get(k)!)
  return out
}

export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a)
  for (const [k, v] of b) out.set(k, addQuantity(out.get(k) ?? ZERO_QUANTITY, v))
  return out
}

export function subtract(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a)
  for (const [k, v] of b) out.set(k, subQuantity(out.get(k) ?? ZERO_QUANTITY, v))
  return out
}

/** Per key, the larger of the two (how init containers count against app containers). */
export function max(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a)
  for (const [k, v] of b) out.set(k, out.has(k) ? maxQuantity(out.get(k)!, v) : v)
  return out
}

/** Only the given names. */
export function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map()
  for (const n of names) if (l.has(n)) out.set(n, l.get(n)!)
  return out
}

/** Names in `a` whose value exceeds `limits` (names missing from `limits` are not limited). */
export function exceeded(a: ResourceList, limits: ResourceList): string[] {
  const out: string[] = []
  for (const [k, v] of a) {
    const lim = limits.get(k)
    if (lim && v.nano > lim.nano) out.push(k)
  }
  return out.sort()
}

export function isZero(l: ResourceList): boolean {
  for (const v of l.values()) if (v.nano !== 0n) return false
  return true
}

/** upstream's prettyPrint: `name=value` sorted by name, joined by commas. */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()]
    .sort()
    .map((k) => `${k}=${formatExact(l.get(k)!)}`)
    .join(',')
}

export function equalLists(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k)?.nano !== v.nano) return false
  return true
}

export const one = (): ExactQuantity => ({ nano: 1_000_000_000n, format: 'DecimalSI' })
