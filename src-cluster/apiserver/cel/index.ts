// CEL (Common Expression Language) as Kubernetes uses it in admission (webhook matchConditions,
// ValidatingAdmissionPolicy) and CRD validation rules. The language itself comes from
// `@marcbachmann/cel-js` (pure JS, no dependencies: parser, macros, type checker, evaluator);
// this module gives it Kubernetes' variables and the library functions users meet most
// (k8s.io/apiserver/pkg/cel/library: lists, regex, quantity; cel-go's strings extension), and
// turns its errors into upstream's words. JSON values are turned into CEL values on the way in
// (integers become int, i.e. BigInt; other numbers double) and back on the way out.
import { Environment, Optional } from '@marcbachmann/cel-js'
import { exactQuantity, formatExact, isQuantity, type ExactQuantity } from '../../api/quantity'

/** The variables one kind of expression may use (upstream declares exactly these per context). */
export const ADMISSION_VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables', 'authorizer'] as const
export const MATCH_CONDITION_VARIABLES = ['object', 'oldObject', 'request', 'authorizer'] as const
export const CRD_RULE_VARIABLES = ['self', 'oldSelf'] as const

/** A parse or check failure: the text after upstream's `compilation failed: `. */
export class CelCompileError extends Error {}
/** A failure while evaluating (no such key, no matching overload, division by zero, …). */
export class CelEvalError extends Error {}

/** cel-go's Quantity (k8s.io/apiserver/pkg/cel/library/quantity.go), over exact nano-units. */
class Quantity {
  constructor(readonly q: ExactQuantity) {}
  toString(): string {
    return formatExact(this.q)
  }
}

function quantityOf(s: string): Quantity {
  if (!isQuantity(s)) throw new CelEvalError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`)
  return new Quantity(exactQuantity(s))
}

const NANO = 1_000_000_000n

// ---- authorizer (k8s.io/apiserver/pkg/cel/library/authz.go) ----

/** What the CEL authorizer asks: upstream's authorizer.Attributes of a resource or a path. */
export type AuthzAttributes =
  | { kind: 'resource'; verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }
  | { kind: 'nonresource'; verb: string; path: string }

/** Decides for the request's user (or a service account): the API server's authorizer. */
export interface AuthzBackend {
  authorize(attrs: AuthzAttributes, as?: { namespace: string; name: string }): { allowed: boolean; reason: string }
}

class Decision {
  constructor(
    readonly isAllowed: boolean,
    readonly why: string,
  ) {}
}

class ResourceCheck {
  constructor(
    readonly authz: Authorizer,
    readonly group: string,
    readonly resource: string,
    readonly subresource = '',
    readonly namespace = '',
    readonly name = '',
  ) {}
  with(patch: Partial<Pick<ResourceCheck, 'subresource' | 'namespace' | 'name'>>): ResourceCheck {
    const n = { subresource: this.subresource, namespace: this.namespace, name: this.name, ...patch }
    return new ResourceCheck(this.authz, this.group, this.resource, n.subresource, n.namespace, n.name)
  }
}

class GroupCheck {
  constructor(
    readonly authz: Authorizer,
    readonly group: string,
  ) {}
}

class PathCheck {
  constructor(
    readonly authz: Authorizer,
    readonly path: string,
  ) {}
}

/** The `authorizer` variable; `requestResource` is the request's own resource check. */
export class Authorizer {
  readonly requestResource: ResourceCheck
  constructor(
    readonly backend: AuthzBackend,
    request: { group: string; resource: string; subresource?: string; namespace?: string; name?: string },
    readonly as?: { namespace: string; name: string },
  ) {
    this.requestResource = new ResourceCheck(this, request.group, request.resource, request.subresource ?? '', request.namespace ?? '', request.name ?? '')
  }
  decide(attrs: AuthzAttributes): Decision {
    const d = this.backend.authorize(attrs, this.as)
    return new Decision(d.allowed, d.reason)
  }
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = Number(a)
    const y = Number(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  throw new CelEvalError('no such overload')
}

function celEqual(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) === Number(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => celEqual(x, b[i]))
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && celEqual(v, b.get(k)))
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return ka.length === kb.length && ka.every((k) => k in b && celEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return a === b
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u')
  } catch (e) {
    throw new CelEvalError(`error parsing regexp: ${e instanceof Error ? e.message : String(e)}`)
  }
}

function buildEnvironment(variables: readonly string[]): Environment {
  const env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 10000, maxDepth: 100 } })
  for (const v of variables) env.registerVariable(v, 'dyn')
  env.registerType('Quantity', Quantity)
  // Lists (k8s.io/apiserver/pkg/cel/library/lists.go)
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || cmp(l[i - 1], x) <= 0))
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => {
    if (l.length === 0) return 0n
    if (l.every((x) => typeof x === 'bigint')) return (l as bigint[]).reduce((a, b) => a + b, 0n)
    return l.reduce((a: number, b) => a + Number(b), 0)
  })
  env.registerFunction('list.min(): dyn', (l: unknown[]) => {
    if (!l.length) throw new CelEvalError('min called on empty list')
    return l.reduce((a, b) => (cmp(b, a) < 0 ? b : a))
  })
  env.registerFunction('list.max(): dyn', (l: unknown[]) => {
    if (!l.length) throw new CelEvalError('max called on empty list')
    return l.reduce((a, b) => (cmp(b, a) > 0 ? b : a))
  })
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => celEqual(x, v))))
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (celEqual(l[i], v)) return BigInt(i)
    return -1n
  })
  // Strings (cel-go ext.Strings, as the API server enables them)
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b))
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b)
    const parts = s.split(a)
    const k = Math.min(Number(n), parts.length - 1)
    return parts.slice(0, k + 1).join(b) + (k + 1 < parts.length ? a + parts.slice(k + 1).join(a) : '')
  })
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = [...s]
    if (i < 0n || i > BigInt(cps.length)) throw new CelEvalError(`index out of range: ${i}`)
    return cps[Number(i)] ?? ''
  })
  env.registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''))
  // Regex (library/regex.go)
  env.registerFunction('string.find(string): string', (s: string, p: string) => regex(p).exec(s)?.[0] ?? '')
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => [...s.matchAll(new RegExp(regex(p).source, 'gu'))].map((m) => m[0]))
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => {
    const all = [...s.matchAll(new RegExp(regex(p).source, 'gu'))].map((m) => m[0])
    return n < 0n ? all : all.slice(0, Number(n))
  })
  // Quantity (library/quantity.go)
  env.registerFunction('quantity(string): Quantity', quantityOf)
  env.registerFunction('isQuantity(string): bool', (s: string) => isQuantity(s))
  env.registerFunction('Quantity.sign(): int', (q: Quantity) => (q.q.nano > 0n ? 1n : q.q.nano < 0n ? -1n : 0n))
  env.registerFunction('Quantity.isInteger(): bool', (q: Quantity) => q.q.nano % NANO === 0n)
  env.registerFunction('Quantity.asInteger(): int', (q: Quantity) => {
    if (q.q.nano % NANO !== 0n) throw new CelEvalError('cannot convert value to integer')
    return q.q.nano / NANO
  })
  env.registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => Number(q.q.nano) / 1e9)
  const other = (o: Quantity | bigint): bigint => (typeof o === 'bigint' ? o * NANO : o.q.nano)
  for (const t of ['Quantity', 'int']) {
    env.registerFunction(`Quantity.add(${t}): Quantity`, (q: Quantity, o: Quantity | bigint) => new Quantity({ nano: q.q.nano + other(o), format: q.q.format }))
    env.registerFunction(`Quantity.sub(${t}): Quantity`, (q: Quantity, o: Quantity | bigint) => new Quantity({ nano: q.q.nano - other(o), format: q.q.format }))
  }
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.q.nano > b.q.nano)
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.q.nano < b.q.nano)
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => (a.q.nano < b.q.nano ? -1n : a.q.nano > b.q.nano ? 1n : 0n))
  env.registerOperator('Quantity == Quantity', (a: Quantity, b: Quantity) => a.q.nano === b.q.nano)
  env.registerType('Authorizer', Authorizer)
  env.registerType('ResourceCheck', ResourceCheck)
  env.registerType('GroupCheck', GroupCheck)
  env.registerType('PathCheck', PathCheck)
  env.registerType('Decision', Decision)
  env.registerFunction('Authorizer.group(string): GroupCheck', (a: Authorizer, g: string) => new GroupCheck(a, g))
  env.registerFunction('Authorizer.path(string): PathCheck', (a: Authorizer, p: string) => new PathCheck(a, p))
  env.registerFunction('Authorizer.serviceAccount(string, string): Authorizer', (a: Authorizer, ns: string, name: string) => {
    const sa = new Authorizer(a.backend, { group: '', resource: '' }, { namespace: ns, name })
    return sa
  })
  env.registerFunction('GroupCheck.resource(string): ResourceCheck', (g: GroupCheck, r: string) => new ResourceCheck(g.authz, g.group, r))
  env.registerFunction('ResourceCheck.subresource(string): ResourceCheck', (r: ResourceCheck, v: string) => r.with({ subresource: v }))
  env.registerFunction('ResourceCheck.namespace(string): ResourceCheck', (r: ResourceCheck, v: string) => r.with({ namespace: v }))
  env.registerFunction('ResourceCheck.name(string): ResourceCheck', (r: ResourceCheck, v: string) => r.with({ name: v }))
  env.registerFunction('ResourceCheck.check(string): Decision', (r: ResourceCheck, verb: string) =>
    r.authz.decide({
      kind: 'resource',
      verb,
      group: r.group,
      resource: r.resource,
      subresource: r.subresource || undefined,
      namespace: r.namespace || undefined,
      name: r.name || undefined,
    }),
  )
  env.registerFunction('PathCheck.check(string): Decision', (p: PathCheck, verb: string) => p.authz.decide({ kind: 'nonresource', verb, path: p.path }))
  env.registerFunction('Decision.allowed(): bool', (d: Decision) => d.isAllowed)
  env.registerFunction('Decision.reason(): string', (d: Decision) => d.why)
  env.registerFunction('Decision.errored(): bool', () => false)
  env.registerFunction('Decision.error(): string', () => '')
  return env
}

const environments = new Map<string, Environment>()
function environmentFor(variables: readonly string[]): Environment {
  const key = variables.join(',')
  let env = environments.get(key)
  if (!env) {
    env = buildEnvironment(variables)
    environments.set(key, env)
  }
  return env
}

/** `ERROR: <input>:1:23: Syntax error: …` as cel-go prints an issue, with the offending line. */
function describe(expression: string, err: { summary?: string; message: string; range?: { start: number } }): string {
  const at = err.range?.start ?? 0
  const before = expression.slice(0, at)
  const line = before.split('\n').length
  const col = at - (before.lastIndexOf('\n') + 1) + 1
  const text = expression.split('\n')[line - 1] ?? ''
  const summary = err.summary ?? err.message.split('\n')[0]
  const kind = err.constructor.name === 'ParseError' ? 'Syntax error: ' : ''
  const what = summary.replace(/^Unknown variable: (.*)$/, "undeclared reference to '$1' (in container '')")
  return `ERROR: <input>:${line}:${col}: ${kind}${what}\n | ${text}\n | ${' '.repeat(Math.max(0, col - 1))}^`
}

export interface CelProgram {
  readonly expression: string
  /** Evaluates with JSON values for the variables; the result as JSON (BigInt → number). */
  evaluate(activation: Record<string, unknown>): unknown
}

/**
 * Parses and checks `expression` against the declared variables (all `dyn`, as upstream's
 * unstructured objects without a schema). Throws CelCompileError with cel-go style issues.
 */
export function compile(expression: string, variables: readonly string[]): CelProgram {
  const env = environmentFor(variables)
  const checked = env.check(expression)
  if (!checked.valid) throw new CelCompileError(describe(expression, checked.error as unknown as Error & { summary?: string; range?: { start: number } }))
  const program = env.parse(expression)
  return {
    expression,
    evaluate(activation) {
      const vars: Record<string, unknown> = {}
      for (const v of variables) vars[v] = v in activation ? activation[v] : null
      for (const [k, v] of Object.entries(activation)) if (k !== 'variables') vars[k] = toCel(v)
      if (activation.variables !== undefined) vars.variables = activation.variables
      let out: unknown
      try {
        out = program(vars)
      } catch (e) {
        if (e instanceof CelEvalError) throw e
        const msg = e instanceof Error ? ((e as { summary?: string }).summary ?? e.message.split('\n')[0]) : String(e)
        throw new CelEvalError(msg.replace(/^No such key: /, 'no such key: '))
      }
      if (out instanceof Promise) throw new CelEvalError('asynchronous evaluation is not supported')
      return fromCel(out)
    },
  }
}

/** The compile error of `expression`, or undefined when it compiles (for validation). */
export function compileError(expression: string, variables: readonly string[]): string | undefined {
  try {
    compile(expression, variables)
    return undefined
  } catch (e) {
    if (e instanceof CelCompileError) return e.message
    throw e
  }
}

/**
 * Variables evaluated lazily and at most once (upstream's composited `variables`): an
 * expression that never reads a failing variable does not fail.
 */
export function lazyVariables(defs: readonly { name: string; program: CelProgram }[], activation: () => Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const cache = new Map<string, { value?: unknown; error?: Error }>()
  for (const d of defs) {
    Object.defineProperty(out, d.name, {
      enumerable: true,
      get() {
        let c = cache.get(d.name)
        if (!c) {
          try {
            c = { value: toCel(d.program.evaluate({ ...activation(), variables: out })) }
          } catch (e) {
            c = { error: e instanceof Error ? e : new Error(String(e)) }
          }
          cache.set(d.name, c)
        }
        if (c.error) throw c.error
        return c.value
      },
    })
  }
  return out
}

/** A CEL optional of a JSON value (none for undefined): CRD rules' `oldSelf` under optionalOldSelf. */
export function celOptional(value: unknown): unknown {
  return value === undefined ? Optional.none() : Optional.of(toCel(value))
}

/** JSON → CEL: integers become int (BigInt); objects, lists, strings, bools, null as they are. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value
  if (Array.isArray(value)) return value.map(toCel)
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(value)) if (x !== undefined) out[k] = toCel(x)
    return out
  }
  return value
}

/** CEL → JSON: int/uint become numbers, maps objects, optionals their value or null. */
export function fromCel(celValue: unknown): unknown {
  if (typeof celValue === 'bigint') return Number(celValue)
  if (Array.isArray(celValue)) return celValue.map(fromCel)
  if (celValue instanceof Map) return Object.fromEntries([...celValue].map(([k, x]) => [String(k), fromCel(x)]))
  if (celValue instanceof Optional) return celValue.hasValue() ? fromCel(celValue.value()) : null
  if (celValue instanceof Quantity) return celValue.toString()
  if (celValue && typeof celValue === 'object' && Object.getPrototypeOf(celValue) === Object.prototype) {
    return Object.fromEntries(Object.entries(celValue).map(([k, x]) => [k, fromCel(x)]))
  }
  return celValue
}

/** The type name cel-go reports for a result (for "must evaluate to bool" errors). */
export function celTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null_type'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double'
  if (typeof value === 'string') return 'string'
  if (Array.isArray(value)) return 'list'
  return 'map'
}
