// Compaction on etcd as kube-apiserver does it: every interval, compare-and-swap the root key
// `compact_rev_key` on its version (a logical clock shared by all API servers); the one that
// wins compacts to the revision it saw on its previous tick, so at least one interval of
// history is kept and several API servers do not compact over each other.
import type { Etcd3 } from 'etcd3'
import type * as RPC from 'etcd3/lib/rpc'

/** What the compactor needs of the store (EtcdStore), named here so the two do not import each other. */
export interface CompactableStore {
  readonly client: Pick<Etcd3, 'kv'>
  /** Note a response header's revision; returns it. */
  seen(header: RPC.IResponseHeader | undefined): number
  compact(revision: number): Promise<void>
}

const KEY = Buffer.from('compact_rev_key')

export class EtcdCompactor {
  private timer: NodeJS.Timeout | undefined
  private clock = 0 // compact_rev_key's version as this server last knew it
  private lastRev = 0 // revision seen at the previous tick: the next compaction target

  constructor(
    private readonly store: CompactableStore,
    intervalMs: number,
    private readonly log: (line: string) => void,
  ) {
    const tick = (): void => {
      this.tick()
        .catch((e: unknown) => this.log(`etcd compactor: ${e instanceof Error ? e.message : String(e)}; will retry in ${intervalMs / 1000}s`))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs).unref()
        })
    }
    this.timer = setTimeout(tick, intervalMs).unref()
  }

  /** One round; exposed for tests. */
  async tick(): Promise<void> {
    const r: RPC.ITxnResponse = await this.store.client.kv.txn({
      compare: [{ key: KEY, target: 'Version', result: 'Equal', version: this.clock }],
      success: [{ request_put: { key: KEY, value: Buffer.from(String(this.lastRev)) } }],
      failure: [{ request_range: { key: KEY } }],
    })
    const current = this.store.seen(r.header)
    if (!r.succeeded) {
      // Another API server compacted this round; adopt its clock.
      const kv = r.responses[0].response_range.kvs[0]
      this.clock = kv ? Number(kv.version) : 0
      this.lastRev = current
      return
    }
    this.clock++
    const target = this.lastRev
    this.lastRev = current
    if (target > 0) await this.store.compact(target)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
