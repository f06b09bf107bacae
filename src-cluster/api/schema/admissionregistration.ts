// Schema data for admissionregistration.k8s.io/v1 (ValidatingWebhookConfiguration,
// MutatingWebhookConfiguration). Field names, protobuf numbers and defaults follow upstream
// v1.32 (k8s.io/api/admissionregistration/v1); the descriptions are our own. Enumerations are
// plain strings here: validation answers them with upstream's 422s (a schema enum is a 400).
import { bytes, f, int32, kind, LABEL_SELECTOR, list, mergeList, ref, string, struct, type Field, type FieldType, type Struct } from './dsl'

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
    matchConditions: f(matchConditionsN, mergeList(ref(A + 'MatchCondition'), 'name'), 'CEL conditions a request must also meet (stored, not evaluated here).'),
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

export const protoEmbeds: readonly { readonly struct: string; readonly n: number; readonly fields: readonly string[] }[] = [
  { struct: A + 'RuleWithOperations', n: 2, fields: ['apiGroups', 'apiVersions', 'resources', 'scope'] },
]
