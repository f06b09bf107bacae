// Schema data for admissionregistration.k8s.io/v1 (ValidatingWebhookConfiguration,
// MutatingWebhookConfiguration, ValidatingAdmissionPolicy and its Binding). Field names, protobuf numbers and defaults follow upstream
// v1.32 (k8s.io/api/admissionregistration/v1); the descriptions are our own. Enumerations are
// plain strings here: validation answers them with upstream's 422s (a schema enum is a 400).
import { bytes, f, int32, int64, kind, LABEL_SELECTOR, list, META, mergeList, ref, string, struct, type Field, type FieldType, type Struct } from './dsl'

const A = 'io.k8s.api.admissionregistration.v1.'

const atomic = (of: FieldType = string) => list(of, { listType: 'atomic' })

/** The fields both webhook kinds share; the two differ in objectSelector's and matchConditions' numbers. */
function webhookFields(objectSelectorN: number, matchConditionsN: number): Record<string, Field> {
  return {
    name: f(1, string, 'The webhook, fully qualified (at least three DNS labels, e.g. deny-exec.example.com).', { required: true }),
    clientConfig: f(2, ref(A + 'WebhookClientConfig'), 'How the API server reaches the webhook: a URL or a Service, and the CA to trust.'),
    rules: f(3, atomic(ref(A + 'RuleWithOperations')), 'Operations on resources that are sent to the webhook (any rule matching is enough).'),
    failurePolicy: f(4, string, 'What an error calling the webhook does: Fail refuses the request, Ignore admits it.', {
      ptr: true,
      default: 'Fail',
    }),
    matchPolicy: f(9, string, 'Equivalent also sends requests made through another version of a matched resource.', {
      ptr: true,
      default: 'Equivalent',
    }),
    namespaceSelector: f(5, ref(LABEL_SELECTOR), 'Call the webhook only for objects in namespaces with these labels (a Namespace matches its own).', {
      default: {},
    }),
    objectSelector: f(objectSelectorN, ref(LABEL_SELECTOR), 'Call the webhook only for objects (new or old) with these labels.', { default: {} }),
    sideEffects: f(6, string, 'Whether calling the webhook changes anything; dry runs need None or NoneOnDryRun.', {
      ptr: true,
    }),
    timeoutSeconds: f(7, int32, 'How long a call may take (1 to 30 s; default 10); then failurePolicy applies.', { ptr: true, default: 10 }),
    admissionReviewVersions: f(8, atomic(), 'AdmissionReview versions the webhook understands, preferred first (v1, v1beta1).'),
    matchConditions: f(
      matchConditionsN,
      mergeList(ref(A + 'MatchCondition'), 'name'),
      'CEL conditions a request must also meet before the webhook is called (all true; an error follows failurePolicy).',
    ),
  }
}

export const structs: Struct[] = [
  kind(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    A + 'ValidatingWebhookConfiguration',
    'Webhooks the API server asks to admit or refuse requests, after validation.',
    { webhooks: f(2, mergeList(ref(A + 'ValidatingWebhook'), 'name'), 'The webhooks and the requests each is called for.') },
  ),
  kind(
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    A + 'MutatingWebhookConfiguration',
    'Webhooks the API server asks to admit, refuse or change objects (by a JSON patch), before validation.',
    { webhooks: f(2, mergeList(ref(A + 'MutatingWebhook'), 'name'), 'The webhooks and the requests each is called for, in order.') },
  ),
  struct(A + 'ValidatingWebhook', 'One validating webhook and the requests it is called for.', webhookFields(10, 11)),
  struct(A + 'MutatingWebhook', 'One mutating webhook and the requests it is called for.', {
    ...webhookFields(11, 12),
    reinvocationPolicy: f(10, string, 'Whether to call the webhook again when later admission changed the object.', {
      ptr: true,
      default: 'Never',
    }),
  }),
  struct(A + 'RuleWithOperations', 'Operations and the resources they are on.', {
    operations: f(1, atomic(), 'CREATE, UPDATE, DELETE, CONNECT or * (alone).'),
    // Rule, inline in JSON; one nested message (field 2) on the protobuf wire (protoEmbeds).
    apiGroups: f(1, atomic(), 'API groups ("" is core; * alone is all).'),
    apiVersions: f(2, atomic(), 'API versions (* alone is all).'),
    resources: f(3, atomic(), 'Resources: pods, pods/status, pods/* (all subresources), */scale, * (all resources, no subresources), */* (everything).'),
    scope: f(4, string, 'Cluster (Namespaces included), Namespaced, or * (default).', { ptr: true, default: '*' }),
  }),
  struct(A + 'WebhookClientConfig', 'Where the webhook listens (exactly one of url and service) and the CA its certificate is checked against.', {
    url: f(3, string, 'https://host[:port][/path]: no user, query or fragment.', { ptr: true }),
    service: f(1, ref(A + 'ServiceReference'), 'A Service in the cluster; the API server calls one of its ready endpoints.'),
    caBundle: f(2, bytes, "PEM CA certificates for the webhook's serving certificate (default: the system's roots)."),
  }),
  struct(A + 'ServiceReference', 'A Service port and path.', {
    namespace: f(1, string, 'Namespace of the Service.', { required: true }),
    name: f(2, string, 'Name of the Service.', { required: true }),
    path: f(3, string, 'URL path sent with each request.', { ptr: true }),
    port: f(4, int32, 'Service port (default 443).', { ptr: true, default: 443 }),
  }),
  struct(A + 'MatchCondition', 'A named CEL expression.', {
    name: f(1, string, 'Identifies the condition.', { required: true }),
    expression: f(2, string, 'CEL expression over object, oldObject, request and authorizer.', { required: true }),
  }),
]

// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (v1 since 1.30)
structs.push(
  kind(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicy',
    A + 'ValidatingAdmissionPolicy',
    'CEL validations the API server runs itself on the requests a binding of the policy matches.',
    {
      spec: f(2, ref(A + 'ValidatingAdmissionPolicySpec'), 'What the policy matches and validates.'),
      status: f(3, ref(A + 'ValidatingAdmissionPolicyStatus'), 'Observed generation, type checking and conditions.'),
    },
  ),
  struct(A + 'ValidatingAdmissionPolicySpec', 'What a policy matches, the parameters it takes and its CEL validations.', {
    paramKind: f(1, ref(A + 'ParamKind'), 'The kind of the parameter objects bindings refer to (e.g. v1 ConfigMap or a custom resource).'),
    matchConstraints: f(2, ref(A + 'MatchResources'), 'The requests the policy can apply to at all (resourceRules are required).'),
    validations: f(3, atomic(ref(A + 'Validation')), 'CEL expressions that must all be true for the request to pass.'),
    failurePolicy: f(4, string, 'What an error (bad expression, missing parameters) does: Fail refuses the request, Ignore admits it.', {
      ptr: true,
      default: 'Fail',
    }),
    auditAnnotations: f(5, atomic(ref(A + 'AuditAnnotation')), 'Audit annotations the policy adds (accepted, not recorded here).'),
    matchConditions: f(6, mergeList(ref(A + 'MatchCondition'), 'name'), 'CEL conditions a request must also meet for the validations to run.'),
    variables: f(7, atomic(ref(A + 'Variable')), 'Named CEL expressions, usable as variables.NAME in later variables and the validations.'),
  }),
  struct(A + 'ParamKind', 'The group/version and kind of parameter objects.', {
    apiVersion: f(1, string, 'group/version of the parameter kind (v1 for ConfigMap).'),
    kind: f(2, string, 'Kind of the parameter objects.'),
  }),
  struct(A + 'MatchResources', 'Which requests match: rules on resources and operations, namespace and object selectors.', {
    namespaceSelector: f(1, ref(LABEL_SELECTOR), 'Only objects in namespaces with these labels (a Namespace matches its own).', { default: {} }),
    objectSelector: f(2, ref(LABEL_SELECTOR), 'Only objects (new or old) with these labels.', { default: {} }),
    resourceRules: f(3, atomic(ref(A + 'NamedRuleWithOperations')), 'Operations on resources that match (any rule is enough).'),
    excludeResourceRules: f(4, atomic(ref(A + 'NamedRuleWithOperations')), 'Operations on resources that never match (wins over resourceRules).'),
    matchPolicy: f(7, string, 'Equivalent also matches requests made through another version of a matched resource.', {
      ptr: true,
      default: 'Equivalent',
    }),
  }),
  struct(A + 'NamedRuleWithOperations', 'Operations on resources, optionally only objects with these names.', {
    resourceNames: f(1, atomic(), 'Only objects with one of these names (empty: all).'),
    // RuleWithOperations (and its Rule), inline in JSON; nested messages on the protobuf wire (protoEmbeds).
    operations: f(1, atomic(), 'CREATE, UPDATE, DELETE, CONNECT or * (alone).'),
    apiGroups: f(1, atomic(), 'API groups ("" is core; * alone is all).'),
    apiVersions: f(2, atomic(), 'API versions (* alone is all).'),
    resources: f(3, atomic(), 'Resources, as in webhook rules.'),
    scope: f(4, string, 'Cluster (Namespaces included), Namespaced, or * (default).', { ptr: true, default: '*' }),
  }),
  struct(A + 'Validation', 'One CEL validation.', {
    expression: f(1, string, 'CEL expression over object, oldObject, request, params, namespaceObject and variables; must be true.', {
      required: true,
    }),
    message: f(2, string, 'Message of a failed validation (default: failed expression: EXPRESSION).'),
    reason: f(3, string, 'Status reason of a refusal: Unauthorized, Forbidden, Invalid (default) or RequestEntityTooLarge.', { ptr: true }),
    messageExpression: f(4, string, 'CEL expression giving the message (a string); wins over message when it evaluates.'),
  }),
  struct(A + 'Variable', 'A named CEL expression.', {
    name: f(1, string, 'The name (a CEL identifier), used as variables.NAME.', { required: true }),
    expression: f(2, string, 'The CEL expression; evaluated lazily, at most once per request.', { required: true }),
  }),
  struct(A + 'AuditAnnotation', 'An audit annotation a policy writes.', {
    key: f(1, string, 'The annotation key (a qualified name).', { required: true }),
    valueExpression: f(2, string, 'CEL expression giving the value (a string or null).', { required: true }),
  }),
  struct(A + 'ValidatingAdmissionPolicyStatus', 'What the API server observed of a policy.', {
    observedGeneration: f(1, int64, 'The generation the status is about.'),
    typeChecking: f(2, ref(A + 'TypeChecking'), 'Type checking results (not produced here).'),
    conditions: f(3, list(ref(META + 'Condition'), { listType: 'map', mapKeys: ['type'] }), 'Conditions of the policy.'),
  }),
  struct(A + 'TypeChecking', 'Type checking warnings of a policy.', {
    expressionWarnings: f(1, atomic(ref(A + 'ExpressionWarning')), 'Warnings, one per expression.'),
  }),
  struct(A + 'ExpressionWarning', 'A type checking warning.', {
    fieldRef: f(2, string, 'The expression the warning is about.', { required: true }),
    warning: f(3, string, 'The warning.', { required: true }),
  }),
  kind(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicyBinding',
    A + 'ValidatingAdmissionPolicyBinding',
    'Applies a ValidatingAdmissionPolicy to some requests, with parameters and the actions a failed validation takes.',
    { spec: f(2, ref(A + 'ValidatingAdmissionPolicyBindingSpec'), 'The policy, its parameters, what it matches and its actions.') },
  ),
  struct(A + 'ValidatingAdmissionPolicyBindingSpec', 'The policy a binding applies, and how.', {
    policyName: f(1, string, 'The ValidatingAdmissionPolicy applied.'),
    paramRef: f(2, ref(A + 'ParamRef'), 'The parameter object(s): by name, or by a label selector, in a namespace or cluster-wide.'),
    matchResources: f(3, ref(A + 'MatchResources'), "Narrows the policy's matchConstraints (unset: the policy's)."),
    validationActions: f(4, list(string, { listType: 'set' }), 'Deny, Warn and/or Audit: what a failed validation does.'),
  }),
  struct(A + 'ParamRef', 'Where the parameters of a binding are.', {
    name: f(1, string, 'The name of one parameter object (not with selector).'),
    namespace: f(2, string, "Its namespace (unset: the request's namespace for namespaced parameter kinds)."),
    selector: f(3, ref(LABEL_SELECTOR), 'Parameter objects with these labels (each is evaluated; not with name).'),
    parameterNotFoundAction: f(4, string, 'Allow or Deny when no parameter object is found.', { ptr: true }),
  }),
)

export const protoEmbeds: readonly { readonly struct: string; readonly n: number; readonly fields: readonly string[] }[] = [
  { struct: A + 'RuleWithOperations', n: 2, fields: ['apiGroups', 'apiVersions', 'resources', 'scope'] },
  // NamedRuleWithOperations{resourceNames=1, RuleWithOperations=2{operations=1, Rule=2{apiGroups=1, …}}}
  { struct: A + 'NamedRuleWithOperations', n: 2, fields: ['operations', 'apiGroups', 'apiVersions', 'resources', 'scope'] },
  { struct: A + 'NamedRuleWithOperations(embedded 2)', n: 2, fields: ['apiGroups', 'apiVersions', 'resources', 'scope'] },
]
