// Label and field selectors with upstream's grammar, matching rules and error wording
// (apimachinery pkg/labels and pkg/fields, plus the per-kind field label lists the API server
// accepts). Used by list/watch filtering, controllers and the Scale subresource.

import { BadRequestError } from './errors'
import type { KubeObject } from './object'
import type { ResourceInfo } from './resources'

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt'

export interface LabelRequirement {
  readonly key: string
  readonly operator: LabelOperator
  /** Sorted and de-duplicated for in/notin; one value for =, ==, !=, gt, lt; none for exists and !. */
  readonly values: readonly string[]
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[]
  /** A missing (null) selector object selects nothing, unlike an empty one, which selects all. */
  readonly matchesNothing?: boolean
}

export const EVERYTHING: LabelSelector = { requirements: [] }
export const NOTHING: LabelSelector = { requirements: [], matchesNothing: true }

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Why `key` is not a valid label key, or undefined when it is. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = slash >= 0 ? key.slice(slash + 1) : key
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix part must be non-empty'
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    }
  }
  if (name.length === 0) return 'name part must be non-empty'
  if (name.length > 63) return 'name part must be no more than 63 characters'
  if (!NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
  }
  return undefined
}

function labelValueProblem(v: string): string | undefined {
  if (v === '') return undefined
  if (v.length > 63) return 'must be no more than 63 characters'
  if (!NAME_RE.test(v)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
  }
  return undefined
}

/** Validates and normalizes one requirement, as upstream's NewRequirement does. Throws a plain Error. */
function newRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const keyProblem = labelKeyProblem(key)
  if (keyProblem) throw new Error(`key: Invalid value: ${JSON.stringify(key)}: ${keyProblem}`)
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw new Error("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty")
      break
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new Error('values: Invalid value: []: exact-match compatibility requires one single value')
      break
    case 'exists':
    case '!':
      if (values.length !== 0) throw new Error('values: Invalid value: []: values set must be empty for exists and does not exist')
      break
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!)) {
        throw new Error(`values[0]: Invalid value: ${JSON.stringify(values[0] ?? '')}: for 'Gt', 'Lt' operators, the value must be an integer`)
      }
      return { key, operator, values: [...values] }
  }
  values.forEach((v, i) => {
    const p = labelValueProblem(v)
    if (p) throw new Error(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${p}`)
  })
  const uniq = [...new Set(values)].sort()
  return { key, operator, values: uniq }
}

// --- lexer: the same token classes as upstream's selector lexer --------------------------------

type Tok =
  | 'id'
  | 'end'
  | 'comma'
  | 'open'
  | 'close'
  | 'in'
  | 'notin'
  | 'not' // "!"
  | 'eq'
  | 'eqeq'
  | 'neq'
  | 'gt'
  | 'lt'
  | 'error'

interface Token {
  readonly tok: Tok
  readonly lit: string
}

const SYMBOLS: readonly [string, Tok][] = [
  ['!=', 'neq'],
  ['==', 'eqeq'],
  ['!', 'not'],
  ['=', 'eq'],
  ['(', 'open'],
  [')', 'close'],
  [',', 'comma'],
  ['>', 'gt'],
  ['<', 'lt'],
]

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n'
const isSpecial = (c: string): boolean => '=!(),><'.includes(c)

function lex(s: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (isSpace(c)) {
      i++
      continue
    }
    if (isSpecial(c)) {
      const sym = SYMBOLS.find(([text]) => s.startsWith(text, i))
      if (!sym) {
        out.push({ tok: 'error', lit: c })
        i++
        continue
      }
      out.push({ tok: sym[1], lit: sym[0] })
      i += sym[0].length
      continue
    }
    let j = i
    while (j < s.length && !isSpace(s[j]!) && !isSpecial(s[j]!)) j++
    const word = s.slice(i, j)
    out.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', lit: word })
    i = j
  }
  out.push({ tok: 'end', lit: '' })
  return out
}

/** Recursive-descent parser mirroring upstream's; "in"/"notin" are plain identifiers where a value is expected. */
class LabelParser {
  private pos = 0
  constructor(private readonly toks: Token[]) {}

  private peek(valuesMode: boolean): Token {
    const t = this.toks[this.pos]!
    return valuesMode && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id', lit: t.lit } : t
  }
  private next(valuesMode: boolean): Token {
    const t = this.peek(valuesMode)
    if (this.pos < this.toks.length - 1) this.pos++
    return t
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = []
    for (;;) {
      const t = this.peek(true)
      if (t.tok === 'end') return reqs
      if (t.tok !== 'id' && t.tok !== 'not') {
        throw new Error(`found '${t.lit}', expected: !, identifier, or 'end of string'`)
      }
      try {
        reqs.push(this.requirement())
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`)
      }
      const sep = this.next(true)
      if (sep.tok === 'end') return reqs
      if (sep.tok !== 'comma') throw new Error(`found '${sep.lit}', expected: ',' or 'end of string'`)
      const after = this.peek(true)
      if (after.tok !== 'id' && after.tok !== 'not') {
        throw new Error(`found '${after.lit}', expected: identifier after ','`)
      }
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next(true)
    let negated = false
    if (t.tok === 'not') {
      negated = true
      t = this.next(true)
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`)
    const key = t.lit
    const la = this.peek(true).tok
    if (negated || la === 'end' || la === 'comma') {
      // "!key" is always unary; a bare "key" followed by nothing is an existence test.
      return newRequirement(key, negated ? '!' : 'exists', [])
    }
    const op = this.next(false)
    switch (op.tok) {
      case 'in':
      case 'notin':
        return newRequirement(key, op.tok, this.setValues())
      case 'eq':
        return newRequirement(key, '=', this.exactValue())
      case 'eqeq':
        return newRequirement(key, '==', this.exactValue())
      case 'neq':
        return newRequirement(key, '!=', this.exactValue())
      case 'gt':
        return newRequirement(key, 'gt', this.exactValue())
      case 'lt':
        return newRequirement(key, 'lt', this.exactValue())
      default:
        throw new Error(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`)
    }
  }

  private exactValue(): string[] {
    const la = this.peek(true)
    if (la.tok === 'end' || la.tok === 'comma') return ['']
    const t = this.next(true)
    if (t.tok === 'id') return [t.lit]
    throw new Error(`found '${t.lit}', expected: identifier`)
  }

  private setValues(): string[] {
    const open = this.next(true)
    if (open.tok !== 'open') throw new Error(`found '${open.lit}' expected: '('`)
    const la = this.peek(true)
    if (la.tok === 'close') {
      this.next(true)
      return ['']
    }
    if (la.tok !== 'id' && la.tok !== 'comma') throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`)
    const values = new Set<string>()
    for (;;) {
      const t = this.next(true)
      if (t.tok === 'id') {
        values.add(t.lit)
        const after = this.peek(true)
        if (after.tok === 'comma') continue
        if (after.tok === 'close') break
        throw new Error(`found '${after.lit}', expected: ',' or ')'`)
      } else if (t.tok === 'comma') {
        // Empty members ("(,a)", "(a,)", "(a,,b)") stand for the empty value.
        if (values.size === 0) values.add('')
        const after = this.peek(true)
        if (after.tok === 'close') {
          values.add('')
          break
        }
        if (after.tok === 'comma') {
          this.next(true)
          values.add('')
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`)
      }
    }
    const close = this.next(true)
    if (close.tok !== 'close') throw new Error(`found '${close.lit}', expected: ')'`)
    return [...values]
  }
}

const byKey = (a: LabelRequirement, b: LabelRequirement): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/** Parses `?labelSelector=` syntax. An empty string selects everything. Throws BadRequestError. */
export function parseLabelSelector(text: string): LabelSelector {
  try {
    const reqs = new LabelParser(lex(text)).parse()
    return { requirements: reqs.sort(byKey) }
  } catch (e) {
    throw new BadRequestError((e as Error).message)
  }
}

export interface LabelSelectorExpression {
  key: string
  operator: string
  values?: string[]
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelSelectorExpression[]
}

const EXPRESSION_OPS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' }

/**
 * A metav1.LabelSelector object (spec.selector of workloads) as a selector. `null`/`undefined`
 * selects nothing; `{}` selects everything. Throws BadRequestError for an invalid expression.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING
  try {
    const reqs: LabelRequirement[] = []
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]))
    for (const expr of sel.matchExpressions ?? []) {
      const op = EXPRESSION_OPS[expr.operator]
      if (!op) throw new Error(`${JSON.stringify(expr.operator)} is not a valid label selector operator`)
      reqs.push(newRequirement(expr.key, op, expr.values ?? []))
    }
    return { requirements: reqs.sort(byKey) }
  } catch (e) {
    throw new BadRequestError((e as Error).message)
  }
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key)
  const value = has ? labels[r.key]! : undefined
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value)
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value)
    case 'exists':
      return has
    case '!':
      return !has
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false
      const lv = BigInt(value)
      const rv = BigInt(r.values[0]!)
      return r.operator === 'gt' ? lv > rv : lv < rv
    }
  }
}

export function matchLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  if (sel.matchesNothing) return false
  const l = labels ?? {}
  return sel.requirements.every((r) => requirementMatches(r, l))
}

export function isEverything(sel: LabelSelector): boolean {
  return !sel.matchesNothing && sel.requirements.length === 0
}

function requirementToString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',')
  switch (r.operator) {
    case 'exists':
      return r.key
    case '!':
      return `!${r.key}`
    case 'in':
      return `${r.key} in (${values})`
    case 'notin':
      return `${r.key} notin (${values})`
    case 'gt':
      return `${r.key}>${values}`
    case 'lt':
      return `${r.key}<${values}`
    default:
      return `${r.key}${r.operator}${values}`
  }
}

/** Canonical text, e.g. "app=web,tier in (a,b)" — what Scale's status.selector and kubectl show. */
export function selectorToString(sel: LabelSelector): string {
  return [...sel.requirements].sort(byKey).map(requirementToString).join(',')
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

interface FieldTerm {
  readonly field: string
  readonly op: '=' | '!='
  readonly value: string
}

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(s: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1]
      i++
    } else if (c === ',') {
      out.push(cur)
      cur = ''
    } else {
      cur += c
    }
  }
  out.push(cur)
  return out
}

function unescapeValue(v: string, selector: string): string {
  let out = ''
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!
    if (c !== '\\') {
      if (c === ',' || c === '=') throw new BadRequestError(`invalid field selector: '${selector}': unescaped ${c} in value`)
      out += c
      continue
    }
    const n = v[i + 1]
    if (n === '\\' || n === ',' || n === '=') {
      out += n
      i++
    } else {
      throw new BadRequestError(`invalid field selector: '${selector}': invalid escape sequence in value`)
    }
  }
  return out
}

function parseFieldTerms(s: string): FieldTerm[] {
  const terms: FieldTerm[] = []
  for (const part of splitTerms(s)) {
    if (part === '') continue
    // Upstream scans left to right and, at each position, tries "!=", "==", "=" in that order.
    let found: FieldTerm | undefined
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (part.startsWith(op, i)) {
          found = { field: part.slice(0, i), op: op === '!=' ? '!=' : '=', value: unescapeValue(part.slice(i + op.length), s) }
          break
        }
      }
    }
    if (!found) throw new BadRequestError(`invalid selector: '${s}'; can't understand '${part}'`)
    terms.push(found)
  }
  return terms
}

type FieldGetter = (obj: KubeObject) => string

interface FieldRules {
  /** Label as the client sends it → the getter for its value. */
  readonly fields: Readonly<Record<string, FieldGetter>>
  /** The 400 message for an unsupported label. */
  readonly reject: (label: string) => string
}

function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

const str =
  (path: string): FieldGetter =>
  (o) => {
    const v = at(o, path)
    return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)
  }
const bool =
  (path: string): FieldGetter =>
  (o) =>
    String(at(o, path) === true)
const int =
  (path: string): FieldGetter =>
  (o) => {
    const v = at(o, path)
    return typeof v === 'number' ? String(Math.trunc(v)) : '0'
  }
/** Accepted by the API but never filled in upstream, so it only matches the empty string. */
const unset: FieldGetter = () => ''
const firstOf =
  (...getters: FieldGetter[]): FieldGetter =>
  (o) => {
    for (const g of getters) {
      const v = g(o)
      if (v !== '') return v
    }
    return ''
  }

const META_NAME: Record<string, FieldGetter> = { 'metadata.name': str('metadata.name') }
const META_BOTH: Record<string, FieldGetter> = { ...META_NAME, 'metadata.namespace': str('metadata.namespace') }
const NOT_SUPPORTED = (label: string): string => `field label not supported: ${label}`

/** Kinds without their own field label conversion: only metadata fields, with this message. */
const DEFAULT_RULES: FieldRules = {
  fields: META_BOTH,
  reject: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
}

const podIP: FieldGetter = (o) => {
  const ips = at(o, 'status.podIPs')
  if (Array.isArray(ips) && ips.length > 0) {
    const first = (ips[0] as { ip?: unknown }).ip
    if (typeof first === 'string') return first
  }
  return str('status.podIP')(o)
}

// Per group/plural: the labels upstream's conversion functions accept for each served kind.
const RULES: Readonly<Record<string, FieldRules>> = {
  '/pods': {
    fields: {
      ...META_BOTH,
      'spec.nodeName': str('spec.nodeName'),
      'spec.host': str('spec.nodeName'), // legacy spelling, rewritten upstream
      'spec.restartPolicy': str('spec.restartPolicy'),
      'spec.schedulerName': str('spec.schedulerName'),
      'spec.serviceAccountName': str('spec.serviceAccountName'),
      'spec.hostNetwork': bool('spec.hostNetwork'),
      'status.phase': str('status.phase'),
      'status.podIP': podIP,
      'status.podIPs': unset,
      'status.nominatedNodeName': str('status.nominatedNodeName'),
    },
    reject: NOT_SUPPORTED,
  },
  '/nodes': { fields: { ...META_NAME, 'spec.unschedulable': bool('spec.unschedulable') }, reject: NOT_SUPPORTED },
  '/namespaces': { fields: { ...META_NAME, 'status.phase': str('status.phase') }, reject: NOT_SUPPORTED },
  '/secrets': { fields: { ...META_BOTH, type: str('type') }, reject: NOT_SUPPORTED },
  '/services': {
    fields: { ...META_BOTH, 'spec.clusterIP': str('spec.clusterIP'), 'spec.type': str('spec.type') },
    reject: NOT_SUPPORTED,
  },
  '/events': {
    fields: {
      ...META_BOTH,
      'involvedObject.kind': str('involvedObject.kind'),
      'involvedObject.namespace': str('involvedObject.namespace'),
      'involvedObject.name': str('involvedObject.name'),
      'involvedObject.uid': str('involvedObject.uid'),
      'involvedObject.apiVersion': str('involvedObject.apiVersion'),
      'involvedObject.resourceVersion': str('involvedObject.resourceVersion'),
      'involvedObject.fieldPath': str('involvedObject.fieldPath'),
      reason: str('reason'),
      reportingComponent: str('reportingComponent'),
      source: firstOf(str('source.component'), str('reportingComponent')),
      type: str('type'),
    },
    reject: NOT_SUPPORTED,
  },
  // events.k8s.io shares storage with core Events; read the new shape, fall back to the old one.
  'events.k8s.io/events': {
    fields: {
      ...META_BOTH,
      ...Object.fromEntries(
        ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
          `regarding.${f}`,
          firstOf(str(`regarding.${f}`), str(`involvedObject.${f}`)),
        ]),
      ),
      reason: str('reason'),
      reportingController: firstOf(str('reportingController'), str('reportingComponent')),
      type: str('type'),
    },
    reject: NOT_SUPPORTED,
  },
  'batch/jobs': {
    fields: { ...META_BOTH, 'status.successful': int('status.succeeded') },
    reject: (label) => `field label ${JSON.stringify(label)} not supported for batchv1.Job`,
  },
}

/** The field labels `res` accepts in a field selector. */
export function supportedFieldLabels(res: Pick<ResourceInfo, 'group' | 'plural'>): string[] {
  return Object.keys((RULES[`${res.group}/${res.plural}`] ?? DEFAULT_RULES).fields)
}

/**
 * Compiles `?fieldSelector=` for one resource into a predicate. `=`/`==` and `!=` joined by
 * commas; an empty string matches everything. Unsupported labels throw BadRequestError with the
 * message upstream gives for that kind.
 */
export function parseFieldSelector(text: string, res: Pick<ResourceInfo, 'group' | 'plural'>): (obj: KubeObject) => boolean {
  const rules = RULES[`${res.group}/${res.plural}`] ?? DEFAULT_RULES
  const checks = parseFieldTerms(text).map((t) => {
    const get = rules.fields[t.field]
    if (!get) throw new BadRequestError(rules.reject(t.field))
    return t.op === '=' ? (o: KubeObject) => get(o) === t.value : (o: KubeObject) => get(o) !== t.value
  })
  return (obj) => checks.every((c) => c(obj))
}

/** Every field label `res` accepts with its value in `obj`: all a field selector can read of it. */
export function fieldValues(res: Pick<ResourceInfo, 'group' | 'plural'>, obj: KubeObject): Readonly<Record<string, string>> {
  const rules = RULES[`${res.group}/${res.plural}`] ?? DEFAULT_RULES
  const out: Record<string, string> = {}
  for (const [label, get] of Object.entries(rules.fields)) out[label] = get(obj)
  return out
}

/** parseFieldSelector over fieldValues(res, obj) rather than the object (same terms, same errors). */
export function parseFieldSelectorValues(text: string, res: Pick<ResourceInfo, 'group' | 'plural'>): (values: Readonly<Record<string, string>>) => boolean {
  const rules = RULES[`${res.group}/${res.plural}`] ?? DEFAULT_RULES
  const checks = parseFieldTerms(text).map((t) => {
    if (!rules.fields[t.field]) throw new BadRequestError(rules.reject(t.field))
    return t.op === '=' ? (v: Readonly<Record<string, string>>) => v[t.field] === t.value : (v: Readonly<Record<string, string>>) => v[t.field] !== t.value
  })
  return (values) => checks.every((c) => c(values))
}
