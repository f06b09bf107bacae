// Syntax colours for the YAML editor: one line at a time into key / value / comment pieces.
// Good enough for the block YAML the app shows and people type; never changes the text.
export type TokenKind = 'key' | 'str' | 'num' | 'bool' | 'comment' | 'punct' | 'plain'

export interface Token {
  kind: TokenKind
  text: string
}

const KEY = /^(\s*(?:-\s+)*)((?:"[^"]*"|'[^']*'|[^\s#'"][^:#]*?))(:)(?=\s|$)/

function valueKind(v: string): TokenKind {
  const t = v.trim()
  if (t === '') return 'plain'
  if (/^(true|false|null|~)$/.test(t)) return 'bool'
  if (/^-?\d+(\.\d+)?$/.test(t)) return 'num'
  if (/^["']/.test(t)) return 'str'
  return 'str'
}

/** Splits a value from a trailing comment (a `#` after whitespace, outside quotes). */
function splitComment(rest: string): [string, string] {
  let quote: string | null = null
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' && (i === 0 || /\s/.test(rest[i - 1]!))) return [rest.slice(0, i), rest.slice(i)]
  }
  return [rest, '']
}

export function tokenizeLine(line: string): Token[] {
  const out: Token[] = []
  if (/^\s*#/.test(line)) return [{ kind: 'comment', text: line }]
  if (/^(---|\.\.\.)\s*$/.test(line)) return [{ kind: 'punct', text: line }]
  let rest = line
  const m = KEY.exec(line)
  if (m) {
    out.push({ kind: 'punct', text: m[1]! }, { kind: 'key', text: m[2]! }, { kind: 'punct', text: m[3]! })
    rest = line.slice(m[0].length)
  } else {
    const dash = /^(\s*-\s?)/.exec(line)
    if (dash) {
      out.push({ kind: 'punct', text: dash[1]! })
      rest = line.slice(dash[1]!.length)
    }
  }
  const [value, comment] = splitComment(rest)
  if (value !== '') {
    const lead = /^\s*/.exec(value)![0]
    if (lead) out.push({ kind: 'plain', text: lead })
    const v = value.slice(lead.length)
    if (v) out.push({ kind: valueKind(v), text: v })
  }
  if (comment) out.push({ kind: 'comment', text: comment })
  return out.filter((t) => t.text !== '')
}
