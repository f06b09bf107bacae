// Schema data for apiregistration.k8s.io/v1 (APIService). Field names and protobuf numbers
// follow kube-aggregator's apiregistration/v1 at v0.32; the descriptions are our own.
import { bool, bytes, f, int32, kind, mergeList, ref, string, struct, time } from './dsl'
import type { Struct } from './dsl'

const A = 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.'

export const structs: Struct[] = [
  kind(
    'apiregistration.k8s.io',
    'v1',
    'APIService',
    A + 'APIService',
    'One group/version the API server serves: locally, or (with aggregation) from a Service.',
    {
      spec: f(2, ref(A + 'APIServiceSpec'), 'Which group/version, served by whom, with which priority.'),
      status: f(3, ref(A + 'APIServiceStatus'), 'Whether the group/version is available.'),
    },
  ),
  struct(A + 'APIServiceSpec', 'Where a group/version is served.', {
    service: f(1, ref(A + 'ServiceReference'), 'The Service that serves it; absent for groups the API server serves itself (Local).'),
    group: f(2, string, 'The API group.'),
    version: f(3, string, 'The API version.'),
    insecureSkipTLSVerify: f(4, bool, 'Skip verifying the serving certificate of the Service.'),
    caBundle: f(5, bytes, "CA bundle that verifies the Service's serving certificate."),
    groupPriorityMinimum: f(7, int32, 'Priority of the group in discovery (higher first).', { required: true }),
    versionPriority: f(8, int32, 'Priority of this version within its group (higher first).', { required: true }),
  }),
  struct(A + 'ServiceReference', 'A Service in a namespace.', {
    namespace: f(1, string, 'Namespace of the Service.'),
    name: f(2, string, 'Name of the Service.'),
    port: f(3, int32, 'Port of the Service (default 443).', { ptr: true }),
  }),
  struct(A + 'APIServiceStatus', 'Observed state of an APIService.', {
    conditions: f(1, mergeList(ref(A + 'APIServiceCondition'), 'type'), 'Available and other conditions.'),
  }),
  struct(A + 'APIServiceCondition', 'One observation about an APIService.', {
    type: f(1, string, 'Kind of condition, e.g. Available.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the status last changed.'),
    reason: f(4, string, 'One-word cause of the last transition.'),
    message: f(5, string, 'Human-readable details.'),
  }),
]
