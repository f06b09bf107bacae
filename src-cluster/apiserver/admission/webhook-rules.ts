// The pure half of admission webhooks, as upstream's (k8s.io/apiserver/pkg/admission/plugin/webhook):
// which webhooks a request matches (rules by operation/group/version/resource/subresource and
// scope, with matchPolicy), the AdmissionReview the API server sends, and the checks on the
// answer (kind, uid, patch type) with upstream's messages.
import type { KubeObject } from '../../api/object'
import type { ResourceInfo } from '../../api/resources'
import { selectorMatches } from '../../api/validation/selector'
import type { User } from '../user'

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'

export interface Gvk {
  readonly group: string
  readonly version: string
  readonly kind: string
}
export interface Gvr {
  readonly group: string
  readonly version: string
  readonly resource: string
}

/** What admission knows about one request (upstream's admission.Attributes). */
export interface AdmissionAttributes {
  readonly operation: Operation
  readonly res: ResourceInfo
  readonly subresource?: string
  /** For a Namespace object, its own name (as upstream sets it). */
  readonly namespace?: string
  readonly name: string
  /** The new object (absent for DELETE). */
  object?: KubeObject
  readonly oldObject?: KubeObject
  readonly dryRun: boolean
  /** CreateOptions / UpdateOptions / PatchOptions / DeleteOptions, as sent to webhooks. */
  readonly options?: Record<string, unknown>
  readonly user?: User
  /** The object's own kind when it is not the resource's (CONNECT: PodExecOptions, …). */
  readonly kind?: Gvk
}

export interface Rule {
  operations?: string[]
  apiGroups?: string[]
  apiVersions?: string[]
  resources?: string[]
  scope?: string
}

export interface Webhook {
  name: string
  clientConfig?: { url?: string; service?: { namespace?: string; name?: string; path?: string; port?: number }; caBundle?: string }
  rules?: Rule[]
  failurePolicy?: string
  matchPolicy?: string
  namespaceSelector?: Record<string, unknown>
  objectSelector?: Record<string, unknown>
  sideEffects?: string
  timeoutSeconds?: number
  admissionReviewVersions?: string[]
  reinvocationPolicy?: string
  matchConditions?: { name?: string; expression?: string }[]
}

const has = (list: readonly string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v))

function scopeMatches(rule: Rule, a: AdmissionAttributes): boolean {
  const scope = rule.scope ?? '*'
  if (scope === '*') return true
  const isNamespaceObject = a.res.group === '' && a.res.plural === 'namespaces'
  if (scope === 'Namespaced') return !isNamespaceObject && !!a.namespace
  if (scope === 'Cluster') return isNamespaceObject || !a.namespace
  return false
}

/** Whether one rule matches a request made through `gvr` (upstream's rules.Matcher). */
export function ruleMatches(rule: Rule, attrs: AdmissionAttributes, gvr: Gvr): boolean {
  if (!scopeMatches(rule, attrs)) return false
  if (!has(rule.operations, attrs.operation)) return false
  if (!has(rule.apiGroups, gvr.group)) return false
  if (!has(rule.apiVersions, gvr.version)) return false
  const sub = attrs.subresource ?? ''
  return (rule.resources ?? []).some((r) => {
    const slash = r.indexOf('/')
    const res = slash < 0 ? r : r.slice(0, slash)
    const rsub = slash < 0 ? '' : r.slice(slash + 1)
    return (res === '*' || res === gvr.resource) && (rsub === '*' || rsub === sub)
  })
}

export const gvrOf = (res: Pick<ResourceInfo, 'group' | 'version' | 'plural'>): Gvr => ({ group: res.group, version: res.version, resource: res.plural })

/**
 * The resource a webhook is called for: the request's own when a rule matches it, else (with
 * matchPolicy Equivalent) the first equivalent resource — the same objects served by another
 * version or group — that a rule matches; undefined when the webhook does not apply.
 */
export function matchingResource(hook: Webhook, attrs: AdmissionAttributes, equivalents: readonly ResourceInfo[]): ResourceInfo | undefined {
  const rules = hook.rules ?? []
  if (rules.some((r) => ruleMatches(r, attrs, gvrOf(attrs.res)))) return attrs.res
  if ((hook.matchPolicy ?? 'Equivalent') !== 'Equivalent') return undefined
  return equivalents.find((eq) => rules.some((r) => ruleMatches(r, attrs, gvrOf(eq))))
}

const labelsOf = (o: KubeObject | undefined): Record<string, unknown> => (o?.metadata?.labels as Record<string, unknown> | undefined) ?? {}

function selectorIsEmpty(sel: Record<string, unknown> | undefined): boolean {
  if (!sel) return true
  const ml = sel.matchLabels as Record<string, unknown> | undefined
  const me = sel.matchExpressions as unknown[] | undefined
  return (!ml || Object.keys(ml).length === 0) && (!me || me.length === 0)
}

/** objectSelector: the new or the old object's labels match (an empty selector matches all). */
export function objectSelectorMatches(hook: Webhook, attrs: AdmissionAttributes): boolean {
  const sel = hook.objectSelector
  if (selectorIsEmpty(sel)) return true
  return [attrs.object, attrs.oldObject].some((o) => o !== undefined && selectorMatches(sel, labelsOf(o)))
}

/** namespaceSelector against the labels given (the namespace's, or a Namespace's own). */
export function namespaceSelectorMatches(hook: Webhook, namespaceLabels: Record<string, unknown> | undefined): boolean {
  if (selectorIsEmpty(hook.namespaceSelector) || namespaceLabels === undefined) return true
  return selectorMatches(hook.namespaceSelector, namespaceLabels)
}

export function namespaceSelectorIsEmpty(hook: Webhook): boolean {
  return selectorIsEmpty(hook.namespaceSelector)
}

/** The AdmissionReview version the API server speaks with a webhook: its first one we know. */
export function reviewVersion(hook: Webhook): string | undefined {
  return (hook.admissionReviewVersions ?? []).find((v) => v === 'v1' || v === 'v1beta1')
}

export function buildReview(
  uid: string,
  version: string,
  attrs: AdmissionAttributes,
  resource: Gvr,
  kind: Gvk,
  requestKind: Gvk,
  object: KubeObject | undefined,
  oldObject: KubeObject | undefined,
): Record<string, unknown> {
  const user = attrs.user
  const userInfo: Record<string, unknown> = { username: user?.name ?? '', groups: user?.groups ?? [] }
  if (user?.uid) userInfo.uid = user.uid
  if (user?.extra && Object.keys(user.extra).length) userInfo.extra = user.extra
  const request: Record<string, unknown> = {
    uid,
    kind,
    resource,
    requestKind,
    requestResource: gvrOf(attrs.res),
    name: attrs.name || undefined,
    namespace: attrs.namespace || undefined,
    operation: attrs.operation,
    userInfo,
    object: object ?? null,
    oldObject: oldObject ?? null,
    dryRun: attrs.dryRun,
    options: attrs.options ?? null,
  }
  if (attrs.subresource) {
    request.subResource = attrs.subresource
    request.requestSubResource = attrs.subresource
  }
  return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request }
}

export interface ReviewResult {
  allowed: boolean
  status?: { code?: number; reason?: string; message?: string; status?: string; details?: unknown }
  patch?: Buffer
  warnings: string[]
}

/** Checks a webhook's answer as upstream's VerifyAdmissionResponse; throws with its words. */
export function verifyResponse(uid: string, version: string, mutating: boolean, body: unknown): ReviewResult {
  const review = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const apiVersion = String(review.apiVersion ?? '')
  const kind = String(review.kind ?? '')
  if (apiVersion !== `admission.k8s.io/${version}` || kind !== 'AdmissionReview') {
    const [g, v] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
    throw new Error(`expected webhook response of admission.k8s.io/${version}, Kind=AdmissionReview, got ${g}/${v}, Kind=${kind}`)
  }
  const r = review.response as Record<string, unknown> | undefined
  if (!r || typeof r !== 'object') throw new Error('webhook response was absent')
  const gotUid = String(r.uid ?? '')
  if (gotUid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(gotUid)}`)
  const patchB64 = typeof r.patch === 'string' ? r.patch : ''
  const patchType = typeof r.patchType === 'string' ? r.patchType : ''
  if (version === 'v1') {
    if (patchB64 && !patchType) throw new Error('webhook returned response.patch but not response.patchType')
    if (!patchB64 && patchType) throw new Error('webhook returned response.patchType but not response.patch')
  }
  if (patchB64 && !mutating) throw new Error('validating webhook may not return response.patch')
  if (patchType && patchType !== 'JSONPatch') throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`)
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : []
  return {
    allowed: r.allowed === true,
    status: r.status && typeof r.status === 'object' ? (r.status as ReviewResult['status']) : undefined,
    patch: patchB64 ? Buffer.from(patchB64, 'base64') : undefined,
    warnings,
  }
}
