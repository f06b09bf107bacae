// Resource lists (name → quantity) as upstream's quota helpers treat them: exact sums, masks,
// comparisons, and the `a=1,b=2` printing used in quota messages.
import { addQuantity, exactQuantity, formatExact, maxQuantity, subQuantity, ZERO_QUANTITY, type ExactQuantity } from '../quantity'

export type ResourceList = Map<string, ExactQuantity>

/** From an object's `{cpu: "1", memory: "1Gi"}` map; unparsable values are skipped (validation refuses them). */
export function fromMap(record: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = new Map()
  for (const [k, v] of Object.entries(record ?? {})) {
    if (typeof v !== 'string' && typeof v !== 'number') continue
    try {
      out.set(k, exactQuantity(String(v)))
    } catch {
      // not a quantity: validation answers for it
    }
  }
  return out
}

export function toMap(resourceList: ResourceList): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of [...resourceList.keys()].sort()) out[k] = formatExact(resourceList.get(k)!)
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
export function mask(resourceList: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map()
  for (const n of names) if (resourceList.has(n)) out.set(n, resourceList.get(n)!)
  return out
}

/** Names in `resourceList` whose value exceeds `limits` (names missing from `limits` are not limited). */
export function exceeded(resourceList: ResourceList, limits: ResourceList): string[] {
  const out: string[] = []
  for (const [k, v] of resourceList) {
    const lim = limits.get(k)
    if (lim && v.nano > lim.nano) out.push(k)
  }
  return out.sort()
}

export function isZero(resourceList: ResourceList): boolean {
  for (const v of resourceList.values()) if (v.nano !== 0n) return false
  return true
}

/** upstream's prettyPrint: `name=value` sorted by name, joined by commas. */
export function prettyPrint(resourceList: ResourceList): string {
  return [...resourceList.keys()]
    .sort()
    .map((k) => `${k}=${formatExact(resourceList.get(k)!)}`)
    .join(',')
}

export function equalLists(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k)?.nano !== v.nano) return false
  return true
}

export const one = (): ExactQuantity => ({ nano: 1_000_000_000n, format: 'DecimalSI' })
