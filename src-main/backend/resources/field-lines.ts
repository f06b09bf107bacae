// Places the API server's field errors in the YAML the user submitted: `spec.containers[0].image`
// becomes the line where that key sits, so the editor can mark it. Pure functions.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import type { FieldProblem } from '../../contract'

/** `spec.containers[0].image` → ['spec', 'containers', 0, 'image']; `metadata.labels[a.b/c]` keeps `a.b/c` whole. */
export function splitFieldPath(field: string): (string | number)[] {
  const out: (string | number)[] = []
  const re = /([^.[\]]+)|\[([^\]]*)\]/g
  let m: RegExpExecArray | null
  while ((m = re.exec(field)) !== null) {
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2])
  }
  return out
}

/**
 * 1-based line of the deepest part of `field` present in `yamlText` (a field the user deleted
 * is reported at its parent); null when not even the first segment is there or the YAML does
 * not parse.
 */
export function fieldLine(yamlText: string, field: string): number | null {
  const lineCounter = new LineCounter()
  const doc = parseDocument(yamlText, { lineCounter })
  if (doc.errors.length > 0) return null
  let node: unknown = doc.contents
  let offset: number | null = null
  for (const seg of splitFieldPath(field)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) break
      const key = pair.key as Node
      if (key.range) offset = key.range[0]
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (!item) break
      if (item.range) offset = item.range[0]
      node = item
    } else break
  }
  return offset === null ? null : lineCounter.linePos(offset).line
}

interface StatusCause {
  field?: unknown
  message?: unknown
  reason?: unknown
}

// A dotted field path followed by ": " inside a message, e.g. "... Pod: spec.restartPolicy: Unsupported value".
const FIELD_IN_MESSAGE = /(?:^|:\s)((?:[a-zA-Z][\w-]*)(?:\[[^\]]*\])*(?:\.[a-zA-Z][\w-]*(?:\[[^\]]*\])*)+):\s/

// `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` (the API server's words).
const UNKNOWN_FIELD = /unknown field "([^"]+)"/g

/** Field problems from a Status the API server answered, each placed in `yamlText`. */
export function problemsFromStatus(status: Record<string, unknown> | undefined, message: string, yamlText: string): FieldProblem[] {
  const details = status?.details as { causes?: StatusCause[] } | undefined
  const causes = Array.isArray(details?.causes) ? details.causes : []
  const problems: FieldProblem[] = causes.map((c) => {
    const field = typeof c.field === 'string' ? c.field : ''
    return {
      field,
      message: typeof c.message === 'string' ? c.message : message,
      reason: typeof c.reason === 'string' ? c.reason : '',
      line: field ? fieldLine(yamlText, field) : null,
    }
  })
  if (problems.length > 0) return problems
  // Strict field validation names every unknown field in one message: one problem (and line) each.
  const unknown = [...message.matchAll(UNKNOWN_FIELD)].map((m) => m[1] as string)
  if (unknown.length > 0) {
    return unknown.map((field) => ({
      field,
      message: 'unknown field: not part of this kind (misspelt, or at the wrong indentation?)',
      reason: 'FieldValueNotSupported',
      line: fieldLine(yamlText, field),
    }))
  }
  // Decoding errors (400) name the field only inside the message.
  const m = FIELD_IN_MESSAGE.exec(message)
  if (m?.[1]) {
    const rest = message.slice((m.index ?? 0) + m[0].length)
    return [{ field: m[1], message: rest || message, reason: String(status?.reason ?? ''), line: fieldLine(yamlText, m[1]) }]
  }
  return [{ field: '', message, reason: String(status?.reason ?? ''), line: null }]
}
