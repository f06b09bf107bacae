// A text delta: the edits that turn one string (the base) into another (the target), as copies of
// the base's ranges and literal text. The store keeps a superseded version of a key as the delta
// from its successor's value: consecutive versions of an object share almost all of their JSON (a
// pod's status update changes a few fields and a managedFields timestamp), so a 3–4 KB pod version
// becomes ~120 characters.
//
// Encoding, one string: ops one after the other; each starts with a varint (7 bits per char,
// high bit = more follows, so every char of it is < 256) of (length << 1 | copy); a copy is
// followed by the varint of its offset in the base, a literal by its `length` chars.

/** Bytes in a match before it is taken as a copy (shorter runs stay literal). */
const MIN_MATCH = 8
const TABLE_BITS = 13
const TABLE_SIZE = 1 << TABLE_BITS
/** Position in the base of each hash slot, valid when its stamp is the current pass's. */
const table = new Int32Array(TABLE_SIZE)
const stamps = new Int32Array(TABLE_SIZE)
let pass = 0
const HASH_MUL = 0x01000193
/** HASH_MUL ** (MIN_MATCH - 1), 32-bit: what the char leaving the rolling window weighs. */
const HASH_OUT = (() => {
  let x = 1
  for (let i = 0; i < MIN_MATCH - 1; i++) x = Math.imul(x, HASH_MUL)
  return x
})()

function slotOf(hash: number): number {
  return (hash ^ (hash >>> TABLE_BITS)) & (TABLE_SIZE - 1)
}

function pushVarint(out: string[], n: number): void {
  while (n >= 128) {
    out.push(String.fromCharCode(128 | (n % 128)))
    n = Math.floor(n / 128)
  }
  out.push(String.fromCharCode(n))
}

function pushCopy(out: string[], offset: number, length: number): void {
  pushVarint(out, length * 2 + 1)
  pushVarint(out, offset)
}

function pushLiteral(out: string[], text: string): void {
  pushVarint(out, text.length * 2)
  out.push(text)
}

/** Length of the common prefix of `a` and `b` (binary search on slices: compared as whole blocks). */
export function commonPrefix(a: string, b: string): number {
  let lo = 0
  let hi = Math.min(a.length, b.length)
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Length of the common suffix of `a` and `b`, not reaching into their first `skip` chars. */
export function commonSuffix(a: string, b: string, skip: number): number {
  const la = a.length
  const lb = b.length
  let lo = 0
  let hi = Math.min(la, lb) - skip
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (a.slice(la - mid, la - lo) === b.slice(lb - mid, lb - lo)) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The delta that turns `base` into `target` (applyDelta(delta, base) === target). */
export function makeDelta(target: string, base: string): string {
  const la = target.length
  const lb = base.length
  const prefix = commonPrefix(target, base)
  const suffix = commonSuffix(target, base, prefix)
  const out: string[] = []
  if (prefix > 0) pushCopy(out, 0, prefix)
  const targetEnd = la - suffix
  const baseEnd = lb - suffix
  // Index every MIN_MATCH-long window of the base's middle by a rolling hash (the last position wins).
  pass++
  if (pass === 0x7fffffff) {
    stamps.fill(0)
    pass = 1
  }
  if (baseEnd - prefix >= MIN_MATCH) {
    let h = 0
    for (let k = 0; k < MIN_MATCH; k++) h = (Math.imul(h, HASH_MUL) + base.charCodeAt(prefix + k)) | 0
    for (let i = prefix; ; i++) {
      const slot = slotOf(h)
      stamps[slot] = pass
      table[slot] = i
      if (i + MIN_MATCH >= baseEnd) break
      h = (Math.imul(h - Math.imul(base.charCodeAt(i), HASH_OUT), HASH_MUL) + base.charCodeAt(i + MIN_MATCH)) | 0
    }
  }
  // Walk the target's middle: where a window's hash points at an equal run of the base, copy it.
  let literalFrom = prefix
  let j = prefix
  let h = 0
  let hashed = false
  while (j + MIN_MATCH <= targetEnd) {
    if (!hashed) {
      h = 0
      for (let k = 0; k < MIN_MATCH; k++) h = (Math.imul(h, HASH_MUL) + target.charCodeAt(j + k)) | 0
      hashed = true
    }
    const slot = slotOf(h)
    if (stamps[slot] === pass) {
      const at = table[slot]
      let n = 0
      while (j + n < targetEnd && at + n < baseEnd && target.charCodeAt(j + n) === base.charCodeAt(at + n)) n++
      if (n >= MIN_MATCH) {
        let back = 0
        while (j - back > literalFrom && at - back > prefix && target.charCodeAt(j - back - 1) === base.charCodeAt(at - back - 1)) back++
        if (j - back > literalFrom) pushLiteral(out, target.slice(literalFrom, j - back))
        pushCopy(out, at - back, n + back)
        j += n
        literalFrom = j
        hashed = false
        continue
      }
    }
    if (j + MIN_MATCH < targetEnd) h = (Math.imul(h - Math.imul(target.charCodeAt(j), HASH_OUT), HASH_MUL) + target.charCodeAt(j + MIN_MATCH)) | 0
    j++
  }
  if (targetEnd > literalFrom) pushLiteral(out, target.slice(literalFrom, targetEnd))
  if (suffix > 0) pushCopy(out, lb - suffix, suffix)
  return out.join('')
}

/** The string `delta` (from makeDelta) was made for, given the same `base`. */
export function applyDelta(delta: string, base: string): string {
  const parts: string[] = []
  let pos = 0
  const varint = (): number => {
    let n = 0
    let scale = 1
    let c: number
    do {
      c = delta.charCodeAt(pos++)
      n += (c & 127) * scale
      scale *= 128
    } while (c >= 128)
    return n
  }
  while (pos < delta.length) {
    const head = varint()
    const length = Math.floor(head / 2)
    if (head % 2 === 1) {
      const offset = varint()
      parts.push(base.slice(offset, offset + length))
    } else {
      parts.push(delta.slice(pos, pos + length))
      pos += length
    }
  }
  return parts.join('')
}
