// Log pane logic, kept pure for tests: a bounded line buffer and search.

/** Lines kept per pane; older ones are dropped (the download has what was received). */
export const MAX_LINES = 20_000

export function appendLines(lines: string[], text: string, max = MAX_LINES): string[] {
  if (text === '') return lines
  const add = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n')
  const next = lines.concat(add)
  return next.length > max ? next.slice(next.length - max) : next
}

export interface ShownLine {
  n: number
  text: string
  hit: boolean
}

/** Lines to show: all, or only those containing the query (case-insensitive) when `onlyHits`. */
export function searchLines(lines: readonly string[], query: string, onlyHits: boolean): { shown: ShownLine[]; hits: number } {
  const q = query.trim().toLowerCase()
  let hits = 0
  const shown: ShownLine[] = []
  lines.forEach((text, i) => {
    const hit = q !== '' && text.toLowerCase().includes(q)
    if (hit) hits++
    if (!onlyHits || q === '' || hit) shown.push({ n: i + 1, text, hit })
  })
  return { shown, hits }
}

export function downloadName(title: string, at: Date): string {
  const safe = title.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'logs'
  return `${safe}-${at.toISOString().replace(/[:.]/g, '-')}.log`
}
