// A line diff (longest common subsequence) for "see the difference" between an edit in progress
// and the object's newer version on the server. Objects are a few hundred lines: O(n·m) is fine.
export interface DiffLine {
  op: ' ' | '-' | '+'
  text: string
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const n = a.length
  const m = b.length
  // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! })
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', text: a[i++]! })
    else out.push({ op: '+', text: b[j++]! })
  }
  while (i < n) out.push({ op: '-', text: a[i++]! })
  while (j < m) out.push({ op: '+', text: b[j++]! })
  return out
}

/** Only the changed lines with `context` unchanged lines around them; gaps become one `…` line. */
export function changedHunks(diff: DiffLine[], context = 2): (DiffLine | null)[] {
  const keep = new Array<boolean>(diff.length).fill(false)
  diff.forEach((d, k) => {
    if (d.op === ' ') return
    for (let x = Math.max(0, k - context); x <= Math.min(diff.length - 1, k + context); x++) keep[x] = true
  })
  const out: (DiffLine | null)[] = []
  diff.forEach((d, k) => {
    if (keep[k]) out.push(d)
    else if (out.length === 0 || out[out.length - 1] !== null) out.push(null)
  })
  if (out[out.length - 1] === null) out.pop()
  return out
}
