// Schema data for the smaller API groups: discovery.k8s.io, coordination.k8s.io,
// events.k8s.io, rbac.authorization.k8s.io, networking.k8s.io, storage.k8s.io, autoscaling
// (v2 HPA, v1 Scale), policy, authentication.k8s.io and authorization.k8s.io.
// Field names, protobuf numbers and list/merge metadata follow upstream v1.32 (k8s.io/api).
import {
  LABEL_SELECTOR,
  META,
  bool,
  enumOf,
  f,
  int32,
  int64,
  intOrString,
  kind,
  list,
  map,
  mergeList,
  microTime,
  quantity,
  ref,
  string,
  struct,
  time,
  type Struct,
} from './dsl'

const DISCOVERY = 'io.k8s.api.discovery.v1.'
const COORDINATION = 'io.k8s.api.coordination.v1.'
const EVENTS = 'io.k8s.api.events.v1.'
const RBAC = 'io.k8s.api.rbac.v1.'
const NETWORKING = 'io.k8s.api.networking.v1.'
const STORAGE = 'io.k8s.api.storage.v1.'
const AUTOSCALING = 'io.k8s.api.autoscaling.v2.'
const AUTOSCALING_V1 = 'io.k8s.api.autoscaling.v1.'
const POLICY = 'io.k8s.api.policy.v1.'
const AUTHN = 'io.k8s.api.authentication.v1.'
const AUTHZ = 'io.k8s.api.authorization.v1.'
const CORE = 'io.k8s.api.core.v1.'

export const structs: Struct[] = [
  // ---- discovery.k8s.io/v1 ----
  kind('discovery.k8s.io', 'v1', 'EndpointSlice', DISCOVERY + 'EndpointSlice', 'A group of network endpoints backing a Service, for proxies and DNS.', {
    addressType: f(4, enumOf('IPv4', 'IPv6', 'FQDN'), 'Kind of addresses held: IPv4, IPv6 or FQDN.', { required: true }),
    endpoints: f(2, list(ref(DISCOVERY + 'Endpoint'), { listType: 'atomic' }), 'The endpoints of this slice.', { required: true }),
    ports: f(3, list(ref(DISCOVERY + 'EndpointPort'), { listType: 'atomic' }), 'Ports exposed by every endpoint; an empty list means all ports.'),
  }),
  struct(DISCOVERY + 'Endpoint', 'One backend of a Service.', {
    addresses: f(1, list(string, { listType: 'set' }), 'Addresses of this endpoint (usually one pod IP).', { required: true }),
    conditions: f(2, ref(DISCOVERY + 'EndpointConditions'), 'Readiness state of the endpoint.'),
    hostname: f(3, string, 'DNS hostname of this endpoint.', { ptr: true }),
    targetRef: f(4, ref(CORE + 'ObjectReference'), 'Object (usually a Pod) behind this endpoint.'),
    deprecatedTopology: f(5, map(string), 'Old topology labels; kept only for compatibility.'),
    nodeName: f(6, string, 'Node hosting this endpoint.', { ptr: true }),
    zone: f(7, string, 'Zone the endpoint is in.', { ptr: true }),
    hints: f(8, ref(DISCOVERY + 'EndpointHints'), 'Routing hints for topology-aware proxies.'),
  }),
  struct(DISCOVERY + 'EndpointConditions', 'Readiness state of an endpoint.', {
    ready: f(1, bool, 'Whether the endpoint should get traffic.', { ptr: true }),
    serving: f(2, bool, 'Whether the endpoint can serve, even while terminating.', { ptr: true }),
    terminating: f(3, bool, 'Whether the endpoint is shutting down.', { ptr: true }),
  }),
  struct(DISCOVERY + 'EndpointHints', 'Hints for topology-aware routing.', {
    forZones: f(1, list(ref(DISCOVERY + 'ForZone'), { listType: 'atomic' }), 'Zones whose clients should use this endpoint.'),
  }),
  struct(DISCOVERY + 'ForZone', 'A zone named in a routing hint.', {
    name: f(1, string, 'Zone name.', { required: true }),
  }),
  struct(DISCOVERY + 'EndpointPort', 'A port exposed by the endpoints of a slice.', {
    name: f(1, string, 'Port name, matching the Service port name.', { ptr: true, default: '' }),
    protocol: f(2, enumOf('TCP', 'UDP', 'SCTP'), 'TCP, UDP or SCTP (default TCP).', { ptr: true, default: 'TCP' }),
    port: f(3, int32, 'Port number.', { ptr: true }),
    appProtocol: f(4, string, 'Application protocol, e.g. http or kubernetes.io/h2c.', { ptr: true }),
  }),

  // ---- coordination.k8s.io/v1 ----
  kind('coordination.k8s.io', 'v1', 'Lease', COORDINATION + 'Lease', 'A lock with a holder and renewal time, used for leader election and node heartbeats.', {
    spec: f(2, ref(COORDINATION + 'LeaseSpec'), 'Holder and timing of the lease.'),
  }),
  struct(COORDINATION + 'LeaseSpec', 'Holder and timing of a Lease.', {
    holderIdentity: f(1, string, 'Who holds the lease now.', { ptr: true }),
    leaseDurationSeconds: f(2, int32, 'Seconds a holder must renew within before others may take over.', { ptr: true }),
    acquireTime: f(3, microTime, 'When the current holder acquired the lease.', { ptr: true }),
    renewTime: f(4, microTime, 'When the holder last renewed the lease.', { ptr: true }),
    leaseTransitions: f(5, int32, 'How many times the lease changed holders.', { ptr: true }),
    strategy: f(6, string, 'Strategy for coordinated leader election (feature-gated).', { ptr: true }),
    preferredHolder: f(7, string, 'Holder that should take the lease next (feature-gated).', { ptr: true }),
  }),

  // ---- events.k8s.io/v1 ----
  kind('events.k8s.io', 'v1', 'Event', EVENTS + 'Event', 'A report of something that happened to an object, e.g. a pod being scheduled.', {
    eventTime: f(2, microTime, 'When the event was first seen, in microseconds.', { required: true }),
    series: f(3, ref(EVENTS + 'EventSeries'), 'Data about repeats of this event, when it recurs.'),
    reportingController: f(4, string, 'Controller that emitted the event, e.g. kubernetes.io/kubelet.'),
    reportingInstance: f(5, string, "Instance of that controller, e.g. the kubelet's node name."),
    action: f(6, string, 'What was done or failed, e.g. Binding or Pulling.'),
    reason: f(7, string, 'Why the action happened, in CamelCase.'),
    regarding: f(8, ref(CORE + 'ObjectReference'), 'Object the event is about.'),
    related: f(9, ref(CORE + 'ObjectReference'), 'Secondary object involved, if any.'),
    note: f(10, string, 'Human-readable description.'),
    type: f(11, string, 'Normal or Warning.'),
    deprecatedSource: f(12, ref(CORE + 'EventSource'), 'Source in the old core Event shape.'),
    deprecatedFirstTimestamp: f(13, time, 'First-seen time in the old core Event shape.'),
    deprecatedLastTimestamp: f(14, time, 'Last-seen time in the old core Event shape.'),
    deprecatedCount: f(15, int32, 'Occurrence count in the old core Event shape.'),
  }),
  struct(EVENTS + 'EventSeries', 'Repeat information of a recurring event.', {
    count: f(1, int32, 'Number of occurrences so far.', { required: true }),
    lastObservedTime: f(2, microTime, 'When the last occurrence was seen.', { required: true }),
  }),

  // ---- rbac.authorization.k8s.io/v1 ----
  kind('rbac.authorization.k8s.io', 'v1', 'Role', RBAC + 'Role', 'A set of permissions within one namespace.', {
    rules: f(2, list(ref(RBAC + 'PolicyRule'), { listType: 'atomic' }), 'The permissions granted.'),
  }),
  kind('rbac.authorization.k8s.io', 'v1', 'ClusterRole', RBAC + 'ClusterRole', 'A set of permissions valid cluster-wide or reusable in any namespace.', {
    rules: f(2, list(ref(RBAC + 'PolicyRule'), { listType: 'atomic' }), 'The permissions granted.'),
    aggregationRule: f(3, ref(RBAC + 'AggregationRule'), 'Selects other ClusterRoles whose rules are merged into this one.'),
  }),
  struct(RBAC + 'AggregationRule', 'How a ClusterRole gathers rules from other ClusterRoles.', {
    clusterRoleSelectors: f(1, list(ref(LABEL_SELECTOR), { listType: 'atomic' }), 'Label queries over ClusterRoles whose rules are added.'),
  }),
  struct(RBAC + 'PolicyRule', 'One permission: verbs on resources or on non-resource URLs.', {
    verbs: f(1, list(string, { listType: 'atomic' }), 'Allowed actions, e.g. get, list, watch, create; "*" means all.', { required: true }),
    apiGroups: f(2, list(string, { listType: 'atomic' }), 'API groups of the resources ("" is the core group).'),
    resources: f(3, list(string, { listType: 'atomic' }), 'Resources the rule applies to, e.g. pods or pods/log.'),
    resourceNames: f(4, list(string, { listType: 'atomic' }), 'Restrict the rule to objects with these names.'),
    nonResourceURLs: f(5, list(string, { listType: 'atomic' }), 'URL paths such as /healthz (only in ClusterRoles).'),
  }),
  kind('rbac.authorization.k8s.io', 'v1', 'RoleBinding', RBAC + 'RoleBinding', 'Grants a Role or ClusterRole to subjects within one namespace.', {
    subjects: f(2, list(ref(RBAC + 'Subject'), { listType: 'atomic' }), 'Users, groups or service accounts granted the role.'),
    roleRef: f(3, ref(RBAC + 'RoleRef'), 'The Role or ClusterRole granted; cannot change after creation.', { required: true }),
  }),
  kind('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', RBAC + 'ClusterRoleBinding', 'Grants a ClusterRole to subjects across the whole cluster.', {
    subjects: f(2, list(ref(RBAC + 'Subject'), { listType: 'atomic' }), 'Users, groups or service accounts granted the role.'),
    roleRef: f(3, ref(RBAC + 'RoleRef'), 'The ClusterRole granted; cannot change after creation.', { required: true }),
  }),
  struct(RBAC + 'Subject', 'A user, group or service account that a binding grants a role to.', {
    kind: f(1, enumOf('User', 'Group', 'ServiceAccount'), 'User, Group or ServiceAccount.', { required: true }),
    apiGroup: f(2, string, '"" for ServiceAccount, rbac.authorization.k8s.io for User and Group.'),
    name: f(3, string, 'Name of the subject.', { required: true }),
    namespace: f(4, string, 'Namespace of a ServiceAccount subject.'),
  }),
  struct(RBAC + 'RoleRef', 'The role a binding grants.', {
    apiGroup: f(1, string, 'Group of the role, rbac.authorization.k8s.io.', { required: true, default: 'rbac.authorization.k8s.io' }),
    kind: f(2, enumOf('Role', 'ClusterRole'), 'Role or ClusterRole.', { required: true }),
    name: f(3, string, 'Name of the role.', { required: true }),
  }),

  // ---- networking.k8s.io/v1 ----
  kind('networking.k8s.io', 'v1', 'Ingress', NETWORKING + 'Ingress', 'HTTP(S) routing from outside the cluster to Services, by host and path.', {
    spec: f(2, ref(NETWORKING + 'IngressSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(NETWORKING + 'IngressStatus'), 'Observed state, written by the system.'),
  }),
  struct(NETWORKING + 'IngressSpec', 'Routing rules of an Ingress.', {
    ingressClassName: f(4, string, 'IngressClass (controller) that should implement this Ingress.', { ptr: true }),
    defaultBackend: f(1, ref(NETWORKING + 'IngressBackend'), 'Where requests matching no rule go.'),
    tls: f(2, list(ref(NETWORKING + 'IngressTLS'), { listType: 'atomic' }), 'TLS settings per group of hosts.'),
    rules: f(3, list(ref(NETWORKING + 'IngressRule'), { listType: 'atomic' }), 'Host and path rules; evaluated by the ingress controller.'),
  }),
  struct(NETWORKING + 'IngressRule', 'Routes for one host (or every host).', {
    host: f(1, string, 'Host name to match; wildcards like *.example.com allowed; empty means all hosts.'),
    // On the protobuf wire `http` sits inside an embedded IngressRuleValue message
    // (IngressRule field 2, http = field 1 there); the DSL has no inline wrapper, so
    // the field is marked off-wire (0) rather than decoded against the wrong message.
    http: f(1, ref(NETWORKING + 'HTTPIngressRuleValue'), 'Path routes for this host.'),
  }),
  struct(NETWORKING + 'HTTPIngressRuleValue', 'HTTP path routes of an ingress rule.', {
    paths: f(1, list(ref(NETWORKING + 'HTTPIngressPath'), { listType: 'atomic' }), 'Path to backend mappings.', { required: true }),
  }),
  struct(NETWORKING + 'HTTPIngressPath', 'One path to backend mapping.', {
    path: f(1, string, 'URL path to match; must start with /.'),
    pathType: f(3, enumOf('Exact', 'Prefix', 'ImplementationSpecific'), 'How path matches: Exact, Prefix or ImplementationSpecific.', {
      required: true,
      ptr: true,
    }),
    backend: f(2, ref(NETWORKING + 'IngressBackend'), 'Where matching requests go.', { required: true }),
  }),
  struct(
    NETWORKING + 'IngressBackend',
    'Destination of ingress traffic: a Service port or another resource.',
    {
      service: f(4, ref(NETWORKING + 'IngressServiceBackend'), 'A Service and port.'),
      resource: f(3, ref(CORE + 'TypedLocalObjectReference'), 'Another object (e.g. a storage bucket) in the Ingress namespace.'),
    },
    { oneOf: [['service', 'resource']] },
  ),
  struct(NETWORKING + 'IngressServiceBackend', 'A Service used as ingress backend.', {
    name: f(1, string, 'Service name.', { required: true }),
    port: f(2, ref(NETWORKING + 'ServiceBackendPort'), 'Service port, by name or number.'),
  }),
  struct(NETWORKING + 'ServiceBackendPort', 'A Service port by name or number.', {
    name: f(1, string, 'Port name on the Service.'),
    number: f(2, int32, 'Port number on the Service.'),
  }),
  struct(NETWORKING + 'IngressTLS', 'TLS settings for a set of hosts.', {
    hosts: f(1, list(string, { listType: 'atomic' }), 'Hosts covered by the certificate.'),
    secretName: f(2, string, 'Secret holding the certificate and key.'),
  }),
  struct(NETWORKING + 'IngressStatus', 'Observed state of an Ingress.', {
    loadBalancer: f(1, ref(NETWORKING + 'IngressLoadBalancerStatus'), 'Addresses of the load balancer serving it.'),
  }),
  struct(NETWORKING + 'IngressLoadBalancerStatus', 'Load balancer addresses of an Ingress.', {
    ingress: f(1, list(ref(NETWORKING + 'IngressLoadBalancerIngress'), { listType: 'atomic' }), 'Entry points of the load balancer.'),
  }),
  struct(NETWORKING + 'IngressLoadBalancerIngress', 'One entry point of an Ingress load balancer.', {
    ip: f(1, string, 'IP address of the entry point.'),
    hostname: f(2, string, 'DNS name of the entry point.'),
    ports: f(4, list(ref(NETWORKING + 'IngressPortStatus'), { listType: 'atomic' }), 'Status of each exposed port.'),
  }),
  struct(NETWORKING + 'IngressPortStatus', 'Status of one port of an Ingress load balancer.', {
    port: f(1, int32, 'Port number.', { required: true }),
    protocol: f(2, enumOf('TCP', 'UDP', 'SCTP'), 'TCP, UDP or SCTP.', { required: true }),
    error: f(3, string, 'Problem with this port, as a CamelCase reason; empty when fine.', { ptr: true }),
  }),
  kind('networking.k8s.io', 'v1', 'IngressClass', NETWORKING + 'IngressClass', 'Names an ingress controller that Ingresses can ask for.', {
    spec: f(2, ref(NETWORKING + 'IngressClassSpec'), 'Which controller and its settings.'),
  }),
  struct(NETWORKING + 'IngressClassSpec', 'Controller and parameters of an IngressClass.', {
    controller: f(1, string, 'Name of the controller implementing this class, e.g. example.com/ingress.'),
    parameters: f(2, ref(NETWORKING + 'IngressClassParametersReference'), 'Object holding extra configuration for the controller.'),
  }),
  struct(NETWORKING + 'IngressClassParametersReference', 'Reference to a configuration object for an ingress controller.', {
    apiGroup: f(1, string, 'API group of the object; empty for the core group.', { ptr: true }),
    kind: f(2, string, 'Kind of the object.', { required: true }),
    name: f(3, string, 'Name of the object.', { required: true }),
    scope: f(4, enumOf('Cluster', 'Namespace'), 'Cluster (the default) or Namespace.', { ptr: true, default: 'Cluster' }),
    namespace: f(5, string, 'Namespace of the object when scope is Namespace.', { ptr: true }),
  }),
  kind('networking.k8s.io', 'v1', 'NetworkPolicy', NETWORKING + 'NetworkPolicy', 'Allow-list firewall rules for the pods it selects.', {
    spec: f(2, ref(NETWORKING + 'NetworkPolicySpec'), 'Which pods and which traffic.'),
  }),
  struct(NETWORKING + 'NetworkPolicySpec', 'Pods selected and the traffic allowed to and from them.', {
    podSelector: f(1, ref(LABEL_SELECTOR), 'Pods this policy applies to; empty selects all pods in the namespace.', { required: true }),
    ingress: f(2, list(ref(NETWORKING + 'NetworkPolicyIngressRule'), { listType: 'atomic' }), 'Allowed incoming traffic; selected pods refuse the rest.'),
    egress: f(3, list(ref(NETWORKING + 'NetworkPolicyEgressRule'), { listType: 'atomic' }), 'Allowed outgoing traffic; selected pods refuse the rest.'),
    policyTypes: f(4, list(enumOf('Ingress', 'Egress'), { listType: 'atomic' }), 'Directions this policy controls: Ingress, Egress or both.'),
  }),
  struct(NETWORKING + 'NetworkPolicyIngressRule', 'Incoming traffic allowed by a NetworkPolicy.', {
    ports: f(1, list(ref(NETWORKING + 'NetworkPolicyPort'), { listType: 'atomic' }), 'Destination ports allowed; empty means all ports.'),
    from: f(2, list(ref(NETWORKING + 'NetworkPolicyPeer'), { listType: 'atomic' }), 'Allowed sources; empty means anyone.'),
  }),
  struct(NETWORKING + 'NetworkPolicyEgressRule', 'Outgoing traffic allowed by a NetworkPolicy.', {
    ports: f(1, list(ref(NETWORKING + 'NetworkPolicyPort'), { listType: 'atomic' }), 'Destination ports allowed; empty means all ports.'),
    to: f(2, list(ref(NETWORKING + 'NetworkPolicyPeer'), { listType: 'atomic' }), 'Allowed destinations; empty means anywhere.'),
  }),
  struct(NETWORKING + 'NetworkPolicyPeer', 'A set of pods, namespaces or IP ranges traffic may come from or go to.', {
    podSelector: f(1, ref(LABEL_SELECTOR), "Pods to allow (in the policy's namespace unless namespaceSelector is set)."),
    namespaceSelector: f(2, ref(LABEL_SELECTOR), 'Namespaces whose pods are allowed.'),
    ipBlock: f(3, ref(NETWORKING + 'IPBlock'), 'An IP range to allow.'),
  }),
  struct(NETWORKING + 'NetworkPolicyPort', 'A port (or range) and protocol allowed by a rule.', {
    protocol: f(1, enumOf('TCP', 'UDP', 'SCTP'), 'TCP, UDP or SCTP (default TCP).', { ptr: true, default: 'TCP' }),
    port: f(2, intOrString, 'Port number or named container port; empty means all ports.', { ptr: true }),
    endPort: f(3, int32, 'Last port of a range starting at port.', { ptr: true }),
  }),
  struct(NETWORKING + 'IPBlock', 'A CIDR range, minus some sub-ranges.', {
    cidr: f(1, string, 'Allowed range, e.g. 10.0.0.0/16.', { required: true }),
    except: f(2, list(string, { listType: 'atomic' }), 'Sub-ranges to exclude.'),
  }),

  // ---- storage.k8s.io/v1 ----
  kind('storage.k8s.io', 'v1', 'StorageClass', STORAGE + 'StorageClass', 'A named kind of storage that PVCs can ask for and provisioners create.', {
    provisioner: f(2, string, 'Volume plugin or CSI driver that creates the volumes.', { required: true }),
    parameters: f(3, map(string), 'Provisioner-specific settings.'),
    reclaimPolicy: f(4, enumOf('Delete', 'Retain'), 'Delete (the default) or Retain volumes when their claim is released.', { ptr: true, default: 'Delete' }),
    mountOptions: f(5, list(string, { listType: 'atomic' }), 'Mount options for volumes of this class.'),
    allowVolumeExpansion: f(6, bool, 'Whether claims may be resized.', { ptr: true }),
    volumeBindingMode: f(7, enumOf('Immediate', 'WaitForFirstConsumer'), 'Immediate (the default) or WaitForFirstConsumer binding.', {
      ptr: true,
      default: 'Immediate',
    }),
    allowedTopologies: f(8, list(ref(CORE + 'TopologySelectorTerm'), { listType: 'atomic' }), 'Where volumes may be provisioned.'),
  }),

  // ---- autoscaling/v2 ----
  kind(
    'autoscaling',
    'v2',
    'HorizontalPodAutoscaler',
    AUTOSCALING + 'HorizontalPodAutoscaler',
    "Scales a workload's replicas up and down from observed metrics.",
    {
      spec: f(2, ref(AUTOSCALING + 'HorizontalPodAutoscalerSpec'), 'Desired state, written by the user.'),
      status: f(3, ref(AUTOSCALING + 'HorizontalPodAutoscalerStatus'), 'Observed state, written by the system.'),
    },
  ),
  struct(AUTOSCALING + 'HorizontalPodAutoscalerSpec', 'What an autoscaler scales and on which metrics.', {
    scaleTargetRef: f(1, ref(AUTOSCALING + 'CrossVersionObjectReference'), 'The workload to scale (e.g. a Deployment).', { required: true }),
    minReplicas: f(2, int32, 'Lowest replica count allowed (default 1).', { ptr: true, default: 1 }),
    maxReplicas: f(3, int32, 'Highest replica count allowed.', { required: true }),
    metrics: f(4, list(ref(AUTOSCALING + 'MetricSpec'), { listType: 'atomic' }), 'Metrics to scale on; the largest proposed replica count wins.'),
    behavior: f(5, ref(AUTOSCALING + 'HorizontalPodAutoscalerBehavior'), 'Scale-up and scale-down rate limits.'),
  }),
  struct(AUTOSCALING + 'HorizontalPodAutoscalerStatus', 'What the autoscaler last observed.', {
    observedGeneration: f(1, int64, 'The metadata.generation the controller last acted on.', { ptr: true }),
    lastScaleTime: f(2, time, 'When the autoscaler last changed the replica count.', { ptr: true }),
    currentReplicas: f(3, int32, 'Replica count last seen on the target.'),
    desiredReplicas: f(4, int32, 'Replica count the autoscaler wants.', { required: true }),
    currentMetrics: f(5, list(ref(AUTOSCALING + 'MetricStatus'), { listType: 'atomic' }), 'Last metric values read.'),
    conditions: f(
      6,
      mergeList(ref(AUTOSCALING + 'HorizontalPodAutoscalerCondition'), 'type'),
      'Latest observations of the object, one entry per condition type.',
    ),
  }),
  struct(AUTOSCALING + 'HorizontalPodAutoscalerBehavior', 'Rate limits for scaling in each direction.', {
    scaleUp: f(1, ref(AUTOSCALING + 'HPAScalingRules'), 'Rules for scaling up.'),
    scaleDown: f(2, ref(AUTOSCALING + 'HPAScalingRules'), 'Rules for scaling down.'),
  }),
  struct(AUTOSCALING + 'HorizontalPodAutoscalerCondition', 'One observed condition of an autoscaler.', {
    type: f(1, string, 'Condition name, e.g. AbleToScale or ScalingActive.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the condition last changed status.'),
    reason: f(4, string, 'One-word, CamelCase cause of the last transition.'),
    message: f(5, string, 'Human-readable details about the last transition.'),
  }),
  struct(AUTOSCALING + 'HPAScalingRules', 'Rate limits for one scaling direction.', {
    stabilizationWindowSeconds: f(3, int32, 'Seconds of past recommendations considered, to avoid flapping.', { ptr: true }),
    selectPolicy: f(1, enumOf('Max', 'Min', 'Disabled'), 'Which policy wins: Max, Min, or Disabled (no scaling this way).', { ptr: true, default: 'Max' }),
    policies: f(2, list(ref(AUTOSCALING + 'HPAScalingPolicy'), { listType: 'atomic' }), 'Allowed changes per period.'),
  }),
  struct(AUTOSCALING + 'HPAScalingPolicy', 'One allowed change per period.', {
    type: f(1, enumOf('Pods', 'Percent'), 'Pods (absolute count) or Percent.', { required: true }),
    value: f(2, int32, 'Amount of change allowed.', { required: true }),
    periodSeconds: f(3, int32, 'Window the change is measured over.', { required: true }),
  }),
  struct(AUTOSCALING + 'CrossVersionObjectReference', 'Points at the object to scale.', {
    kind: f(1, string, 'Kind of the object, e.g. Deployment.', { required: true }),
    name: f(2, string, 'Name of the object.', { required: true }),
    apiVersion: f(3, string, 'API version of the object, e.g. apps/v1.'),
  }),
  struct(AUTOSCALING + 'MetricSpec', 'One metric to scale on; set the member named by type.', {
    type: f(1, enumOf('Object', 'Pods', 'Resource', 'ContainerResource', 'External'), 'Object, Pods, Resource, ContainerResource or External.', {
      required: true,
    }),
    object: f(2, ref(AUTOSCALING + 'ObjectMetricSource'), 'A metric of another object in the namespace.'),
    pods: f(3, ref(AUTOSCALING + 'PodsMetricSource'), "A metric averaged over the target's pods."),
    resource: f(4, ref(AUTOSCALING + 'ResourceMetricSource'), "CPU or memory of the target's pods."),
    containerResource: f(7, ref(AUTOSCALING + 'ContainerResourceMetricSource'), "CPU or memory of one container in the target's pods."),
    external: f(5, ref(AUTOSCALING + 'ExternalMetricSource'), 'A metric from outside the cluster.'),
  }),
  struct(AUTOSCALING + 'MetricStatus', 'Last value read for one metric; the member named by type is set.', {
    type: f(1, enumOf('Object', 'Pods', 'Resource', 'ContainerResource', 'External'), 'Object, Pods, Resource, ContainerResource or External.', {
      required: true,
    }),
    object: f(2, ref(AUTOSCALING + 'ObjectMetricStatus'), 'Value of an object metric.'),
    pods: f(3, ref(AUTOSCALING + 'PodsMetricStatus'), 'Value of a pods metric.'),
    resource: f(4, ref(AUTOSCALING + 'ResourceMetricStatus'), 'Value of a resource metric.'),
    containerResource: f(7, ref(AUTOSCALING + 'ContainerResourceMetricStatus'), 'Value of a container resource metric.'),
    external: f(5, ref(AUTOSCALING + 'ExternalMetricStatus'), 'Value of an external metric.'),
  }),
  struct(AUTOSCALING + 'MetricTarget', 'The target value of a metric.', {
    type: f(1, enumOf('Utilization', 'Value', 'AverageValue'), 'Utilization, Value or AverageValue.', { required: true }),
    value: f(2, quantity, 'Target total value.', { ptr: true }),
    averageValue: f(3, quantity, 'Target value per pod.', { ptr: true }),
    averageUtilization: f(4, int32, "Target percent of the pods' resource requests.", { ptr: true }),
  }),
  struct(AUTOSCALING + 'MetricValueStatus', 'A measured metric value.', {
    value: f(1, quantity, 'Current total value.', { ptr: true }),
    averageValue: f(2, quantity, 'Current value per pod.', { ptr: true }),
    averageUtilization: f(3, int32, "Current percent of the pods' resource requests.", { ptr: true }),
  }),
  struct(AUTOSCALING + 'MetricIdentifier', 'Names a metric.', {
    name: f(1, string, 'Metric name.', { required: true }),
    selector: f(2, ref(LABEL_SELECTOR), 'Label query narrowing the metric series.'),
  }),
  struct(AUTOSCALING + 'ResourceMetricSource', "Scale on a resource (CPU, memory) of the target's pods.", {
    name: f(1, string, 'Resource name, e.g. cpu.', { required: true }),
    target: f(2, ref(AUTOSCALING + 'MetricTarget'), 'Value to aim for.', { required: true }),
  }),
  struct(AUTOSCALING + 'ResourceMetricStatus', "Measured resource usage of the target's pods.", {
    name: f(1, string, 'Resource name, e.g. cpu.', { required: true }),
    current: f(2, ref(AUTOSCALING + 'MetricValueStatus'), 'Measured value.', { required: true }),
  }),
  struct(AUTOSCALING + 'ContainerResourceMetricSource', "Scale on a resource of one container in the target's pods.", {
    name: f(1, string, 'Resource name, e.g. cpu.', { required: true }),
    target: f(2, ref(AUTOSCALING + 'MetricTarget'), 'Value to aim for.', { required: true }),
    container: f(3, string, 'Container name.', { required: true }),
  }),
  struct(AUTOSCALING + 'ContainerResourceMetricStatus', "Measured resource usage of one container in the target's pods.", {
    name: f(1, string, 'Resource name, e.g. cpu.', { required: true }),
    current: f(2, ref(AUTOSCALING + 'MetricValueStatus'), 'Measured value.', { required: true }),
    container: f(3, string, 'Container name.', { required: true }),
  }),
  struct(AUTOSCALING + 'PodsMetricSource', "Scale on a custom metric averaged over the target's pods.", {
    metric: f(1, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
    target: f(2, ref(AUTOSCALING + 'MetricTarget'), 'Value to aim for.', { required: true }),
  }),
  struct(AUTOSCALING + 'PodsMetricStatus', 'Measured pods metric.', {
    metric: f(1, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
    current: f(2, ref(AUTOSCALING + 'MetricValueStatus'), 'Measured value.', { required: true }),
  }),
  struct(AUTOSCALING + 'ObjectMetricSource', 'Scale on a metric describing another object.', {
    describedObject: f(1, ref(AUTOSCALING + 'CrossVersionObjectReference'), 'The object the metric describes.', { required: true }),
    target: f(2, ref(AUTOSCALING + 'MetricTarget'), 'Value to aim for.', { required: true }),
    metric: f(3, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
  }),
  struct(AUTOSCALING + 'ObjectMetricStatus', 'Measured object metric.', {
    metric: f(1, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
    current: f(2, ref(AUTOSCALING + 'MetricValueStatus'), 'Measured value.', { required: true }),
    describedObject: f(3, ref(AUTOSCALING + 'CrossVersionObjectReference'), 'The object the metric describes.', { required: true }),
  }),
  struct(AUTOSCALING + 'ExternalMetricSource', 'Scale on a metric from outside the cluster.', {
    metric: f(1, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
    target: f(2, ref(AUTOSCALING + 'MetricTarget'), 'Value to aim for.', { required: true }),
  }),
  struct(AUTOSCALING + 'ExternalMetricStatus', 'Measured external metric.', {
    metric: f(1, ref(AUTOSCALING + 'MetricIdentifier'), 'Which metric.', { required: true }),
    current: f(2, ref(AUTOSCALING + 'MetricValueStatus'), 'Measured value.', { required: true }),
  }),

  // ---- autoscaling/v1 ----
  kind('autoscaling', 'v1', 'Scale', AUTOSCALING_V1 + 'Scale', 'The replica count of a scalable resource, read and written through /scale.', {
    spec: f(2, ref(AUTOSCALING_V1 + 'ScaleSpec'), 'Wanted replica count.'),
    status: f(3, ref(AUTOSCALING_V1 + 'ScaleStatus'), 'Current replica count and pod selector.'),
  }),
  struct(AUTOSCALING_V1 + 'ScaleSpec', 'Wanted scale of a resource.', {
    replicas: f(1, int32, 'Wanted number of replicas.'),
  }),
  struct(AUTOSCALING_V1 + 'ScaleStatus', 'Observed scale of a resource.', {
    replicas: f(1, int32, 'Replicas last observed.', { required: true }),
    selector: f(2, string, 'Label selector of the pods, as a query string like app=web.'),
  }),

  kind(
    'autoscaling',
    'v1',
    'HorizontalPodAutoscaler',
    AUTOSCALING_V1 + 'HorizontalPodAutoscaler',
    'The older CPU-only form of the autoscaler (stored as autoscaling/v2).',
    {
      spec: f(2, ref(AUTOSCALING_V1 + 'HorizontalPodAutoscalerSpec'), 'Desired state, written by the user.'),
      status: f(3, ref(AUTOSCALING_V1 + 'HorizontalPodAutoscalerStatus'), 'Observed state, written by the system.'),
    },
  ),
  struct(AUTOSCALING_V1 + 'HorizontalPodAutoscalerSpec', 'What to scale, between which bounds, at which CPU target.', {
    scaleTargetRef: f(1, ref(AUTOSCALING_V1 + 'CrossVersionObjectReference'), 'The workload whose replicas are scaled.', { required: true }),
    minReplicas: f(2, int32, 'Fewest replicas to keep (default 1).', { ptr: true }),
    maxReplicas: f(3, int32, 'Most replicas to scale to.', { required: true }),
    targetCPUUtilizationPercentage: f(4, int32, 'Average CPU use as a percentage of requests to aim for.', { ptr: true }),
  }),
  struct(AUTOSCALING_V1 + 'HorizontalPodAutoscalerStatus', 'What the autoscaler last saw and did.', {
    observedGeneration: f(1, int64, 'Generation of the spec this status reflects.', { ptr: true }),
    lastScaleTime: f(2, time, 'When the replica count last changed.'),
    currentReplicas: f(3, int32, 'Replicas the target had when last checked.', { required: true }),
    desiredReplicas: f(4, int32, 'Replicas the autoscaler wants.', { required: true }),
    currentCPUUtilizationPercentage: f(5, int32, 'Average CPU use as a percentage of requests.', { ptr: true }),
  }),
  struct(AUTOSCALING_V1 + 'CrossVersionObjectReference', 'Names a scalable object by kind, name and API version.', {
    kind: f(1, string, 'Kind of the referent, e.g. Deployment.', { required: true }),
    name: f(2, string, 'Name of the referent.', { required: true }),
    apiVersion: f(3, string, 'API version of the referent, e.g. apps/v1.'),
  }),

  // ---- policy/v1 ----
  kind('policy', 'v1', 'PodDisruptionBudget', POLICY + 'PodDisruptionBudget', 'Limits how many pods of a set voluntary disruptions (drains) may take down.', {
    spec: f(2, ref(POLICY + 'PodDisruptionBudgetSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(POLICY + 'PodDisruptionBudgetStatus'), 'Observed state, written by the system.'),
  }),
  struct(POLICY + 'PodDisruptionBudgetSpec', 'How many of the selected pods must stay up.', {
    minAvailable: f(1, intOrString, 'Pods (number or percent) that must stay available after an eviction.', { ptr: true }),
    selector: f(2, ref(LABEL_SELECTOR), 'Pods this budget protects.'),
    maxUnavailable: f(3, intOrString, 'Pods (number or percent) that may be unavailable after an eviction.', { ptr: true }),
    unhealthyPodEvictionPolicy: f(4, enumOf('IfHealthyBudget', 'AlwaysAllow'), 'IfHealthyBudget or AlwaysAllow eviction of pods that are not ready.', {
      ptr: true,
    }),
  }),
  struct(POLICY + 'PodDisruptionBudgetStatus', 'What the disruption controller last observed.', {
    observedGeneration: f(1, int64, 'The metadata.generation the controller last acted on.'),
    disruptedPods: f(2, map(time), 'Pods evicted but not yet gone, with the eviction time.'),
    disruptionsAllowed: f(3, int32, 'Evictions currently allowed.', { required: true }),
    currentHealthy: f(4, int32, 'Healthy pods right now.', { required: true }),
    desiredHealthy: f(5, int32, 'Healthy pods needed.', { required: true }),
    expectedPods: f(6, int32, 'Pods counted by this budget.', { required: true }),
    conditions: f(7, mergeList(ref(META + 'Condition'), 'type'), 'Latest observations of the object, one entry per condition type.'),
  }),
  kind('policy', 'v1', 'Eviction', POLICY + 'Eviction', 'A request to evict a pod while respecting disruption budgets (POST pods/NAME/eviction).', {
    deleteOptions: f(2, ref(META + 'DeleteOptions'), 'Options for the resulting delete.'),
  }),

  // ---- authentication.k8s.io/v1 ----
  kind(
    'authentication.k8s.io',
    'v1',
    'TokenRequest',
    AUTHN + 'TokenRequest',
    'Asks for a signed token for a service account (POST serviceaccounts/NAME/token).',
    {
      spec: f(2, ref(AUTHN + 'TokenRequestSpec'), 'What the token is for.', { required: true }),
      status: f(3, ref(AUTHN + 'TokenRequestStatus'), 'The issued token.'),
    },
  ),
  struct(AUTHN + 'TokenRequestSpec', 'Parameters of a requested service account token.', {
    audiences: f(1, list(string, { listType: 'atomic' }), 'Who the token is intended for; empty means the API server.', { required: true }),
    expirationSeconds: f(4, int64, 'Requested lifetime in seconds (default 3600).', { ptr: true, default: 3600 }),
    boundObjectRef: f(3, ref(AUTHN + 'BoundObjectReference'), 'Object whose deletion invalidates the token.'),
  }),
  struct(AUTHN + 'TokenRequestStatus', 'An issued service account token.', {
    token: f(1, string, 'The token itself.', { required: true }),
    expirationTimestamp: f(2, time, 'When the token expires.', { required: true }),
  }),
  struct(AUTHN + 'BoundObjectReference', 'Object a service account token is bound to.', {
    kind: f(1, string, 'Pod, Secret or Node.'),
    apiVersion: f(2, string, 'API version of the object.'),
    name: f(3, string, 'Name of the object.'),
    uid: f(4, string, 'UID of the object.'),
  }),
  kind('authentication.k8s.io', 'v1', 'TokenReview', AUTHN + 'TokenReview', 'Asks the API server to authenticate a bearer token.', {
    spec: f(2, ref(AUTHN + 'TokenReviewSpec'), 'The token to check.', { required: true }),
    status: f(3, ref(AUTHN + 'TokenReviewStatus'), 'Who the token belongs to, if valid.'),
  }),
  struct(AUTHN + 'TokenReviewSpec', 'A token to authenticate.', {
    token: f(1, string, 'The bearer token.'),
    audiences: f(2, list(string, { listType: 'atomic' }), 'Audiences the token must be valid for.'),
  }),
  struct(AUTHN + 'TokenReviewStatus', 'Result of a token review.', {
    authenticated: f(1, bool, 'Whether the token is valid.'),
    user: f(2, ref(AUTHN + 'UserInfo'), 'The user the token belongs to.'),
    audiences: f(4, list(string, { listType: 'atomic' }), 'Audiences the token is valid for.'),
    error: f(3, string, 'Why authentication failed.'),
  }),
  struct(AUTHN + 'UserInfo', 'An authenticated user.', {
    username: f(1, string, 'User name.'),
    uid: f(2, string, 'Unique ID of the user.'),
    groups: f(3, list(string, { listType: 'atomic' }), 'Groups the user belongs to.'),
    // JSON: map of string lists. Protobuf wraps each list in an ExtraValue message
    // (`repeated string items = 1`), which the DSL cannot express as a wrapper.
    extra: f(4, map(list(string)), 'Extra attributes set by the authenticator, each a list of strings.'),
  }),
  kind('authentication.k8s.io', 'v1', 'SelfSubjectReview', AUTHN + 'SelfSubjectReview', 'Asks who the API server thinks you are (kubectl auth whoami).', {
    status: f(2, ref(AUTHN + 'SelfSubjectReviewStatus'), 'Your user information.'),
  }),
  struct(AUTHN + 'SelfSubjectReviewStatus', 'Result of a self subject review.', {
    userInfo: f(1, ref(AUTHN + 'UserInfo'), 'The user making the request.'),
  }),

  // ---- authorization.k8s.io/v1 ----
  kind(
    'authorization.k8s.io',
    'v1',
    'SelfSubjectAccessReview',
    AUTHZ + 'SelfSubjectAccessReview',
    'Asks whether you may perform an action (kubectl auth can-i).',
    {
      spec: f(2, ref(AUTHZ + 'SelfSubjectAccessReviewSpec'), 'The action to check.', { required: true }),
      status: f(3, ref(AUTHZ + 'SubjectAccessReviewStatus'), 'Whether it is allowed.'),
    },
  ),
  struct(
    AUTHZ + 'SelfSubjectAccessReviewSpec',
    'The action checked for the current user; set exactly one attribute set.',
    {
      resourceAttributes: f(1, ref(AUTHZ + 'ResourceAttributes'), 'A request on an API resource.'),
      nonResourceAttributes: f(2, ref(AUTHZ + 'NonResourceAttributes'), 'A request on a non-resource URL.'),
    },
    { oneOf: [['resourceAttributes', 'nonResourceAttributes']] },
  ),
  kind('authorization.k8s.io', 'v1', 'SubjectAccessReview', AUTHZ + 'SubjectAccessReview', 'Asks whether a given user may perform an action.', {
    spec: f(2, ref(AUTHZ + 'SubjectAccessReviewSpec'), 'The user and action to check.', { required: true }),
    status: f(3, ref(AUTHZ + 'SubjectAccessReviewStatus'), 'Whether it is allowed.'),
  }),
  struct(
    AUTHZ + 'SubjectAccessReviewSpec',
    'The user and action to check; set exactly one attribute set.',
    {
      resourceAttributes: f(1, ref(AUTHZ + 'ResourceAttributes'), 'A request on an API resource.'),
      nonResourceAttributes: f(2, ref(AUTHZ + 'NonResourceAttributes'), 'A request on a non-resource URL.'),
      user: f(3, string, 'User name to check.'),
      groups: f(4, list(string, { listType: 'atomic' }), 'Groups of the user.'),
      // JSON: map of string lists. Protobuf wraps each list in an ExtraValue message
      // (`repeated string items = 1`), which the DSL cannot express as a wrapper.
      extra: f(5, map(list(string)), 'Extra attributes of the user, each a list of strings.'),
      uid: f(6, string, 'UID of the user.'),
    },
    { oneOf: [['resourceAttributes', 'nonResourceAttributes']] },
  ),
  kind(
    'authorization.k8s.io',
    'v1',
    'LocalSubjectAccessReview',
    AUTHZ + 'LocalSubjectAccessReview',
    'Asks whether a given user may perform an action in this namespace.',
    {
      spec: f(2, ref(AUTHZ + 'SubjectAccessReviewSpec'), "The user and action to check; the namespace must be the review's.", { required: true }),
      status: f(3, ref(AUTHZ + 'SubjectAccessReviewStatus'), 'Whether it is allowed.'),
    },
  ),
  kind(
    'authorization.k8s.io',
    'v1',
    'SelfSubjectRulesReview',
    AUTHZ + 'SelfSubjectRulesReview',
    'Lists what you may do in a namespace (kubectl auth can-i --list).',
    {
      spec: f(2, ref(AUTHZ + 'SelfSubjectRulesReviewSpec'), 'The namespace to list rules for.', { required: true }),
      status: f(3, ref(AUTHZ + 'SubjectRulesReviewStatus'), 'The rules that apply.'),
    },
  ),
  struct(AUTHZ + 'SelfSubjectRulesReviewSpec', 'Which namespace to evaluate rules in.', {
    namespace: f(1, string, 'Namespace to evaluate rules for.'),
  }),
  struct(AUTHZ + 'SubjectRulesReviewStatus', 'Rules a user has; additive, so a listed rule is a granted permission.', {
    resourceRules: f(1, list(ref(AUTHZ + 'ResourceRule'), { listType: 'atomic' }), 'Permissions on API resources.', { required: true }),
    nonResourceRules: f(2, list(ref(AUTHZ + 'NonResourceRule'), { listType: 'atomic' }), 'Permissions on non-resource URLs.', { required: true }),
    incomplete: f(3, bool, 'Whether some authorizer could not list its rules.', { required: true }),
    evaluationError: f(4, string, 'Problem met while listing rules.'),
  }),
  struct(AUTHZ + 'ResourceRule', 'Verbs allowed on resources.', {
    verbs: f(1, list(string, { listType: 'atomic' }), 'Verbs, or * for all.', { required: true }),
    apiGroups: f(2, list(string, { listType: 'atomic' }), 'API groups, or * for all.'),
    resources: f(3, list(string, { listType: 'atomic' }), 'Resources (and resource/subresource), or * for all.'),
    resourceNames: f(4, list(string, { listType: 'atomic' }), 'Object names the rule is limited to; empty for all.'),
  }),
  struct(AUTHZ + 'NonResourceRule', 'Verbs allowed on non-resource URLs.', {
    verbs: f(1, list(string, { listType: 'atomic' }), 'HTTP verbs in lower case, or * for all.', { required: true }),
    nonResourceURLs: f(2, list(string, { listType: 'atomic' }), 'URL paths; a trailing * matches a prefix.'),
  }),
  struct(AUTHZ + 'SubjectAccessReviewStatus', 'Answer of an access review.', {
    allowed: f(1, bool, 'Whether the action is allowed.', { required: true }),
    denied: f(4, bool, 'Whether the action is explicitly denied.'),
    reason: f(2, string, 'Why it was allowed or denied.'),
    evaluationError: f(3, string, 'Problem met while checking; the answer may still be usable.'),
  }),
  struct(AUTHZ + 'ResourceAttributes', 'A request on an API resource, as seen by authorizers.', {
    namespace: f(1, string, 'Namespace of the request; empty for cluster-scoped or all namespaces.'),
    verb: f(2, string, 'Verb such as get, list, create or *.'),
    group: f(3, string, 'API group of the resource.'),
    version: f(4, string, 'API version of the resource.'),
    resource: f(5, string, 'Resource type, e.g. pods.'),
    subresource: f(6, string, 'Subresource, e.g. log.'),
    name: f(7, string, 'Name of the object; empty for all.'),
    fieldSelector: f(8, ref(AUTHZ + 'FieldSelectorAttributes'), 'Field selector the request is limited to.'),
    labelSelector: f(9, ref(AUTHZ + 'LabelSelectorAttributes'), 'Label selector the request is limited to.'),
  }),
  struct(AUTHZ + 'NonResourceAttributes', 'A request on a non-resource URL.', {
    path: f(1, string, 'URL path, e.g. /healthz.'),
    verb: f(2, string, 'HTTP verb in lower case, e.g. get.'),
  }),
  struct(AUTHZ + 'FieldSelectorAttributes', 'Field selector limiting an authorized request.', {
    rawSelector: f(1, string, 'The selector as a query string.'),
    requirements: f(2, list(ref(META + 'FieldSelectorRequirement'), { listType: 'atomic' }), 'The selector parsed into requirements.'),
  }),
  struct(AUTHZ + 'LabelSelectorAttributes', 'Label selector limiting an authorized request.', {
    rawSelector: f(1, string, 'The selector as a query string.'),
    requirements: f(2, list(ref(META + 'LabelSelectorRequirement'), { listType: 'atomic' }), 'The selector parsed into requirements.'),
  }),
  // ---- meta/v1 (used only by authorization's field selector attributes) ----
  struct(META + 'FieldSelectorRequirement', 'One requirement of a field selector.', {
    key: f(1, string, 'Field the requirement is about.', { required: true }),
    operator: f(2, enumOf('In', 'NotIn', 'Exists', 'DoesNotExist'), 'In, NotIn, Exists or DoesNotExist.', { required: true }),
    values: f(3, list(string, { listType: 'atomic' }), 'Values for In and NotIn; empty for Exists and DoesNotExist.'),
  }),
]

/** Protobuf nesting JSON flattens (see core-pod.ts ProtoEmbed): IngressRule.http sits in IngressRuleValue (field 2). */
export const protoEmbeds: readonly { readonly struct: string; readonly n: number; readonly fields: readonly string[] }[] = [
  { struct: NETWORKING + 'IngressRule', n: 2, fields: ['http'] },
]
