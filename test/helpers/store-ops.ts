// Small storage operations and a watch collector shared by the store tests (the embedded
// store's own suite and the conformance suite run on every backend).
import type { Storage, StoreError, WatchEvent } from '../../src-cluster/store/types'

export const create = (storage: Storage, key: string, value: string) => storage.txn([{ key, target: 'modRevision', equals: 0 }], [{ type: 'put', key, value }])
export const put = (storage: Storage, key: string, value: string) => storage.txn([], [{ type: 'put', key, value }])
export const del = (storage: Storage, key: string) => storage.txn([], [{ type: 'delete', key }])

/** Collect watch batches until `eventCount` events arrived. */
export function collect(storage: Storage, prefix: string, after: number, eventCount: number) {
  const batches: { revision: number; events: readonly WatchEvent[] }[] = []
  let resolveDone: () => void = () => undefined
  let rejectDone: (e: StoreError) => void = () => undefined
  const done = new Promise<void>((res, rej) => {
    resolveDone = res
    rejectDone = rej
  })
  let count = 0
  const w = storage.watch(
    prefix,
    { afterRevision: after },
    (events, revision) => {
      batches.push({ revision, events })
      count += events.length
      if (count >= eventCount) resolveDone()
    },
    (err) => rejectDone(err),
  )
  return { batches, done, cancel: () => w.cancel() }
}
