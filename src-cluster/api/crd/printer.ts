// Server-side Tables of custom resources: Name, then the version's additionalPrinterColumns
// evaluated by JSONPath (upstream's tableconvertor), or Name and Age when it has none.
import { ageSince } from '../age'
import type { KubeObject } from '../object'
import type { Printer, TableCell, TableColumn } from '../tables/types'
import type { PrinterColumn } from './types'

const NAME: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
}
const AGE: TableColumn = {
  name: 'Age',
  type: 'date',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
}

type Step = { key: string } | { index: number } | { filter: string; value: string } | { all: true }

/** Parses the JSONPath subset printer columns use: `.a.b`, `[0]`, `[*]`, `[?(@.k=="v")]`, `{...}`. */
export function parseJsonPath(expr: string): Step[] | undefined {
  let s = expr.trim()
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1)
  if (s.startsWith('$')) s = s.slice(1)
  const steps: Step[] = []
  let i = 0
  while (i < s.length) {
    if (s[i] === '.') {
      i++
      let j = i
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++
      if (j > i) steps.push({ key: s.slice(i, j) })
      i = j
    } else if (s[i] === '[') {
      const end = s.indexOf(']', i)
      if (end < 0) return undefined
      const inner = s.slice(i + 1, end)
      const f = /^\?\(@\.([\w-]+)\s*==\s*["']([^"']*)["']\)$/.exec(inner)
      if (inner === '*') steps.push({ all: true })
      else if (/^\d+$/.test(inner)) steps.push({ index: Number(inner) })
      else if (/^["'].*["']$/.test(inner)) steps.push({ key: inner.slice(1, -1) })
      else if (f) steps.push({ filter: f[1]!, value: f[2]! })
      else return undefined
      i = end + 1
    } else return undefined
  }
  return steps
}

function evaluate(obj: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [obj]
  for (const st of steps) {
    const next: unknown[] = []
    for (const v of cur) {
      if ('key' in st) {
        if (v && typeof v === 'object' && !Array.isArray(v) && st.key in (v as object)) next.push((v as Record<string, unknown>)[st.key])
      } else if ('index' in st) {
        if (Array.isArray(v) && st.index < v.length) next.push(v[st.index])
      } else if ('all' in st) {
        if (Array.isArray(v)) next.push(...v)
      } else if (Array.isArray(v)) {
        for (const x of v) if (x && typeof x === 'object' && String((x as Record<string, unknown>)[st.filter]) === st.value) next.push(x)
      }
    }
    cur = next
  }
  return cur
}

function cell(col: PrinterColumn, steps: Step[] | undefined, obj: KubeObject, now: Date): TableCell {
  if (!steps) return null
  const found = evaluate(obj, steps)
  if (!found.length) return null
  const v = found.length === 1 ? found[0] : found
  if (v === null || v === undefined) return null
  if (col.type === 'date') return typeof v === 'string' ? ageSince(v, now) : null
  if (col.type === 'integer' && typeof v === 'number') return Math.trunc(v)
  if (col.type === 'boolean' && typeof v === 'boolean') return v
  if (col.type === 'number' && typeof v === 'number') return v
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return col.type === 'string' ? String(v) : v
  return JSON.stringify(v)
}

export function customResourcePrinter(columns: readonly PrinterColumn[] | undefined): Printer {
  const cols = columns?.length ? columns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }]
  const parsed = cols.map((c) => parseJsonPath(c.jsonPath))
  const defs: TableColumn[] = [
    NAME,
    ...(columns?.length
      ? columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))
      : [AGE]),
  ]
  return {
    columns: defs,
    row: (obj, now) => ({ cells: [obj.metadata?.name ?? '', ...cols.map((c, i) => cell(c, parsed[i], obj, now))] }),
  }
}
