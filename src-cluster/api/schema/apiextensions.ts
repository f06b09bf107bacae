// Schema data for apiextensions.k8s.io/v1 CustomResourceDefinition. The version's
// openAPIV3Schema is kept as raw JSON here: it is checked by the CRD's own validation
// (structural rules), not by this walker. Protobuf numbers follow upstream v1.32.
import { bool, enumOf, f, int32, kind, list, raw, ref, string, struct, time, type Struct } from './dsl'

const X = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.'

export const structs: Struct[] = [
  kind(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    X + 'CustomResourceDefinition',
    'A new resource type served by the API server, with its names, versions and schema.',
    {
      spec: f(2, ref(X + 'CustomResourceDefinitionSpec'), 'What the new resource is: group, names, scope, versions.', { required: true }),
      status: f(3, ref(X + 'CustomResourceDefinitionStatus'), 'Conditions, accepted names and stored versions.'),
    },
  ),
  struct(X + 'CustomResourceDefinitionSpec', 'Group, names, scope and versions of a custom resource.', {
    group: f(1, string, 'API group of the resource (a DNS subdomain with at least one dot).', { required: true }),
    names: f(3, ref(X + 'CustomResourceDefinitionNames'), 'Plural, singular, kind, short names and categories.', { required: true }),
    scope: f(4, enumOf('Namespaced', 'Cluster'), 'Whether objects live in a namespace (Namespaced) or not (Cluster).', { required: true }),
    versions: f(7, list(ref(X + 'CustomResourceDefinitionVersion'), { listType: 'atomic' }), 'The versions served; exactly one is the storage version.', {
      required: true,
    }),
    conversion: f(9, ref(X + 'CustomResourceConversion'), 'How objects convert between versions (None: only apiVersion changes).'),
    preserveUnknownFields: f(10, bool, 'Obsolete: must be false; use x-kubernetes-preserve-unknown-fields in the schema.'),
  }),
  struct(X + 'CustomResourceDefinitionNames', 'The names of a custom resource.', {
    plural: f(1, string, 'Plural name, used in URLs (lowercase).', { required: true }),
    singular: f(2, string, 'Singular name (defaults to the lowercase kind).'),
    shortNames: f(3, list(string, { listType: 'atomic' }), 'Short names kubectl accepts.'),
    kind: f(4, string, 'Kind of the objects (CamelCase).', { required: true }),
    listKind: f(5, string, 'Kind of lists (defaults to kind + "List").'),
    categories: f(6, list(string, { listType: 'atomic' }), 'Groups of resources this one belongs to (e.g. "all").'),
  }),
  struct(X + 'CustomResourceDefinitionVersion', 'One version of a custom resource.', {
    name: f(1, string, 'Version name, e.g. v1 or v1beta1.', { required: true }),
    served: f(2, bool, 'Whether this version is served.', { required: true }),
    storage: f(3, bool, 'Whether objects are stored in this version (exactly one).', { required: true }),
    schema: f(4, ref(X + 'CustomResourceValidation'), 'The schema objects of this version must match.'),
    subresources: f(5, ref(X + 'CustomResourceSubresources'), 'The status and scale subresources, if wanted.'),
    additionalPrinterColumns: f(6, list(ref(X + 'CustomResourceColumnDefinition'), { listType: 'atomic' }), 'Extra columns in kubectl get.'),
    deprecated: f(7, bool, 'Whether this version is deprecated (requests get a warning).'),
    deprecationWarning: f(8, string, 'The warning sent instead of the default one.'),
    selectableFields: f(9, list(raw, { listType: 'atomic' }), 'Fields usable in field selectors (not served yet).'),
  }),
  struct(X + 'CustomResourceValidation', 'The schema of one version.', {
    openAPIV3Schema: f(1, raw, 'An OpenAPI v3 schema; must be structural.'),
  }),
  struct(X + 'CustomResourceSubresources', 'Subresources of a custom resource version.', {
    status: f(2, raw, 'Present ({}) to serve /status; the main resource then ignores .status.'),
    scale: f(1, ref(X + 'CustomResourceSubresourceScale'), 'Serve /scale from these paths.'),
  }),
  struct(X + 'CustomResourceSubresourceScale', 'Where the scale subresource reads and writes.', {
    specReplicasPath: f(1, string, 'JSON path of the desired replicas, under .spec.', { required: true }),
    statusReplicasPath: f(2, string, 'JSON path of the observed replicas, under .status.', { required: true }),
    labelSelectorPath: f(3, string, 'JSON path of the label selector string, under .status or .spec.'),
  }),
  struct(X + 'CustomResourceColumnDefinition', 'A column of kubectl get.', {
    name: f(1, string, 'Column title.', { required: true }),
    type: f(2, string, 'integer, number, string, boolean or date.', { required: true }),
    format: f(3, string, 'OpenAPI format of the column.'),
    description: f(4, string, 'What the column shows.'),
    priority: f(5, int32, '0 always shown; higher only with -o wide.'),
    jsonPath: f(6, string, 'JSON path evaluated against each object.', { required: true }),
  }),
  struct(X + 'CustomResourceConversion', 'Conversion between versions.', {
    strategy: f(1, string, 'None (only apiVersion changes) or Webhook.', { required: true }),
    webhook: f(2, raw, 'Webhook settings (Webhook strategy only).'),
  }),
  struct(X + 'CustomResourceDefinitionStatus', 'Observed state of a CustomResourceDefinition.', {
    conditions: f(1, list(ref(X + 'CustomResourceDefinitionCondition'), { listType: 'map', mapKeys: ['type'] }), 'Established, NamesAccepted, Terminating.'),
    acceptedNames: f(2, ref(X + 'CustomResourceDefinitionNames'), 'The names actually served.'),
    storedVersions: f(3, list(string, { listType: 'atomic' }), 'Versions objects were ever stored in.'),
  }),
  struct(X + 'CustomResourceDefinitionCondition', 'One condition of a CustomResourceDefinition.', {
    type: f(1, string, 'Established, NamesAccepted or Terminating.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the status last changed.'),
    reason: f(4, string, 'One word, CamelCase.'),
    message: f(5, string, 'Human-readable details.'),
    observedGeneration: f(7, { t: 'int64' }, 'Generation this condition was set for.'),
  }),
]
