// ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1), as upstream's plugin
// (k8s.io/apiserver/pkg/admission/plugin/policy/validating): for each binding whose policy exists,
// the request must match the policy's matchConstraints and the binding's matchResources (rules,
// excludeResourceRules, resourceNames, namespace and object selectors); the parameters are found
// (paramKind + paramRef: by name or selector, in the binding's or the request's namespace;
// parameterNotFoundAction); per parameter object, matchConditions, then variables (lazy) and
// validations are evaluated with CEL. A failed validation is acted on as the binding's
// validationActions say: Deny refuses the request (upstream's 'ValidatingAdmissionPolicy 'P' with
// binding 'B' denied request: …'), Warn adds a Warning header, Audit is accepted and not recorded.
// Errors (a CEL runtime error, missing parameters kind) follow the policy's failurePolicy.
// Runs before validating webhooks, as upstream orders its plugins.
import type { KubeObject } from '../../api/object'
import { fromStorage, toStorage } from '../../api/conversion'
import { allResources, apiVersionOf, type ResourceInfo } from '../../api/resources'
import { selectorMatches } from '../../api/validation/selector'
import { RES } from '../../kit/resources'
import { ADMISSION_VARIABLES, Authorizer, celTypeName, compile, lazyVariables, type CelProgram } from '../cel'
import type { ServerContext } from '../context'
import { resourcePrefix } from '../registry/objects'
import { ApiError, qualifiedResource } from '../status'
import { addWarning } from '../warnings'
import { buildReview, gvrOf, matchingResource, type AdmissionAttributes, type Rule, type Webhook } from './webhook-rules'

const GROUP = 'admissionregistration.k8s.io'
/** Never checked by policies (upstream's isPolicyResource), so a bad policy can always be removed; webhook configurations are. */
const POLICY_RESOURCES = new Set([
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
])

/** Other served resources holding the same objects (other versions or groups: matchPolicy Equivalent). */
export function equivalentsOf(res: ResourceInfo): ResourceInfo[] {
  const prefix = resourcePrefix(res)
  return allResources().filter((r) => r !== res && !r.virtual && resourcePrefix(r) === prefix)
}

/** The object as `to` serves it (the request's version → an equivalent version). */
export function convert(from: ResourceInfo, to: ResourceInfo, obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj || from === to) return obj
  const out = fromStorage(to, toStorage(from, structuredClone(obj)))
  return { ...out, apiVersion: apiVersionOf(to), kind: to.kind }
}

export function typed(res: ResourceInfo, obj: KubeObject | undefined): KubeObject | undefined {
  return obj ? { ...obj, apiVersion: apiVersionOf(res), kind: res.kind } : undefined
}

// ---- compiled expressions, cached by text (policies change rarely; the cache is bounded) ----

const programs = new Map<string, CelProgram>()
function program(expression: string, variables: readonly string[]): CelProgram {
  const key = `${variables.join(',')}\n${expression}`
  let p = programs.get(key)
  if (!p) {
    p = compile(expression, variables)
    if (programs.size > 2000) programs.clear()
    programs.set(key, p)
  }
  return p
}

interface MatchCondition {
  name?: string
  expression?: string
}

/**
 * matchConditions as upstream's matcher: any false → no match (errors then do not matter);
 * otherwise the first error is returned; all true → match.
 */
export function evaluateMatchConditions(
  conditions: readonly MatchCondition[] | undefined,
  variables: readonly string[],
  activation: Record<string, unknown>,
): { matches: boolean; error?: string } {
  let error: string | undefined
  for (const c of conditions ?? []) {
    try {
      const v = program(c.expression ?? '', variables).evaluate(activation)
      if (typeof v !== 'boolean') throw new Error(`matchCondition result must be a boolean, got ${celTypeName(v)}`)
      if (!v) return { matches: false }
    } catch (e) {
      error ??= `failed to evaluate match condition ${JSON.stringify(c.name ?? '')}: ${e instanceof Error ? e.message : String(e)}`
    }
  }
  return error ? { matches: true, error } : { matches: true }
}

/** The CEL `request` variable: the AdmissionRequest without its objects. */
export function celRequest(attrs: AdmissionAttributes, res: ResourceInfo): Record<string, unknown> {
  const kind = attrs.kind ?? { group: res.group, version: res.version, kind: res.kind }
  const review = buildReview(
    '',
    'v1',
    attrs,
    gvrOf(res),
    kind,
    attrs.kind ?? { group: attrs.res.group, version: attrs.res.version, kind: attrs.res.kind },
    undefined,
    undefined,
  )
  const request = { ...(review.request as Record<string, unknown>) }
  delete request.uid
  delete request.object
  delete request.oldObject
  return request
}

/**
 * The CEL `authorizer`: the API server's own authorizer (RBAC, the Node authorizer) asked for the
 * request's user, or for a service account (`authorizer.serviceAccount(ns, name)`).
 */
export function celAuthorizer(ctx: ServerContext, admissionAttrs: AdmissionAttributes, res: ResourceInfo): Authorizer | null {
  const user = admissionAttrs.user
  if (!user) return null
  const backend = {
    authorize(attrs: Parameters<Authorizer['decide']>[0], as?: { namespace: string; name: string }) {
      const who = as
        ? {
            name: `system:serviceaccount:${as.namespace}:${as.name}`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${as.namespace}`, 'system:authenticated'],
          }
        : user
      return ctx.authorizer.authorize(who, attrs)
    },
  }
  return new Authorizer(backend, {
    group: res.group,
    resource: res.plural,
    subresource: admissionAttrs.subresource,
    namespace: admissionAttrs.namespace,
    name: admissionAttrs.name,
  })
}

// ---- matching ----

interface MatchResources {
  namespaceSelector?: Record<string, unknown>
  objectSelector?: Record<string, unknown>
  resourceRules?: (Rule & { resourceNames?: string[] })[]
  excludeResourceRules?: (Rule & { resourceNames?: string[] })[]
  matchPolicy?: string
}

const selectorEmpty = (sel: Record<string, unknown> | undefined): boolean =>
  !sel || (!Object.keys((sel.matchLabels as object | undefined) ?? {}).length && !((sel.matchExpressions as unknown[] | undefined) ?? []).length)

const labelsOf = (o: KubeObject | undefined): Record<string, unknown> => (o?.metadata?.labels as Record<string, unknown> | undefined) ?? {}

/** The resource (version) a MatchResources matches the request through, or undefined. */
function matchResources(
  m: MatchResources,
  a: AdmissionAttributes,
  equivalents: readonly ResourceInfo[],
  nsLabels: Record<string, unknown> | undefined,
): ResourceInfo | undefined {
  if (!selectorEmpty(m.namespaceSelector) && nsLabels !== undefined && !selectorMatches(m.namespaceSelector, nsLabels)) return undefined
  if (!selectorEmpty(m.objectSelector) && ![a.object, a.oldObject].some((o) => o !== undefined && selectorMatches(m.objectSelector, labelsOf(o))))
    return undefined
  const named = (rules: MatchResources['resourceRules']) => (rules ?? []).filter((r) => !r.resourceNames?.length || r.resourceNames.includes(a.name)) as Rule[]
  const hook = (rules: MatchResources['resourceRules']): Webhook => ({ name: '', rules: named(rules), matchPolicy: m.matchPolicy })
  if (m.excludeResourceRules?.length && matchingResource(hook(m.excludeResourceRules), a, equivalents)) return undefined
  return matchingResource(hook(m.resourceRules), a, equivalents)
}

// ---- evaluation ----

interface Validation {
  expression?: string
  message?: string
  messageExpression?: string
  reason?: string
}

interface PolicySpec {
  paramKind?: { apiVersion?: string; kind?: string }
  matchConstraints?: MatchResources
  validations?: Validation[]
  failurePolicy?: string
  matchConditions?: MatchCondition[]
  variables?: { name?: string; expression?: string }[]
}

interface BindingSpec {
  policyName?: string
  paramRef?: { name?: string; namespace?: string; selector?: Record<string, unknown>; parameterNotFoundAction?: string }
  matchResources?: MatchResources
  validationActions?: string[]
}

interface Decision {
  message: string
  reason: string
  /** An evaluation error (failurePolicy decides), not a failed validation. */
  error?: boolean
}

const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 }

/** Upstream's denial: admission.NewForbidden's message, with the validation's reason and code. */
function denial(a: AdmissionAttributes, policy: string, binding: string, d: Decision): ApiError {
  const name = a.name || String(a.object?.metadata?.generateName ?? '')
  const message = `${qualifiedResource(a.res)} "${name}" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${d.message}`
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: d.reason,
    details: { name, group: a.res.group || undefined, kind: a.res.plural, causes: [{ message }] },
    code: REASON_CODES[d.reason] ?? 422,
  })
}

/** The parameter objects of a binding, or a decision/skip when there are none. */
async function findParams(
  ctx: ServerContext,
  a: AdmissionAttributes,
  spec: PolicySpec,
  binding: BindingSpec,
): Promise<{ params: (KubeObject | null)[] } | { error: string } | { notFound: true }> {
  if (!spec.paramKind) return { params: [null] }
  const pk = spec.paramKind
  const paramRes = allResources().find((r) => !r.virtual && r.kind === pk.kind && apiVersionOf(r) === pk.apiVersion)
  if (!paramRes) return { error: `failed to configure policy: failed to find resource referenced by paramKind: '${pk.apiVersion}, Kind=${pk.kind}'` }
  const ref = binding.paramRef
  if (!ref) return { params: [null] }
  let ns: string | undefined
  if (paramRes.namespaced) {
    ns = ref.namespace || (a.res.namespaced || (a.res.group === '' && a.res.plural === 'namespaces') ? a.namespace : undefined)
    if (!ns) return { error: 'failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' }
  }
  let found: KubeObject[]
  if (ref.name) {
    const got = await ctx.objects.get(paramRes, ns, ref.name)
    found = got ? [got.obj] : []
  } else {
    const list = await ctx.objects.list(paramRes, ns)
    found = list.items.map((i) => i.obj).filter((o) => selectorMatches(ref.selector, labelsOf(o)))
  }
  found = found.map((o) => typed(paramRes, o)!)
  if (found.length) return { params: found }
  return ref.parameterNotFoundAction === 'Allow'
    ? { notFound: true }
    : { error: 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction' }
}

/** Evaluates one validation; undefined when it passes, else its failure message and reason. */
function validate(v: Validation, activation: Record<string, unknown>): Decision | undefined {
  const reason = v.reason || 'Invalid'
  const expr = v.expression ?? ''
  let ok: unknown
  try {
    ok = program(expr, ADMISSION_VARIABLES).evaluate(activation)
  } catch (e) {
    return { message: `expression '${expr}' resulted in error: ${e instanceof Error ? e.message : String(e)}`, reason: 'Invalid', error: true }
  }
  if (typeof ok !== 'boolean') return { message: `expression '${expr}' resulted in error: must evaluate to bool`, reason: 'Invalid', error: true }
  if (ok) return undefined
  let message = v.message || `failed expression: ${expr.trim()}`
  if (v.messageExpression) {
    try {
      const m = program(v.messageExpression, ADMISSION_VARIABLES).evaluate(activation)
      if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m.trim()
    } catch {
      // Upstream falls back to message (or the failed expression) when messageExpression fails.
    }
  }
  return { message, reason }
}

/** Runs every ValidatingAdmissionPolicy binding that matches `attrs`; throws the first denial. */
export async function runValidatingPolicies(ctx: ServerContext, attrs: AdmissionAttributes): Promise<void> {
  if ((attrs.res.group === GROUP && POLICY_RESOURCES.has(attrs.res.plural)) || !attrs.user) return
  const policies = ctx.webhooks.policies()
  if (!policies.size) return
  const bindings = ctx.webhooks.bindings()
  if (!bindings.length) return
  const equivalents = equivalentsOf(attrs.res)
  let nsObject: KubeObject | null | undefined // undefined: not read yet
  const namespaceObject = async (): Promise<KubeObject | null> => {
    if (nsObject !== undefined) return nsObject
    if (attrs.res.group === '' && attrs.res.plural === 'namespaces') nsObject = null
    else if (!attrs.res.namespaced || !attrs.namespace) nsObject = null
    else nsObject = typed(RES.namespaces, (await ctx.objects.get(RES.namespaces, undefined, attrs.namespace))?.obj) ?? null
    return nsObject
  }
  const nsLabels = async (): Promise<Record<string, unknown> | undefined> => {
    if (attrs.res.group === '' && attrs.res.plural === 'namespaces') return labelsOf(attrs.object ?? attrs.oldObject)
    const ns = await namespaceObject()
    return ns ? labelsOf(ns) : undefined
  }
  let denied: ApiError | undefined
  for (const b of bindings) {
    const bspec = (b.spec ?? {}) as BindingSpec
    const bindingName = b.metadata?.name ?? ''
    const policy = policies.get(bspec.policyName ?? '')
    if (!policy) continue
    const pspec = (policy.spec ?? {}) as PolicySpec
    const policyName = policy.metadata?.name ?? ''
    const labels = await nsLabels()
    const res = matchResources(pspec.matchConstraints ?? {}, attrs, equivalents, labels)
    if (!res) continue
    if (
      bspec.matchResources &&
      !matchResources(
        { resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }], ...bspec.matchResources },
        attrs,
        equivalents,
        labels,
      )
    )
      continue
    const actions = bspec.validationActions ?? []
    const fail = pspec.failurePolicy !== 'Ignore'
    const decide = (d: Decision, isError: boolean) => {
      if (isError && !fail) return
      if (actions.includes('Deny')) denied ??= denial(attrs, policyName, bindingName, d)
      if (actions.includes('Warn'))
        addWarning(ctx, `Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${d.message}`)
      // Audit: upstream writes an audit annotation; KubeLab keeps no audit log, so it is accepted and dropped.
    }
    const found = await findParams(ctx, attrs, pspec, bspec)
    if ('notFound' in found) continue
    if ('error' in found) {
      decide({ message: found.error, reason: 'Invalid' }, true)
      continue
    }
    const object = typed(res, attrs.kind ? attrs.object : convert(attrs.res, res, attrs.object)) ?? null
    const oldObject = typed(res, attrs.kind ? attrs.oldObject : convert(attrs.res, res, attrs.oldObject)) ?? null
    const base = { object, oldObject, request: celRequest(attrs, res), namespaceObject: await namespaceObject(), authorizer: celAuthorizer(ctx, attrs, res) }
    for (const params of found.params) {
      const activation: Record<string, unknown> = { ...base, params }
      const mc = evaluateMatchConditions(pspec.matchConditions, ADMISSION_VARIABLES, activation)
      if (!mc.matches) continue
      if (mc.error) {
        decide({ message: mc.error, reason: 'Invalid' }, true)
        continue
      }
      const defs = (pspec.variables ?? []).map((v) => ({ name: v.name ?? '', program: program(v.expression ?? '', ADMISSION_VARIABLES) }))
      activation.variables = lazyVariables(defs, () => activation)
      for (const v of pspec.validations ?? []) {
        const d = validate(v, activation)
        if (d) decide(d, d.error === true)
      }
    }
  }
  if (denied) throw denied
}
