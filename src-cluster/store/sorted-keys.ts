// A sorted set of strings kept as a list of bounded sorted chunks. Insert and delete cost a
// binary search plus a splice inside one chunk (never a copy of the whole set), and a cursor
// can walk keys in order from any lower bound, which is what prefix ranges need.

const MAX_CHUNK = 512

/** Position in the set: chunk number and offset inside it. */
export interface Cursor {
  chunk: number
  index: number
}

export class SortedKeys {
  private chunks: string[][] = []
  private total = 0

  get size(): number {
    return this.total
  }

  has(key: string): boolean {
    const c = this.lowerBound(key, false)
    return this.at(c) === key
  }

  insert(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key])
      this.total = 1
      return true
    }
    let ci = this.chunkFor(key)
    if (ci === this.chunks.length) ci-- // past the end: append to the last chunk
    const chunk = this.chunks[ci]
    const i = lowerIndex(chunk, key)
    if (chunk[i] === key) return false
    chunk.splice(i, 0, key)
    this.total++
    if (chunk.length > MAX_CHUNK) {
      // Split in halves so both stay well under the bound.
      const tail = chunk.splice(chunk.length >> 1)
      this.chunks.splice(ci + 1, 0, tail)
    }
    return true
  }

  delete(key: string): boolean {
    const ci = this.chunkFor(key)
    if (ci === this.chunks.length) return false
    const chunk = this.chunks[ci]
    const i = lowerIndex(chunk, key)
    if (chunk[i] !== key) return false
    chunk.splice(i, 1)
    this.total--
    if (chunk.length === 0) this.chunks.splice(ci, 1)
    return true
  }

  /** First position whose key is ≥ key (> key when strict). */
  lowerBound(key: string, strict: boolean): Cursor {
    let ci = this.chunkFor(key)
    if (ci === this.chunks.length) return { chunk: ci, index: 0 }
    const chunk = this.chunks[ci]
    let i = lowerIndex(chunk, key)
    if (strict && chunk[i] === key) i++
    if (i === chunk.length) {
      ci++
      i = 0
    }
    return { chunk: ci, index: i }
  }

  /** Key at a cursor, or undefined at the end. */
  at(cursor: Cursor): string | undefined {
    const chunk = this.chunks[cursor.chunk]
    return chunk === undefined ? undefined : chunk[cursor.index]
  }

  /** Move a cursor one key forward (in place). */
  next(cursor: Cursor): void {
    cursor.index++
    if (cursor.index >= this.chunks[cursor.chunk].length) {
      cursor.chunk++
      cursor.index = 0
    }
  }

  /** Number of keys before a cursor. Costs one step per chunk, not per key. */
  rank(cursor: Cursor): number {
    let n = 0
    for (let i = 0; i < cursor.chunk && i < this.chunks.length; i++) n += this.chunks[i].length
    return n + cursor.index
  }

  *keys(): IterableIterator<string> {
    for (const chunk of this.chunks) yield* chunk
  }

  /** Index of the first chunk whose last key is ≥ key (chunks.length when none). */
  private chunkFor(key: string): number {
    let lo = 0
    let hi = this.chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const chunk = this.chunks[mid]
      if (chunk[chunk.length - 1] < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

function lowerIndex(arr: readonly string[], key: string): number {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (arr[mid] < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Smallest string greater than every string starting with prefix, or undefined for "all". */
export function prefixEnd(prefix: string): string | undefined {
  let p = prefix
  while (p.length > 0) {
    const last = p.charCodeAt(p.length - 1)
    if (last < 0xffff) return p.slice(0, -1) + String.fromCharCode(last + 1)
    p = p.slice(0, -1)
  }
  return undefined
}
