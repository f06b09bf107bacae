// The client side of a live list: a snapshot, then batches. Pure functions over a Map so the
// store can keep rows out of Vue's deep reactivity (1000 pods must not become 1000 proxies).
import type { ResourceBatch, ResourceRow, WatchSnapshot } from '@contract'

/** resourceVersions are etcd-style revisions: decimal integers, larger is newer. */
export function rvNewer(candidate: string, current: string): boolean {
  if (!/^\d+$/.test(candidate) || !/^\d+$/.test(current)) return candidate !== current
  if (candidate.length !== current.length) return candidate.length > current.length
  return candidate >= current
}

export function rowsFromSnapshot(watchSnapshot: WatchSnapshot): Map<string, ResourceRow> {
  return new Map(watchSnapshot.rows.map((r) => [r.key, r]))
}

/**
 * Applies a batch in place; returns how many rows changed. An update or delete older than what
 * is shown is dropped (a late event must never roll the table back). A delete is kept as a
 * tombstone rv so a stale re-add of the same object does not resurrect it.
 */
export function applyBatch(rows: Map<string, ResourceRow>, batch: Pick<ResourceBatch, 'upserts' | 'deletes'>, tombstones = new Map<string, string>()): number {
  let changed = 0
  for (const d of batch.deletes) {
    const cur = rows.get(d.key)
    if (cur && !rvNewer(d.resourceVersion, cur.resourceVersion)) continue
    if (cur) {
      rows.delete(d.key)
      changed++
    }
    tombstones.set(d.key, d.resourceVersion)
  }
  for (const r of batch.upserts) {
    const cur = rows.get(r.key)
    if (cur && cur.uid === r.uid && !rvNewer(r.resourceVersion, cur.resourceVersion)) continue
    const dead = tombstones.get(r.key)
    if (!cur && dead !== undefined && !rvNewer(r.resourceVersion, dead)) continue
    if (cur === r) continue
    rows.set(r.key, r)
    tombstones.delete(r.key)
    changed++
  }
  return changed
}

/** Age as kubectl prints it (5s, 3m12s, 4h, 2d), from a creation time. */
export function formatAge(createdAt: string | null, now: number): string {
  if (!createdAt) return '<unknown>'
  const t = Date.parse(createdAt)
  if (Number.isNaN(t)) return '<unknown>'
  const s = Math.max(0, Math.floor((now - t) / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${h < 8 && m % 60 ? `${m % 60}m` : ''}`
  return `${Math.floor(h / 24)}d`
}

/** Rows sorted by namespace then name, filtered by a free-text query over name and cells. */
export function visibleRows(rows: Iterable<ResourceRow>, query: string): ResourceRow[] {
  const q = query.trim().toLowerCase()
  const out: ResourceRow[] = []
  for (const r of rows) {
    if (q && !r.key.toLowerCase().includes(q) && !r.cells.some((c) => String(c).toLowerCase().includes(q))) continue
    out.push(r)
  }
  return out.sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name))
}

export function listKey(cluster: string, type: string, namespace: string | null): string {
  return `${cluster}|${type}|${namespace ?? '*'}`
}
