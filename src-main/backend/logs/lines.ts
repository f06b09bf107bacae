// Cuts a byte stream into whole lines: a chunk may end mid-line, and a half line must never be
// shown (or prefixed) as if it were complete.
export class LineSplitter {
  private rest = ''

  /** Whole lines in `chunk` (plus what was held back), each ending in "\n". */
  push(chunk: string): string {
    const text = this.rest + chunk
    const cut = text.lastIndexOf('\n')
    if (cut < 0) {
      this.rest = text
      return ''
    }
    this.rest = text.slice(cut + 1)
    return text.slice(0, cut + 1)
  }

  /** What is left at the end of the stream, completed with a newline. */
  end(): string {
    const r = this.rest
    this.rest = ''
    return r === '' ? '' : `${r}\n`
  }
}

/** Prefixes every line with `[source] ` (all pods of a workload in one pane). */
export function prefixLines(text: string, source: string): string {
  if (text === '') return ''
  return text
    .split('\n')
    .map((l, i, all) => (i === all.length - 1 && l === '' ? '' : `[${source}] ${l}`))
    .join('\n')
}
