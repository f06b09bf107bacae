// The heap profile's top consumers: a V8 heap snapshot's objects grouped by what they are (the
// constructor's name for objects; strings, arrays, closures and code as one group each) with
// their summed self size. Run on a snapshot file in its own process, so the parse does not
// weigh on the process measured: `node --import tsx bench/lib/heap-summary.ts FILE [TOP]`.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface HeapGroup {
  readonly what: string
  readonly count: number
  readonly bytes: number
}

export interface HeapSummary {
  readonly totalBytes: number
  readonly objects: number
  /** Bytes in strings whose content another string in the heap also holds (copies of the same text; strings under 1024 characters). */
  readonly duplicateStringBytes: number
  readonly top: readonly HeapGroup[]
}

interface Meta {
  node_fields: string[]
  node_types: [string[], ...unknown[]]
  node_count?: number
}

/**
 * A snapshot's meta, nodes and strings, read from the file's bytes: a snapshot of a few hundred
 * MiB of heap is past what one JSON string (or JSON.parse) can hold.
 */
function readSnapshot(buf: Buffer): { meta: Meta; nodes: Float64Array; strings: string[] } {
  const nodesAt = buf.indexOf('"nodes":[')
  const head = JSON.parse(buf.toString('utf8', 0, nodesAt).replace(/,\s*$/, '') + '}') as { snapshot: { meta: Meta; node_count: number } }
  const meta = head.snapshot.meta
  const nodes = new Float64Array(head.snapshot.node_count * meta.node_fields.length)
  let n = 0
  let cur = 0
  let inNum = false
  let i = nodesAt + '"nodes":['.length
  for (; i < buf.length; i++) {
    const c = buf[i]!
    if (c >= 48 && c <= 57) {
      cur = cur * 10 + (c - 48)
      inNum = true
    } else {
      if (inNum) nodes[n++] = cur
      cur = 0
      inNum = false
      if (c === 93) break // ]
    }
  }
  const stringsAt = buf.indexOf('"strings":[', i)
  const end = buf.lastIndexOf(']')
  const strings = JSON.parse(buf.toString('utf8', stringsAt + '"strings":'.length, end + 1)) as string[]
  return { meta, nodes, strings }
}

const GROUPED_TYPES: Record<string, string> = {
  string: '(strings)',
  'concatenated string': '(strings)',
  'sliced string': '(strings)',
  closure: '(closures)',
  code: '(compiled code)',
  number: '(heap numbers)',
  regexp: '(regexps)',
  bigint: '(bigints)',
  symbol: '(symbols)',
}

export function summarizeSnapshot(buf: Buffer, top = 12): HeapSummary {
  const snap = readSnapshot(buf)
  const fields = snap.meta.node_fields
  const types = snap.meta.node_types[0]
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const groups = new Map<string, { count: number; bytes: number }>()
  let total = 0
  let objects = 0
  const seenStrings = new Set<number>()
  let duplicateStringBytes = 0
  for (let i = 0; i < snap.nodes.length; i += width) {
    const size = snap.nodes[i + sizeAt]!
    if (size === 0) continue
    const type = types[snap.nodes[i + typeAt]!]!
    const name = snap.strings[snap.nodes[i + nameAt]!]!
    // V8 names a string node by its first 1024 characters only: longer strings that share a
    // prefix (every pod's JSON starts alike) would all look like copies of one, so only strings
    // the snapshot holds whole are compared.
    if (type === 'string' && size > 64 && name.length < 1024) {
      // Same text, same entry in the snapshot's string table.
      const nameIdx = snap.nodes[i + nameAt]!
      if (seenStrings.has(nameIdx)) duplicateStringBytes += size
      else seenStrings.add(nameIdx)
    }
    const what = GROUPED_TYPES[type] ?? (type === 'object' ? name : `(${type}) ${name.length > 40 ? name.slice(0, 40) + '…' : name}`)
    const g = groups.get(what) ?? { count: 0, bytes: 0 }
    g.count++
    g.bytes += size
    groups.set(what, g)
    total += size
    objects++
  }
  const sorted = [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)
  return { totalBytes: total, objects, duplicateStringBytes, top: sorted.map(([what, g]) => ({ what, ...g })) }
}

/** Summarize a snapshot file in a child process (the parse needs several times the file's size). */
export function summarizeSnapshotFile(file: string, top = 12): HeapSummary {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', fileURLToPath(import.meta.url), file, String(top)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  })
  if (r.status !== 0) throw new Error(`heap summary failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as HeapSummary
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2)
  process.stdout.write(JSON.stringify(summarizeSnapshot(readFileSync(file!), Number(top ?? 12))))
}
