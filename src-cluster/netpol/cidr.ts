// IPv4 CIDR arithmetic for ipBlock peers: iptables matches one source or destination range per
// rule, so "cidr except a, b" is turned into the list of ranges that cover cidr minus a and b.
import { cidrContains, numberToIp, parseCidr, type Cidr } from '../kit/ipv4'

function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrContains(outer, numberToIp(inner.base))
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a)
}

function make(base: number, prefix: number): Cidr {
  return { base: base >>> 0, prefix, text: `${numberToIp(base >>> 0)}/${prefix}` }
}

/** `c` with `hole` taken out: the halves not containing the hole, down to the hole's size. */
function subtractOne(c: Cidr, hole: Cidr): Cidr[] {
  if (!overlaps(c, hole)) return [c]
  if (contains(hole, c)) return []
  const out: Cidr[] = []
  let cur = c
  while (cur.prefix < hole.prefix) {
    const prefix = cur.prefix + 1
    const lo = make(cur.base, prefix)
    const hi = make(cur.base + 2 ** (32 - prefix), prefix)
    if (contains(lo, hole)) {
      out.push(hi)
      cur = lo
    } else {
      out.push(lo)
      cur = hi
    }
  }
  return out
}

/**
 * The ranges covering `cidr` minus every `except` range, as normalised CIDR texts in address
 * order. Throws (naming the value) for text that is not an IPv4 CIDR.
 */
export function subtractCidrs(cidr: string, except: readonly string[] = []): string[] {
  let parts = [parseCidr(cidr)]
  for (const e of except) {
    const hole = parseCidr(e)
    parts = parts.flatMap((p) => subtractOne(p, hole))
  }
  return parts.sort((a, b) => a.base - b.base || a.prefix - b.prefix).map((p) => p.text)
}

/** True when `ip` lies in `cidr` but in none of `except`. */
export function inIpBlock(ip: string, cidr: string, except: readonly string[] = []): boolean {
  if (!cidrContains(parseCidr(cidr), ip)) return false
  return !except.some((e) => cidrContains(parseCidr(e), ip))
}

/** IPv6 blocks are skipped by the agent (the pod network is IPv4 only). */
export function isIPv4Cidr(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text.trim())
}
