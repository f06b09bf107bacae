// Schema data for meta/v1 (k8s.io/apimachinery): object and list metadata, owner references,
// label selectors, Status, DeleteOptions and Condition. Field names and protobuf numbers follow
// apimachinery pkg/apis/meta/v1 at v0.32; the descriptions are our own.
//
// FieldsV1 (the managed-fields tree) is modelled as `raw` rather than a struct: in JSON it is an
// arbitrary object, and its protobuf message `FieldsV1 { bytes Raw = 1 }` has the same wire shape
// as RawExtension, which is what `raw` decodes.
import {
  bool,
  enumOf,
  f,
  int32,
  int64,
  LABEL_SELECTOR,
  LIST_META,
  list,
  map,
  mergeList,
  META,
  OBJECT_META,
  raw,
  ref,
  string,
  struct,
  time,
  typeMetaFields,
} from './dsl'
import type { Struct } from './dsl'

export const structs: Struct[] = [
  struct(OBJECT_META, 'Metadata every persisted object carries: identity, labels, annotations, ownership and lifecycle.', {
    name: f(1, string, 'Object name, unique within its namespace (or cluster-wide for cluster-scoped kinds).'),
    generateName: f(2, string, 'Prefix the server extends with random characters when no name is given.'),
    namespace: f(3, string, 'Namespace the object lives in; empty for cluster-scoped kinds.'),
    selfLink: f(4, string, 'Deprecated URL of this object; no longer filled in by the server.'),
    uid: f(5, string, 'Server-assigned unique ID that never repeats, even for a re-created object of the same name.'),
    resourceVersion: f(6, string, 'Opaque version the server bumps on every change; used for optimistic concurrency and watches.'),
    generation: f(7, int64, 'Counter of changes to the desired state (spec), set by the server.'),
    creationTimestamp: f(8, time, 'When the server created the object (read-only).'),
    deletionTimestamp: f(9, time, 'When graceful deletion was requested; the object goes once its finalizers are gone.'),
    deletionGracePeriodSeconds: f(10, int64, 'Seconds the object is given to terminate gracefully once deletion starts.', { ptr: true }),
    labels: f(11, map(string), 'Key/value pairs used to organise and select objects (selectors match on these).'),
    annotations: f(12, map(string), 'Key/value pairs for tools and humans; not used for selection.'),
    ownerReferences: f(
      13,
      mergeList(ref(META + 'OwnerReference'), 'uid'),
      'Objects this one depends on; it is garbage-collected when all its owners are gone.',
    ),
    finalizers: f(14, list(string, { strategy: 'merge', listType: 'set' }), 'Keys that must be removed (by controllers) before the object is really deleted.'),
    managedFields: f(
      17,
      list(ref(META + 'ManagedFieldsEntry'), { listType: 'atomic' }),
      'Which field manager owns which fields (server-side apply bookkeeping).',
    ),
  }),
  struct(LIST_META, 'Metadata of a list response: its version and how to fetch the next page.', {
    selfLink: f(1, string, 'Deprecated URL of this list; no longer filled in by the server.'),
    resourceVersion: f(2, string, 'Store version the list was read at; start a watch from here.'),
    continue: f(3, string, 'Token to request the next page of a paginated list.'),
    remainingItemCount: f(4, int64, 'Estimated number of items after this page, when known.', { ptr: true }),
  }),
  struct(META + 'OwnerReference', 'Points at an object that owns this one, for garbage collection.', {
    apiVersion: f(5, string, 'API version of the owner.', { required: true }),
    kind: f(1, string, 'Kind of the owner.', { required: true }),
    name: f(3, string, 'Name of the owner.', { required: true }),
    uid: f(4, string, 'UID of the owner; the reference only counts if it matches.', { required: true }),
    controller: f(6, bool, 'True if this owner is the managing controller (at most one per object).', { ptr: true }),
    blockOwnerDeletion: f(7, bool, 'If true, foreground deletion of the owner waits until this object is gone.', { ptr: true }),
  }),
  struct(META + 'ManagedFieldsEntry', "One field manager's claim on a set of fields, recorded by server-side apply.", {
    manager: f(1, string, 'Name of the client or controller that manages these fields.'),
    operation: f(2, enumOf('Apply', 'Update'), 'How the fields were written: "Apply" or "Update".'),
    apiVersion: f(3, string, 'API version the field set refers to.'),
    time: f(4, time, 'When this manager last changed its fields.'),
    fieldsType: f(6, string, 'Format of the field set; currently always "FieldsV1".'),
    fieldsV1: f(7, raw, 'The set of owned fields, as a nested JSON tree of field paths.'),
    subresource: f(8, string, 'Subresource (e.g. "status") the change was made through, if any.'),
  }),
  struct(LABEL_SELECTOR, 'Selects objects by labels: all matchLabels and all matchExpressions must hold.', {
    matchLabels: f(1, map(string), 'Labels that must be present with exactly these values.'),
    matchExpressions: f(
      2,
      list(ref(META + 'LabelSelectorRequirement'), { listType: 'atomic' }),
      'Set-based label requirements (In, NotIn, Exists, DoesNotExist).',
    ),
  }),
  struct(META + 'LabelSelectorRequirement', 'One set-based label requirement: a key, an operator and values.', {
    key: f(1, string, 'Label key the requirement applies to.', { required: true }),
    operator: f(2, enumOf('In', 'NotIn', 'Exists', 'DoesNotExist'), 'How the key relates to the values: In, NotIn, Exists or DoesNotExist.', {
      required: true,
    }),
    values: f(3, list(string, { listType: 'atomic' }), 'Values for In/NotIn; must be empty for Exists/DoesNotExist.'),
  }),
  struct(META + 'Status', 'Result of an API call that returns no object, most often an error.', {
    ...typeMetaFields(),
    metadata: f(1, ref(LIST_META), 'List-style metadata (usually empty).'),
    status: f(2, string, '"Success" or "Failure".'),
    message: f(3, string, 'Human-readable explanation of the result.'),
    reason: f(4, string, 'Machine-readable reason such as NotFound, AlreadyExists or Conflict.'),
    details: f(5, ref(META + 'StatusDetails'), 'Extra data about the failure: the object involved and per-field causes.'),
    code: f(6, int32, 'HTTP status code of this result.'),
  }),
  struct(META + 'StatusDetails', 'Which object an error is about, and the individual causes.', {
    name: f(1, string, 'Name of the object the status refers to.'),
    group: f(2, string, 'API group of the object.'),
    kind: f(3, string, 'Kind (or resource) of the object.'),
    uid: f(6, string, 'UID of the object, when known.'),
    causes: f(4, list(ref(META + 'StatusCause'), { listType: 'atomic' }), 'Individual problems, e.g. one per invalid field.'),
    retryAfterSeconds: f(5, int32, 'Suggested seconds to wait before retrying.'),
  }),
  struct(META + 'StatusCause', 'One specific reason an operation failed.', {
    reason: f(1, string, 'Machine-readable kind of problem, e.g. FieldValueRequired.'),
    message: f(2, string, 'Human-readable description of the problem.'),
    field: f(3, string, 'Path of the field that caused it, e.g. "spec.containers[0].image".'),
  }),
  struct(META + 'DeleteOptions', 'Options for a delete request: grace period, preconditions and cascading policy.', {
    ...typeMetaFields(),
    gracePeriodSeconds: f(1, int64, 'Seconds to wait before forcing deletion; 0 deletes immediately.', { ptr: true }),
    preconditions: f(2, ref(META + 'Preconditions'), 'Conditions (uid, resourceVersion) that must match for the delete to proceed.'),
    orphanDependents: f(3, bool, 'Deprecated: true orphans dependents instead of deleting them; use propagationPolicy.', { ptr: true }),
    propagationPolicy: f(4, enumOf('Orphan', 'Background', 'Foreground'), 'How dependents are handled: Orphan, Background or Foreground.', { ptr: true }),
    dryRun: f(5, list(string, { listType: 'atomic' }), 'When set to ["All"], the request is processed but nothing is stored.'),
    ignoreStoreReadErrorWithClusterBreakingPotential: f(6, bool, 'Force-remove an object that cannot be read from storage (dangerous).', { ptr: true }),
  }),
  struct(META + 'Preconditions', 'Values the object must still have for the operation to go ahead.', {
    uid: f(1, string, 'Expected UID of the object.', { ptr: true }),
    resourceVersion: f(2, string, 'Expected resourceVersion of the object.', { ptr: true }),
  }),
  struct(META + 'Condition', "A standard condition: one aspect of an object's current state.", {
    type: f(1, string, 'Name of the condition, e.g. Ready or Available.', { required: true }),
    status: f(2, enumOf('True', 'False', 'Unknown'), 'True, False or Unknown.', { required: true }),
    observedGeneration: f(3, int64, 'metadata.generation the condition was computed from.'),
    lastTransitionTime: f(4, time, 'When the status last changed.', { required: true }),
    reason: f(5, string, 'One CamelCase word explaining the last transition.', { required: true }),
    message: f(6, string, 'Human-readable details of the last transition.', { required: true }),
  }),
]
