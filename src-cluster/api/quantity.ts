// Kubernetes resource quantities ("100m", "1.5Gi", "2e3"): parsing for validation and
// comparisons, and the canonical form the API server answers with.

const QUANTITY_RE = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/

const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY_EXP: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent'

interface Parsed {
  /** value = num / den exactly */
  num: bigint
  den: bigint
  format: QuantityFormat
}

function parseExact(s: string): Parsed {
  const m = QUANTITY_RE.exec(s)
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`)
  }
  const sign = m[1] === '-' ? -1n : 1n
  const intDigits = m[2] || '0'
  const frac = m[3] ?? ''
  const suffix = m[4] ?? ''
  let num = BigInt(intDigits + frac) * sign
  let den = 10n ** BigInt(frac.length)
  let format: QuantityFormat = 'DecimalSI'
  if (suffix in BINARY_EXP) {
    num *= 2n ** BigInt(BINARY_EXP[suffix])
    format = 'BinarySI'
  } else {
    let exp: number
    if (suffix in DECIMAL_EXP) exp = DECIMAL_EXP[suffix]
    else {
      exp = Number(suffix.slice(1))
      format = 'DecimalExponent'
    }
    if (exp >= 0) num *= 10n ** BigInt(exp)
    else den *= 10n ** BigInt(-exp)
  }
  return { num, den, format }
}

/** The value in base units (cores, bytes): "100m" → 0.1, "1Ki" → 1024. Throws on a malformed string. */
export function parseQuantity(text: string): number {
  const p = parseExact(text.trim() === text ? text : '#')
  return Number(p.num) / Number(p.den)
}

export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text)
    return true
  } catch {
    return false
  }
}

const DECIMAL_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' }
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']

function formatDecimal(nano: bigint, exponent: boolean): string {
  if (nano === 0n) return '0'
  const neg = nano < 0n
  let v = neg ? -nano : nano
  // Largest multiple-of-3 exponent that keeps the mantissa an integer.
  let exp = -9
  while (exp < 18 && v % 1000n === 0n) {
    v /= 1000n
    exp += 3
  }
  const suffix = exponent ? (exp === 0 ? '' : `e${exp}`) : DECIMAL_SUFFIX[exp]
  return `${neg ? '-' : ''}${v}${suffix}`
}

/**
 * Canonical form, as the API server serializes quantities: "0.5" → "500m", "1000m" → "1",
 * "1024Mi" → "1Gi", "1.5Gi" → "1536Mi". Precision below 1n is rounded up, like upstream.
 */
export function canonicalQuantity(text: string): string {
  const p = parseExact(text)
  const scaled = p.num * 1_000_000_000n
  let nano = scaled / p.den
  if (scaled % p.den !== 0n && scaled > 0n) nano += 1n
  if (p.format === 'BinarySI' && nano % 1_000_000_000n === 0n) return canonicalBinary(nano / 1_000_000_000n)
  return formatDecimal(nano, p.format === 'DecimalExponent')
}

/** Formats a base-unit value: integers as BinarySI when asked (falling back to decimal), else DecimalSI. */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (format === 'BinarySI' && Number.isInteger(value)) return canonicalBinary(BigInt(value))
  return formatDecimal(BigInt(Math.round(value * 1e9)), format === 'DecimalExponent')
}

function canonicalBinary(whole: bigint): string {
  if (whole > -1024n && whole < 1024n) return String(whole)
  let v = whole < 0n ? -whole : whole
  let i = 0
  while (i < BINARY_SUFFIX.length - 1 && v % 1024n === 0n) {
    v /= 1024n
    i++
  }
  return i === 0 ? String(whole) : `${whole < 0n ? '-' : ''}${v}${BINARY_SUFFIX[i]}`
}

/**
 * An exact quantity for arithmetic (quota sums, limit checks): the value in nano-units and the
 * format it prints in. Upstream's Quantity keeps the format of the left operand of Add/Sub
 * (unless that one is zero), so sums print as "1500m" or "3Gi" like theirs.
 */
export interface ExactQuantity {
  readonly nano: bigint
  readonly format: QuantityFormat
}

export function exactQuantity(text: string): ExactQuantity {
  const p = parseExact(text)
  const scaled = p.num * 1_000_000_000n
  let nano = scaled / p.den
  if (scaled % p.den !== 0n && scaled > 0n) nano += 1n
  return { nano, format: p.format }
}

export function addQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  return { nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format }
}

export function subQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  return { nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format }
}

export function maxQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  return b.nano > a.nano ? b : a
}

/** Canonical string, as upstream's Quantity.String(). */
export function formatExact(exactQuantity: ExactQuantity): string {
  if (exactQuantity.format === 'BinarySI' && exactQuantity.nano % 1_000_000_000n === 0n) return canonicalBinary(exactQuantity.nano / 1_000_000_000n)
  return formatDecimal(exactQuantity.nano, exactQuantity.format === 'DecimalExponent')
}

export const ZERO_QUANTITY: ExactQuantity = { nano: 0n, format: 'DecimalSI' }
