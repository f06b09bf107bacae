// Checks every backend makes before a transaction, so both refuse the same input with the same
// error (etcd itself would also refuse duplicate keys, with a less helpful message).
import type { Op } from './types'
import { StoreError } from './types'

/** Largest value accepted by a put, in bytes: etcd's default request limit. */
export const DEFAULT_MAX_VALUE_BYTES = 1.5 * 1024 * 1024

export function validateOps(ops: readonly Op[], maxValueBytes: number): void {
  const seen = new Set<string>()
  for (const op of ops) {
    if (seen.has(op.key)) throw new Error(`transaction has two operations on key "${op.key}"; combine them into one (etcd rejects this too)`)
    seen.add(op.key)
    if (op.type === 'put') {
      const size = Buffer.byteLength(op.value)
      if (size > maxValueBytes) {
        throw new StoreError('too-large', `value for key "${op.key}" is ${size} bytes; the store accepts at most ${maxValueBytes}`)
      }
    }
  }
}
