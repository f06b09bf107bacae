// Plain-text tables for benchmark output.

export type Cell = string | number

/** Render rows under a header with columns padded to their widest cell (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[], numeric: readonly boolean[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  const out = [
    line(
      header,
      header.map(() => false),
    ),
    widths.map((w) => '-'.repeat(w)).join('  '),
  ]
  rows.forEach((r, ri) =>
    out.push(
      line(
        text[ri],
        r.map((c) => typeof c === 'number'),
      ),
    ),
  )
  return out.join('\n')
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-'
  if (Math.abs(value) >= 100) return Math.round(value).toString()
  if (Math.abs(value) >= 1) return value.toFixed(2)
  return value.toFixed(3)
}
