// Webhook configuration validation as upstream's (pkg/apis/admissionregistration/validation and
// k8s.io/apiserver/pkg/util/webhook): fully qualified unique webhook names, rules, policies, side
// effects (None/NoneOnDryRun in v1), timeouts, selectors, one of url/service, AdmissionReview
// versions. On update the v1 requirements apply only when the stored object already met them.
// ValidatingAdmissionPolicy and its Binding as upstream's too; CEL expressions are compiled
// (`compilation failed: …` naming the field).
import { fieldErr, type FieldError } from '../errors'
import { ADMISSION_VARIABLES, compileError, MATCH_CONDITION_VARIABLES } from '../../apiserver/cel'
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName } from './names'
import { validateSelector } from './selector'
import { child, has, items, num, str, strings, type Errs, type Obj } from './util'

const ACCEPTED_REVIEW_VERSIONS = ['v1', 'v1beta1']
const FAILURE_POLICIES = ['Fail', 'Ignore']
const MATCH_POLICIES = ['Equivalent', 'Exact']
const ALL_SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown']
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun']
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE']
const SCOPES = ['*', 'Cluster', 'Namespaced']
const REINVOCATION = ['IfNeeded', 'Never']

interface Options {
  requireNoSideEffects: boolean
  requireRecognizedVersion: boolean
  requireUniqueNames: boolean
}

const STRICT: Options = { requireNoSideEffects: true, requireRecognizedVersion: true, requireUniqueNames: true }

function fullyQualifiedName(path: string, name: string): Errs {
  if (!name) return [fieldErr.required(path)]
  const errs = isDNS1123Subdomain(name)
  if (errs.length) return [fieldErr.invalid(path, name, errs.join(','))]
  if (name.split('.').length < 3) return [fieldErr.invalid(path, name, 'should be a domain with at least three segments separated by dots')]
  return []
}

function validateResources(resources: string[], path: string): Errs {
  const errs: Errs = []
  if (resources.length === 0) errs.push(fieldErr.required(path))
  const wildSub = new Set<string>()
  const wildRes = new Set<string>()
  let doubleWild = false
  let singleWild = false
  let plain = false
  resources.forEach((r, i) => {
    if (r === '') {
      errs.push(fieldErr.required(`${path}[${i}]`))
      return
    }
    if (r === '*/*') doubleWild = true
    if (r === '*') singleWild = true
    const slash = r.indexOf('/')
    if (slash < 0) {
      plain = r !== '*'
      return
    }
    const res = r.slice(0, slash)
    const sub = r.slice(slash + 1)
    if (wildSub.has(res)) errs.push(fieldErr.invalid(`${path}[${i}]`, r, `if '${res}/*' is present, must not specify ${r}`))
    if (wildRes.has(sub)) errs.push(fieldErr.invalid(`${path}[${i}]`, r, `if '*/${sub}' is present, must not specify ${r}`))
    if (sub === '*') wildSub.add(res)
    if (res === '*') wildRes.add(sub)
  })
  if (resources.length > 1 && doubleWild) errs.push(fieldErr.invalid(path, resources, "if '*/*' is present, must not specify other resources"))
  if (singleWild && plain) errs.push(fieldErr.invalid(path, resources, "if '*' is present, must not specify other resources without subresources"))
  return errs
}

function validateRule(rule: Obj, path: string): Errs {
  const errs: Errs = []
  const ops = strings(rule, 'operations')
  if (ops.length === 0) errs.push(fieldErr.required(`${path}.operations`))
  if (ops.length > 1 && ops.includes('*')) errs.push(fieldErr.invalid(`${path}.operations`, ops, "if '*' is present, must not specify other operations"))
  ops.forEach((o, i) => {
    if (!OPERATIONS.includes(o)) errs.push(fieldErr.notSupported(`${path}.operations[${i}]`, o, OPERATIONS))
  })
  const groups = strings(rule, 'apiGroups')
  if (groups.length === 0) errs.push(fieldErr.required(`${path}.apiGroups`))
  if (groups.length > 1 && groups.includes('*'))
    errs.push(fieldErr.invalid(`${path}.apiGroups`, groups, "if '*' is present, must not specify other API groups"))
  const versions = strings(rule, 'apiVersions')
  if (versions.length === 0) errs.push(fieldErr.required(`${path}.apiVersions`))
  if (versions.length > 1 && versions.includes('*'))
    errs.push(fieldErr.invalid(`${path}.apiVersions`, versions, "if '*' is present, must not specify other API versions"))
  versions.forEach((v, i) => {
    if (v === '') errs.push(fieldErr.required(`${path}.apiVersions[${i}]`))
  })
  errs.push(...validateResources(strings(rule, 'resources'), `${path}.resources`))
  const scope = str(rule, 'scope')
  if (scope !== undefined && !SCOPES.includes(scope)) errs.push(fieldErr.notSupported(`${path}.scope`, scope, SCOPES))
  return errs
}

function validateUrl(path: string, raw: string): Errs {
  const form = '; desired format: https://host[/path]'
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return [fieldErr.required(path, `url must be a valid URL: parse ${JSON.stringify(raw)}: invalid URI for request${form}`)]
  }
  const errs: Errs = []
  const scheme = u.protocol.replace(/:$/, '')
  if (scheme !== 'https') errs.push(fieldErr.invalid(path, scheme, `'https' is the only allowed URL scheme${form}`))
  if (!u.host) errs.push(fieldErr.invalid(path, u.host, `host must be specified${form}`))
  if (u.username || u.password)
    errs.push(fieldErr.invalid(path, u.password ? `${u.username}:xxxxx` : u.username, 'user information is not permitted in the URL'))
  if (u.hash) errs.push(fieldErr.invalid(path, u.hash.slice(1), 'fragments are not permitted in the URL'))
  if (u.search) errs.push(fieldErr.invalid(path, u.search.slice(1), 'query parameters are not permitted in the URL'))
  return errs
}

function validateService(path: string, svc: Obj): Errs {
  const errs: Errs = []
  if (!str(svc, 'name')) errs.push(fieldErr.required(`${path}.name`, 'service name is required'))
  if (!str(svc, 'namespace')) errs.push(fieldErr.required(`${path}.namespace`, 'service namespace is required'))
  const port = num(svc, 'port') ?? 443
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    errs.push(fieldErr.invalid(`${path}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'))
  const p = str(svc, 'path')
  if (p === undefined || p === '' || p === '/') return errs
  if (p === '//') return [...errs, fieldErr.invalid(`${path}.path`, p, 'segment[0] may not be empty')]
  if (!p.startsWith('/')) errs.push(fieldErr.invalid(`${path}.path`, p, "must start with a '/'"))
  let rest = p.slice(1)
  if (rest.endsWith('/')) rest = rest.slice(0, -1)
  rest.split('/').forEach((step, i) => {
    if (!step) errs.push(fieldErr.invalid(`${path}.path`, p, `segment[${i}] may not be empty`))
    else for (const m of isDNS1123Subdomain(step)) errs.push(fieldErr.invalid(`${path}.path`, p, `segment[${i}]: ${m}`))
  })
  return errs
}

function validateReviewVersions(versions: string[], path: string, requireRecognized: boolean): Errs {
  if (versions.length === 0) return [fieldErr.required(path, `must specify one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`)]
  const errs: Errs = []
  const seen = new Set<string>()
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldErr.invalid(`${path}[${i}]`, v, 'duplicate version'))
      return
    }
    seen.add(v)
    for (const m of isDNS1035Label(v)) errs.push(fieldErr.invalid(`${path}[${i}]`, v, m))
  })
  if (requireRecognized && !versions.some((v) => ACCEPTED_REVIEW_VERSIONS.includes(v)))
    errs.push(fieldErr.invalid(path, versions, `must include at least one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`))
  return errs
}

function validateWebhook(hook: Obj, path: string, mutating: boolean, opts: Options): Errs {
  const errs: Errs = [...fullyQualifiedName(`${path}.name`, str(hook, 'name') ?? '')]
  items(hook, 'rules').forEach((r, i) => errs.push(...validateRule(r, `${path}.rules[${i}]`)))
  const fp = str(hook, 'failurePolicy')
  if (fp !== undefined && !FAILURE_POLICIES.includes(fp)) errs.push(fieldErr.notSupported(`${path}.failurePolicy`, fp, FAILURE_POLICIES))
  const mp = str(hook, 'matchPolicy')
  if (mp !== undefined && !MATCH_POLICIES.includes(mp)) errs.push(fieldErr.notSupported(`${path}.matchPolicy`, mp, MATCH_POLICIES))
  const allowed = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : ALL_SIDE_EFFECTS
  const se = str(hook, 'sideEffects')
  if (se === undefined) errs.push(fieldErr.required(`${path}.sideEffects`, `must specify one of ${allowed.join(', ')}`))
  else if (!allowed.includes(se)) errs.push(fieldErr.notSupported(`${path}.sideEffects`, se, allowed))
  const timeout = num(hook, 'timeoutSeconds')
  if (timeout !== undefined && (timeout > 30 || timeout < 1))
    errs.push(fieldErr.invalid(`${path}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'))
  errs.push(...validateSelector(child(hook, 'namespaceSelector'), `${path}.namespaceSelector`))
  errs.push(...validateSelector(child(hook, 'objectSelector'), `${path}.objectSelector`))
  if (mutating) {
    const rp = str(hook, 'reinvocationPolicy')
    if (rp !== undefined && !REINVOCATION.includes(rp)) errs.push(fieldErr.notSupported(`${path}.reinvocationPolicy`, rp, REINVOCATION))
  }
  const cc = child(hook, 'clientConfig') ?? {}
  if (has(cc, 'url') === has(cc, 'service')) errs.push(fieldErr.required(`${path}.clientConfig`, 'exactly one of url or service is required'))
  else if (has(cc, 'url')) errs.push(...validateUrl(`${path}.clientConfig.url`, str(cc, 'url') ?? ''))
  else errs.push(...validateService(`${path}.clientConfig.service`, child(cc, 'service') ?? {}))
  errs.push(...validateMatchConditions(items(hook, 'matchConditions'), `${path}.matchConditions`, MATCH_CONDITION_VARIABLES))
  return errs
}

/** A CEL expression: required, and compiling with the variables its context declares. */
function validateExpression(expr: string | undefined, path: string, variables: readonly string[]): Errs {
  if (!expr) return [fieldErr.required(path)]
  const why = compileError(expr, variables)
  return why ? [fieldErr.invalid(path, expr, `compilation failed: ${why}`)] : []
}

function validateMatchConditions(conditions: Obj[], path: string, variables: readonly string[]): Errs {
  const errs: Errs = []
  if (conditions.length > 64) errs.push({ type: 'FieldValueTooMany', field: path, badValue: conditions.length, detail: 'must have at most 64 items' })
  const names = new Set<string>()
  conditions.forEach((c, i) => {
    const p = `${path}[${i}]`
    const name = str(c, 'name') ?? ''
    if (!name) errs.push(fieldErr.required(`${p}.name`))
    else {
      for (const m of isQualifiedName(name)) errs.push(fieldErr.invalid(`${p}.name`, name, m))
      if (names.has(name)) errs.push({ type: 'FieldValueDuplicate', field: `${p}.name`, badValue: name })
      names.add(name)
    }
    errs.push(...validateExpression(str(c, 'expression'), `${p}.expression`, variables))
  })
  return errs
}

function validateConfiguration(o: Obj, mutating: boolean, opts: Options): Errs {
  const errs: FieldError[] = []
  const names = new Set<string>()
  items(o, 'webhooks').forEach((hook, i) => {
    const path = `webhooks[${i}]`
    errs.push(...validateWebhook(hook, path, mutating, opts))
    errs.push(...validateReviewVersions(strings(hook, 'admissionReviewVersions'), `${path}.admissionReviewVersions`, opts.requireRecognizedVersion))
    const name = str(hook, 'name') ?? ''
    if (opts.requireUniqueNames && name) {
      if (names.has(name)) errs.push({ type: 'FieldValueDuplicate', field: `${path}.name`, badValue: name })
      names.add(name)
    }
  })
  return errs
}

/** What the stored object already met decides how strict an update is (upstream's ratcheting). */
function optionsFromOld(old: Obj): Options {
  const hooks = items(old, 'webhooks')
  const names = hooks.map((h) => str(h, 'name'))
  return {
    requireNoSideEffects: hooks.every((h) => NO_SIDE_EFFECTS.includes(str(h, 'sideEffects') ?? '')),
    requireRecognizedVersion: hooks.every((h) => {
      const v = strings(h, 'admissionReviewVersions')
      return v.length === 0 || v.some((x) => ACCEPTED_REVIEW_VERSIONS.includes(x))
    }),
    requireUniqueNames: new Set(names).size === names.length,
  }
}

export const validateValidatingWebhookConfiguration = (obj: Obj): Errs => validateConfiguration(obj, false, STRICT)
export const validateMutatingWebhookConfiguration = (obj: Obj): Errs => validateConfiguration(obj, true, STRICT)
export const validateValidatingWebhookConfigurationUpdate = (obj: Obj, old: Obj): Errs => validateConfiguration(obj, false, optionsFromOld(old))
export const validateMutatingWebhookConfigurationUpdate = (obj: Obj, old: Obj): Errs => validateConfiguration(obj, true, optionsFromOld(old))

// ---- ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding ----

const REASONS = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge']
const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn']
const PARAM_NOT_FOUND = ['Allow', 'Deny']
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/
const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
])

function validateMatchResources(m: Obj | undefined, path: string, requireRules: boolean): Errs {
  const errs: Errs = []
  if (!m) return requireRules ? [fieldErr.required(path)] : []
  const mp = str(m, 'matchPolicy')
  if (mp !== undefined && !MATCH_POLICIES.includes(mp)) errs.push(fieldErr.notSupported(`${path}.matchPolicy`, mp, MATCH_POLICIES))
  errs.push(...validateSelector(child(m, 'namespaceSelector'), `${path}.namespaceSelector`))
  errs.push(...validateSelector(child(m, 'objectSelector'), `${path}.objectSelector`))
  const rules = items(m, 'resourceRules')
  if (requireRules && rules.length === 0) errs.push(fieldErr.required(`${path}.resourceRules`))
  rules.forEach((r, i) => errs.push(...validateRule(r, `${path}.resourceRules[${i}]`)))
  items(m, 'excludeResourceRules').forEach((r, i) => errs.push(...validateRule(r, `${path}.excludeResourceRules[${i}]`)))
  return errs
}

export function validateValidatingAdmissionPolicy(obj: Obj): Errs {
  const errs: Errs = []
  const spec = child(obj, 'spec') ?? {}
  const fp = str(spec, 'failurePolicy')
  if (fp !== undefined && !FAILURE_POLICIES.includes(fp)) errs.push(fieldErr.notSupported('spec.failurePolicy', fp, FAILURE_POLICIES))
  const pk = child(spec, 'paramKind')
  if (pk) {
    const av = str(pk, 'apiVersion') ?? ''
    if (!av) errs.push(fieldErr.required('spec.paramKind.apiVersion'))
    else if (av.split('/').length > 2 || av.split('/').some((x) => !x))
      errs.push(fieldErr.invalid('spec.paramKind.apiVersion', av, 'must be a valid group/version'))
    if (!str(pk, 'kind')) errs.push(fieldErr.required('spec.paramKind.kind'))
  }
  errs.push(...validateMatchResources(child(spec, 'matchConstraints'), 'spec.matchConstraints', true))
  const validations = items(spec, 'validations')
  const audit = items(spec, 'auditAnnotations')
  if (validations.length === 0 && audit.length === 0)
    errs.push(fieldErr.required('spec.validations', 'validations or auditAnnotations must contain at least one item'))
  const variables = items(spec, 'variables')
  const seen = new Set<string>()
  variables.forEach((v, i) => {
    const p = `spec.variables[${i}]`
    const name = str(v, 'name') ?? ''
    if (!name) errs.push(fieldErr.required(`${p}.name`))
    else if (!CEL_IDENTIFIER.test(name) || CEL_RESERVED.has(name)) errs.push(fieldErr.invalid(`${p}.name`, name, 'name is not a valid CEL identifier'))
    else if (seen.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name))
    seen.add(name)
    errs.push(...validateExpression(str(v, 'expression'), `${p}.expression`, ADMISSION_VARIABLES))
  })
  validations.forEach((v, i) => {
    const p = `spec.validations[${i}]`
    errs.push(...validateExpression(str(v, 'expression'), `${p}.expression`, ADMISSION_VARIABLES))
    const msg = str(v, 'message')
    if (msg !== undefined) {
      if (msg.trim() === '' && msg !== '') errs.push(fieldErr.invalid(`${p}.message`, msg, 'message must be non-empty if specified'))
      else if (msg.includes('\n')) errs.push(fieldErr.invalid(`${p}.message`, msg, 'message must not contain line breaks'))
    }
    const me = str(v, 'messageExpression')
    if (me !== undefined) {
      if (me.trim() === '') errs.push(fieldErr.required(`${p}.messageExpression`, 'messageExpression must be non-empty if specified'))
      else errs.push(...validateExpression(me, `${p}.messageExpression`, ADMISSION_VARIABLES))
    }
    const reason = str(v, 'reason')
    if (reason !== undefined && !REASONS.includes(reason)) errs.push(fieldErr.notSupported(`${p}.reason`, reason, REASONS))
  })
  audit.forEach((a, i) => {
    const p = `spec.auditAnnotations[${i}]`
    const key = str(a, 'key') ?? ''
    if (!key) errs.push(fieldErr.required(`${p}.key`))
    else for (const m of isQualifiedName(`${str(obj.metadata, 'name') ?? ''}/${key}`)) errs.push(fieldErr.invalid(`${p}.key`, key, m))
    errs.push(...validateExpression(str(a, 'valueExpression'), `${p}.valueExpression`, ADMISSION_VARIABLES))
  })
  errs.push(...validateMatchConditions(items(spec, 'matchConditions'), 'spec.matchConditions', ADMISSION_VARIABLES))
  return errs
}

export function validateValidatingAdmissionPolicyBinding(obj: Obj): Errs {
  const errs: Errs = []
  const spec = child(obj, 'spec') ?? {}
  if (!str(spec, 'policyName')) errs.push(fieldErr.required('spec.policyName'))
  const pr = child(spec, 'paramRef')
  if (pr) {
    const name = str(pr, 'name')
    const selector = child(pr, 'selector')
    if (name && selector) errs.push(fieldErr.forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'))
    if (!name && !selector) errs.push(fieldErr.required('spec.paramRef', 'one of name or selector must be specified'))
    if (name) for (const m of isDNS1123Subdomain(name)) errs.push(fieldErr.invalid('spec.paramRef.name', name, m))
    if (selector) errs.push(...validateSelector(selector, 'spec.paramRef.selector'))
    const ns = str(pr, 'namespace')
    if (ns) for (const m of isDNS1123Subdomain(ns)) errs.push(fieldErr.invalid('spec.paramRef.namespace', ns, m))
    const pnf = str(pr, 'parameterNotFoundAction')
    if (pnf === undefined) errs.push(fieldErr.required('spec.paramRef.parameterNotFoundAction'))
    else if (!PARAM_NOT_FOUND.includes(pnf)) errs.push(fieldErr.notSupported('spec.paramRef.parameterNotFoundAction', pnf, PARAM_NOT_FOUND))
  }
  errs.push(...validateMatchResources(child(spec, 'matchResources'), 'spec.matchResources', false))
  const actions = strings(spec, 'validationActions')
  if (actions.length === 0) errs.push(fieldErr.required('spec.validationActions', 'at least one validation action is required'))
  const seenActions = new Set<string>()
  actions.forEach((a, i) => {
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(fieldErr.notSupported(`spec.validationActions[${i}]`, a, VALIDATION_ACTIONS))
    if (seenActions.has(a)) errs.push(fieldErr.duplicate(`spec.validationActions[${i}]`, a))
    seenActions.add(a)
  })
  if (seenActions.has('Deny') && seenActions.has('Warn'))
    errs.push(
      fieldErr.invalid(
        'spec.validationActions',
        actions,
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    )
  return errs
}
