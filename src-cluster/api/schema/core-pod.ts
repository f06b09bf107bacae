// Schema data for core/v1 Pod and every type reachable from its spec and status (containers,
// probes, security contexts, affinity, all pod volume sources, container statuses).
// Field names, protobuf numbers, list merge metadata, enums and constant defaults follow
// Kubernetes v1.32 (kubernetes/api core/v1, tag v0.32.x); the descriptions are our own words.
import {
  type Struct,
  LABEL_SELECTOR,
  OBJECT_META,
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
  quantity,
  ref,
  string,
  struct,
  time,
} from './dsl'

const V1 = 'io.k8s.api.core.v1.'
/** Reference to another core/v1 struct by its short name. */
const v1 = (name: string) => ref(V1 + name)

// Enumerations: the constants upstream declares for each enum type.
const restartPolicy = enumOf('Always', 'OnFailure', 'Never')
const dnsPolicy = enumOf('ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None')
const preemptionPolicy = enumOf('PreemptLowerPriority', 'Never')
const podPhase = enumOf('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown')
const qosClass = enumOf('Guaranteed', 'Burstable', 'BestEffort')
const terminationMessagePolicy = enumOf('File', 'FallbackToLogsOnError')
const pullPolicy = enumOf('Always', 'Never', 'IfNotPresent')
const protocol = enumOf('TCP', 'UDP', 'SCTP')
const mountPropagationMode = enumOf('None', 'HostToContainer', 'Bidirectional')
const uriScheme = enumOf('HTTP', 'HTTPS')
const supplementalGroupsPolicy = enumOf('Merge', 'Strict')
const fsGroupChangePolicy = enumOf('OnRootMismatch', 'Always')
const procMountType = enumOf('Default', 'Unmasked')
const seccompProfileType = enumOf('Unconfined', 'RuntimeDefault', 'Localhost')
const appArmorProfileType = enumOf('Unconfined', 'RuntimeDefault', 'Localhost')
const nodeSelectorOperator = enumOf('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt')
const tolerationOperator = enumOf('Exists', 'Equal')
const taintEffect = enumOf('NoSchedule', 'PreferNoSchedule', 'NoExecute')
const unsatisfiableConstraintAction = enumOf('DoNotSchedule', 'ScheduleAnyway')
const nodeInclusionPolicy = enumOf('Ignore', 'Honor')
const hostPathType = enumOf('', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice')
const azureDataDiskCachingMode = enumOf('None', 'ReadOnly', 'ReadWrite')
const azureDataDiskKind = enumOf('Shared', 'Dedicated', 'Managed')

// Fields that Go embeds from another struct (see protoEmbeds at the end of this file).
const CONTAINER_COMMON = [
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc']
const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
]

export const structs: Struct[] = [
  // ---- The Pod kind, its template, spec and status ----
  kind('', 'v1', 'Pod', V1 + 'Pod', 'The smallest deployable unit: one or more containers scheduled together on one node.', {
    spec: f(2, v1('PodSpec'), 'What the pod should run.'),
    status: f(3, v1('PodStatus'), 'What the pod is doing now; set by the system.'),
  }),
  struct(V1 + 'PodTemplateSpec', 'A pod blueprint that controllers stamp out copies of.', {
    metadata: f(1, ref(OBJECT_META), 'Labels and annotations for the pods made from this template.'),
    spec: f(2, v1('PodSpec'), 'The spec of the pods made from this template.'),
  }),
  struct(V1 + 'PodSpec', 'What a pod should run and how: containers, volumes, scheduling and security settings.', {
    volumes: f(
      1,
      list(v1('Volume'), { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', mapKeys: ['name'] }),
      "Volumes the pod's containers can mount.",
    ),
    initContainers: f(20, mergeList(v1('Container'), 'name'), 'Containers run in order to completion before the app containers start.'),
    containers: f(2, mergeList(v1('Container'), 'name'), 'The app containers of the pod; at least one.', { required: true }),
    ephemeralContainers: f(34, mergeList(v1('EphemeralContainer'), 'name'), 'Debug containers added to the running pod.'),
    restartPolicy: f(3, restartPolicy, 'When containers are restarted after they exit.', { default: 'Always' }),
    terminationGracePeriodSeconds: f(4, int64, 'Seconds between the stop signal and a forced kill on pod deletion.', { ptr: true, default: 30 }),
    activeDeadlineSeconds: f(5, int64, 'Seconds the pod may be active before the system fails it.', { ptr: true }),
    dnsPolicy: f(6, dnsPolicy, "How the pod's DNS resolver is configured.", { default: 'ClusterFirst' }),
    nodeSelector: f(7, map(string), 'Labels a node must have for the pod to be scheduled there.'),
    serviceAccountName: f(8, string, 'Service account the pod runs as.'),
    serviceAccount: f(9, string, 'Deprecated alias of serviceAccountName.'),
    automountServiceAccountToken: f(21, bool, 'Whether the service account token is mounted automatically.', { ptr: true }),
    nodeName: f(10, string, 'Node the pod is bound to; set by the scheduler or by hand to skip it.'),
    hostNetwork: f(11, bool, "Use the node's network namespace instead of a pod network."),
    hostPID: f(12, bool, "Use the node's process ID namespace."),
    hostIPC: f(13, bool, "Use the node's IPC namespace."),
    shareProcessNamespace: f(27, bool, "Let all containers of the pod see each other's processes.", { ptr: true }),
    securityContext: f(14, v1('PodSecurityContext'), 'Security settings for the whole pod.', { default: {} }),
    imagePullSecrets: f(15, mergeList(v1('LocalObjectReference'), 'name'), 'Secrets holding registry credentials for pulling the images.'),
    hostname: f(16, string, 'Hostname inside the pod; the pod name by default.'),
    subdomain: f(17, string, 'Subdomain giving the pod a DNS name <hostname>.<subdomain>.<ns>.svc.'),
    affinity: f(18, v1('Affinity'), 'Node and pod affinity rules for scheduling.'),
    schedulerName: f(19, string, 'Which scheduler places the pod.', { default: 'default-scheduler' }),
    tolerations: f(22, list(v1('Toleration'), { listType: 'atomic' }), 'Taints this pod tolerates.'),
    hostAliases: f(23, mergeList(v1('HostAlias'), 'ip'), "Extra entries for the pod's /etc/hosts."),
    priorityClassName: f(24, string, "PriorityClass that sets the pod's priority."),
    priority: f(25, int32, 'Scheduling priority, filled in from priorityClassName.', { ptr: true }),
    dnsConfig: f(26, v1('PodDNSConfig'), 'Extra DNS settings for the pod.'),
    readinessGates: f(28, list(v1('PodReadinessGate'), { listType: 'atomic' }), 'Extra conditions that must be True for the pod to be ready.'),
    runtimeClassName: f(29, string, 'RuntimeClass (container runtime handler) to run the pod with.', { ptr: true }),
    enableServiceLinks: f(30, bool, 'Inject environment variables describing services in the namespace.', { ptr: true }),
    preemptionPolicy: f(31, preemptionPolicy, 'Whether this pod may evict lower-priority pods to fit.', { ptr: true }),
    overhead: f(32, map(quantity), 'Extra resources the runtime uses for this pod, from its RuntimeClass.'),
    topologySpreadConstraints: f(
      33,
      list(v1('TopologySpreadConstraint'), { mergeKey: 'topologyKey', strategy: 'merge', listType: 'map', mapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
      'How to spread matching pods across topology domains.',
    ),
    setHostnameAsFQDN: f(35, bool, "Set the kernel hostname to the pod's fully qualified domain name.", { ptr: true }),
    os: f(36, v1('PodOS'), 'Operating system the pod needs.'),
    hostUsers: f(37, bool, 'False runs the pod in its own user namespace.', { ptr: true }),
    schedulingGates: f(38, mergeList(v1('PodSchedulingGate'), 'name'), 'Gates that must all be removed before the pod is scheduled.'),
    resourceClaims: f(
      39,
      list(v1('PodResourceClaim'), { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', mapKeys: ['name'] }),
      'Dynamic resource claims (DRA) the pod uses.',
    ),
    resources: f(40, v1('ResourceRequirements'), 'Resources for the pod as a whole, shared by its containers.'),
  }),
  struct(V1 + 'PodStatus', 'What the kubelet last observed about a pod: phase, conditions, IPs, container states.', {
    phase: f(1, podPhase, 'Coarse lifecycle stage: Pending, Running, Succeeded, Failed or Unknown.'),
    conditions: f(2, mergeList(v1('PodCondition'), 'type'), 'Current pod conditions such as PodScheduled and Ready.'),
    message: f(3, string, "Human-readable explanation of the pod's state."),
    reason: f(4, string, "Short reason for the pod's state, e.g. Evicted."),
    nominatedNodeName: f(11, string, 'Node chosen during preemption, where the pod may run later.'),
    hostIP: f(5, string, 'Primary IP of the node the pod runs on.'),
    hostIPs: f(16, list(v1('HostIP'), { mergeKey: 'ip', strategy: 'merge', listType: 'atomic' }), 'All IPs of the node the pod runs on.'),
    podIP: f(6, string, 'Primary IP of the pod.'),
    podIPs: f(12, mergeList(v1('PodIP'), 'ip'), 'All IPs of the pod (one per address family).'),
    startTime: f(7, time, 'When the kubelet accepted the pod.'),
    initContainerStatuses: f(10, list(v1('ContainerStatus'), { listType: 'atomic' }), 'Status of each init container.'),
    containerStatuses: f(8, list(v1('ContainerStatus'), { listType: 'atomic' }), 'Status of each app container.'),
    qosClass: f(9, qosClass, 'Quality of service class derived from the resource settings.'),
    ephemeralContainerStatuses: f(13, list(v1('ContainerStatus'), { listType: 'atomic' }), 'Status of each ephemeral container.'),
    resize: f(14, string, 'Progress of an in-place resource resize.'),
    resourceClaimStatuses: f(
      15,
      list(v1('PodResourceClaimStatus'), { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', mapKeys: ['name'] }),
      'Names of ResourceClaims generated for the pod.',
    ),
  }),

  // ---- Containers ----
  struct(V1 + 'Container', 'One container to run in a pod: image, command, ports, env, resources, probes.', {
    name: f(1, string, 'Container name, unique within the pod (DNS label).', { required: true }),
    image: f(2, string, 'Image to run, e.g. nginx:1.27.'),
    command: f(3, list(string, { listType: 'atomic' }), "Replaces the image's ENTRYPOINT; not run in a shell."),
    args: f(4, list(string, { listType: 'atomic' }), "Replaces the image's CMD arguments."),
    workingDir: f(5, string, "Working directory of the process; the image's by default."),
    ports: f(
      6,
      list(v1('ContainerPort'), { mergeKey: 'containerPort', strategy: 'merge', listType: 'map', mapKeys: ['containerPort', 'protocol'] }),
      'Ports the container exposes (informational, used for names and hostPort).',
    ),
    envFrom: f(19, list(v1('EnvFromSource'), { listType: 'atomic' }), 'ConfigMaps and Secrets whose keys all become environment variables.'),
    env: f(7, mergeList(v1('EnvVar'), 'name'), 'Environment variables to set.'),
    resources: f(8, v1('ResourceRequirements'), 'CPU and memory requests and limits.'),
    resizePolicy: f(23, list(v1('ContainerResizePolicy'), { listType: 'atomic' }), 'Per resource, whether an in-place resize restarts the container.'),
    restartPolicy: f(24, string, 'Always turns an init container into a sidecar that keeps running.', { ptr: true }),
    volumeMounts: f(9, mergeList(v1('VolumeMount'), 'mountPath'), "Pod volumes to mount into the container's filesystem."),
    volumeDevices: f(21, mergeList(v1('VolumeDevice'), 'devicePath'), 'Raw block volumes to expose as devices.'),
    livenessProbe: f(10, v1('Probe'), 'Check that restarts the container when it fails.'),
    readinessProbe: f(11, v1('Probe'), 'Check that removes the pod from service endpoints while it fails.'),
    startupProbe: f(22, v1('Probe'), 'Check that holds other probes off until the app has started.'),
    lifecycle: f(12, v1('Lifecycle'), 'Hooks run after start and before stop.'),
    terminationMessagePath: f(13, string, 'File whose content becomes the termination message.', { default: '/dev/termination-log' }),
    terminationMessagePolicy: f(20, terminationMessagePolicy, 'Where the termination message is read from.', { default: 'File' }),
    imagePullPolicy: f(14, pullPolicy, 'When the image is pulled: Always, IfNotPresent or Never.'),
    securityContext: f(15, v1('SecurityContext'), 'Security settings for this container.'),
    stdin: f(16, bool, 'Keep a stdin open for attach.'),
    stdinOnce: f(17, bool, 'Close stdin after the first attach session ends.'),
    tty: f(18, bool, 'Allocate a terminal; needs stdin too.'),
  }),
  struct(V1 + 'EphemeralContainer', 'A temporary debugging container added to a running pod (kubectl debug).', {
    name: f(1, string, 'Container name, unique within the pod (DNS label).', { required: true }),
    image: f(2, string, 'Image to run, e.g. nginx:1.27.'),
    command: f(3, list(string, { listType: 'atomic' }), "Replaces the image's ENTRYPOINT; not run in a shell."),
    args: f(4, list(string, { listType: 'atomic' }), "Replaces the image's CMD arguments."),
    workingDir: f(5, string, "Working directory of the process; the image's by default."),
    ports: f(
      6,
      list(v1('ContainerPort'), { mergeKey: 'containerPort', strategy: 'merge', listType: 'map', mapKeys: ['containerPort', 'protocol'] }),
      'Not allowed for ephemeral containers.',
    ),
    envFrom: f(19, list(v1('EnvFromSource'), { listType: 'atomic' }), 'ConfigMaps and Secrets whose keys all become environment variables.'),
    env: f(7, mergeList(v1('EnvVar'), 'name'), 'Environment variables to set.'),
    resources: f(8, v1('ResourceRequirements'), 'Not allowed for ephemeral containers.'),
    resizePolicy: f(23, list(v1('ContainerResizePolicy'), { listType: 'atomic' }), 'Not allowed for ephemeral containers.'),
    restartPolicy: f(24, string, 'Not allowed for ephemeral containers.', { ptr: true }),
    volumeMounts: f(9, mergeList(v1('VolumeMount'), 'mountPath'), "Pod volumes to mount into the container's filesystem."),
    volumeDevices: f(21, mergeList(v1('VolumeDevice'), 'devicePath'), 'Raw block volumes to expose as devices.'),
    livenessProbe: f(10, v1('Probe'), 'Not allowed for ephemeral containers.'),
    readinessProbe: f(11, v1('Probe'), 'Not allowed for ephemeral containers.'),
    startupProbe: f(22, v1('Probe'), 'Not allowed for ephemeral containers.'),
    lifecycle: f(12, v1('Lifecycle'), 'Not allowed for ephemeral containers.'),
    terminationMessagePath: f(13, string, 'File whose content becomes the termination message.', { default: '/dev/termination-log' }),
    terminationMessagePolicy: f(20, terminationMessagePolicy, 'Where the termination message is read from.', { default: 'File' }),
    imagePullPolicy: f(14, pullPolicy, 'When the image is pulled: Always, IfNotPresent or Never.'),
    securityContext: f(15, v1('SecurityContext'), 'Security settings for this container.'),
    stdin: f(16, bool, 'Keep a stdin open for attach.'),
    stdinOnce: f(17, bool, 'Close stdin after the first attach session ends.'),
    tty: f(18, bool, 'Allocate a terminal; needs stdin too.'),
    targetContainerName: f(2, string, 'Container whose process namespace the debug container joins.'),
  }),
  struct(V1 + 'ContainerPort', 'A network port the container listens on.', {
    name: f(1, string, 'Port name, unique in the pod; services can refer to it.'),
    hostPort: f(2, int32, 'Port to open on the node for this container port.'),
    containerPort: f(3, int32, 'Port number the container listens on.', { required: true }),
    protocol: f(4, protocol, 'TCP, UDP or SCTP.', { default: 'TCP' }),
    hostIP: f(5, string, 'Node IP to bind the host port to.'),
  }),
  struct(V1 + 'EnvVar', 'One environment variable for the container.', {
    name: f(1, string, 'Variable name.', { required: true }),
    value: f(2, string, 'Literal value; $(VAR) refers to earlier variables.'),
    valueFrom: f(3, v1('EnvVarSource'), 'Take the value from a pod field, resource, ConfigMap or Secret.'),
  }),
  struct(
    V1 + 'EnvVarSource',
    "Where an environment variable's value comes from.",
    {
      fieldRef: f(1, v1('ObjectFieldSelector'), 'A field of the pod, e.g. metadata.labels.'),
      resourceFieldRef: f(2, v1('ResourceFieldSelector'), 'A container resource limit or request, e.g. limits.memory.'),
      configMapKeyRef: f(3, v1('ConfigMapKeySelector'), 'A key of a ConfigMap.'),
      secretKeyRef: f(4, v1('SecretKeySelector'), 'A key of a Secret.'),
    },
    { oneOf: [['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef']] },
  ),
  struct(V1 + 'ConfigMapKeySelector', 'One key of a ConfigMap.', {
    name: f(1, string, 'Name of the ConfigMap.', { default: '' }),
    key: f(2, string, 'Key to read.', { required: true }),
    optional: f(3, bool, 'If true, a missing ConfigMap or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'SecretKeySelector', 'One key of a Secret.', {
    name: f(1, string, 'Name of the Secret.', { default: '' }),
    key: f(2, string, 'Key to read.', { required: true }),
    optional: f(3, bool, 'If true, a missing Secret or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'ObjectFieldSelector', 'Selects a field of the pod, e.g. metadata.name.', {
    apiVersion: f(1, string, 'API version the field path is written against.', { default: 'v1' }),
    fieldPath: f(2, string, 'Path of the field, e.g. status.podIP.', { required: true }),
  }),
  struct(V1 + 'ResourceFieldSelector', 'Selects a container resource, e.g. limits.cpu, scaled by a divisor.', {
    containerName: f(1, string, 'Container to read from; required in volumes.'),
    resource: f(2, string, 'Resource to read, e.g. requests.cpu.', { required: true }),
    divisor: f(3, quantity, 'Unit the value is divided by, e.g. 1m or 1Mi.'),
  }),
  struct(V1 + 'EnvFromSource', 'Imports every key of a ConfigMap or Secret as environment variables.', {
    prefix: f(1, string, 'String prepended to each imported variable name.'),
    configMapRef: f(2, v1('ConfigMapEnvSource'), 'ConfigMap to import.'),
    secretRef: f(3, v1('SecretEnvSource'), 'Secret to import.'),
  }),
  struct(V1 + 'ConfigMapEnvSource', 'The ConfigMap whose keys become environment variables.', {
    name: f(1, string, 'Name of the ConfigMap.', { default: '' }),
    optional: f(2, bool, 'If true, a missing ConfigMap is not an error.', { ptr: true }),
  }),
  struct(V1 + 'SecretEnvSource', 'The Secret whose keys become environment variables.', {
    name: f(1, string, 'Name of the Secret.', { default: '' }),
    optional: f(2, bool, 'If true, a missing Secret is not an error.', { ptr: true }),
  }),
  struct(V1 + 'ResourceRequirements', 'CPU, memory and other resources a container asks for and is capped at.', {
    limits: f(1, map(quantity), 'Most of each resource the container may use.'),
    requests: f(2, map(quantity), 'Resources reserved for the container at scheduling time.'),
    claims: f(3, list(v1('ResourceClaim'), { listType: 'map', mapKeys: ['name'] }), 'Dynamic resource claims of the pod this container uses.'),
  }),
  struct(V1 + 'ResourceClaim', "A container's use of one of the pod's resource claims.", {
    name: f(1, string, "Name of an entry in the pod's resourceClaims.", { required: true }),
    request: f(2, string, 'Only this request of the claim is made available.'),
  }),
  struct(V1 + 'ContainerResizePolicy', 'Whether resizing one resource in place needs a container restart.', {
    resourceName: f(1, string, 'Resource the policy is for: cpu or memory.', { required: true }),
    restartPolicy: f(2, string, 'NotRequired or RestartContainer when this resource is resized.', { required: true }),
  }),
  struct(V1 + 'VolumeMount', "Where a pod volume appears inside the container's filesystem.", {
    name: f(1, string, 'Name of the pod volume to mount.', { required: true }),
    readOnly: f(2, bool, 'Mount read-only.'),
    recursiveReadOnly: f(7, string, 'Whether read-only also applies to sub-mounts.', { ptr: true }),
    mountPath: f(3, string, "Path inside the container; must not contain ':'.", { required: true }),
    subPath: f(4, string, 'Mount only this sub-path of the volume.'),
    mountPropagation: f(5, mountPropagationMode, 'Whether mounts propagate between host and container.', { ptr: true }),
    subPathExpr: f(6, string, 'Like subPath but expands $(VAR) from the container environment.'),
  }),
  struct(V1 + 'VolumeDevice', 'Where a raw block volume appears as a device inside the container.', {
    name: f(1, string, 'Name of the PersistentVolumeClaim volume in the pod.', { required: true }),
    devicePath: f(2, string, 'Device path inside the container.', { required: true }),
  }),

  // ---- Probes and lifecycle hooks ----
  struct(
    V1 + 'Probe',
    'A periodic health check the kubelet runs against a container.',
    {
      exec: f(1, v1('ExecAction'), 'Run a command; exit code 0 is healthy.'),
      httpGet: f(2, v1('HTTPGetAction'), 'HTTP GET; a 2xx or 3xx status is healthy.'),
      tcpSocket: f(3, v1('TCPSocketAction'), 'TCP connect; an open port is healthy.'),
      grpc: f(4, v1('GRPCAction'), 'gRPC health check; SERVING is healthy.'),
      initialDelaySeconds: f(2, int32, 'Seconds after start before the first probe.'),
      timeoutSeconds: f(3, int32, 'Seconds before a probe attempt times out.', { default: 1 }),
      periodSeconds: f(4, int32, 'Seconds between probes.', { default: 10 }),
      successThreshold: f(5, int32, 'Consecutive successes needed after a failure to count as healthy.', { default: 1 }),
      failureThreshold: f(6, int32, 'Consecutive failures needed to count as unhealthy.', { default: 3 }),
      terminationGracePeriodSeconds: f(7, int64, 'Grace period used when a failing probe kills the container.', { ptr: true }),
    },
    { oneOf: [PROBE_HANDLERS] },
  ),
  struct(V1 + 'Lifecycle', 'Actions the kubelet runs right after a container starts or before it stops.', {
    postStart: f(1, v1('LifecycleHandler'), 'Runs right after the container is created.'),
    preStop: f(2, v1('LifecycleHandler'), 'Runs before the container is stopped.'),
  }),
  struct(
    V1 + 'LifecycleHandler',
    'One action for a lifecycle hook: exactly one of exec, httpGet, tcpSocket, sleep.',
    {
      exec: f(1, v1('ExecAction'), 'Run a command in the container.'),
      httpGet: f(2, v1('HTTPGetAction'), 'Send an HTTP GET request.'),
      tcpSocket: f(3, v1('TCPSocketAction'), 'Open a TCP connection.'),
      sleep: f(4, v1('SleepAction'), 'Wait a number of seconds.'),
    },
    { oneOf: [['exec', 'httpGet', 'tcpSocket', 'sleep']] },
  ),
  struct(V1 + 'ExecAction', 'Runs a command inside the container.', {
    command: f(1, list(string, { listType: 'atomic' }), 'Command and arguments; not run in a shell.'),
  }),
  struct(V1 + 'HTTPGetAction', 'Sends an HTTP GET request to the container.', {
    path: f(1, string, 'URL path to request.', { default: '/' }),
    port: f(2, intOrString, 'Port number or named container port.', { required: true }),
    host: f(3, string, 'Host to connect to; the pod IP by default (use a Host header instead).'),
    scheme: f(4, uriScheme, 'HTTP or HTTPS.', { default: 'HTTP' }),
    httpHeaders: f(5, list(v1('HTTPHeader'), { listType: 'atomic' }), 'Extra request headers.'),
  }),
  struct(V1 + 'HTTPHeader', 'One custom HTTP header.', {
    name: f(1, string, 'Header name.', { required: true }),
    value: f(2, string, 'Header value.', { required: true }),
  }),
  struct(V1 + 'TCPSocketAction', 'Opens a TCP connection to the container.', {
    port: f(1, intOrString, 'Port number or named container port.', { required: true }),
    host: f(2, string, 'Host to connect to; the pod IP by default.'),
  }),
  struct(V1 + 'GRPCAction', 'Calls the standard gRPC health check service of the container.', {
    port: f(1, int32, 'Port of the gRPC service.', { required: true }),
    service: f(2, string, 'Service name sent in the health check request.', { ptr: true, default: '' }),
  }),
  struct(V1 + 'SleepAction', 'Waits for a number of seconds.', {
    seconds: f(1, int64, 'Seconds to sleep.', { required: true }),
  }),

  // ---- Security ----
  struct(V1 + 'PodSecurityContext', 'Security settings that apply to every container of the pod.', {
    seLinuxOptions: f(1, v1('SELinuxOptions'), 'SELinux label for all containers.'),
    windowsOptions: f(8, v1('WindowsSecurityContextOptions'), 'Windows settings for all containers.'),
    runAsUser: f(2, int64, "User id for container processes; the image's by default.", { ptr: true }),
    runAsGroup: f(6, int64, 'Primary group id for container processes.', { ptr: true }),
    runAsNonRoot: f(3, bool, 'Refuse to start a container that would run as uid 0.', { ptr: true }),
    supplementalGroups: f(4, list(int64, { listType: 'atomic' }), 'Extra group ids for the first process of each container.'),
    supplementalGroupsPolicy: f(12, supplementalGroupsPolicy, "Whether the image's /etc/group groups are added (Merge) or not (Strict).", { ptr: true }),
    fsGroup: f(5, int64, 'Group that owns supported volumes and is added to every container.', { ptr: true }),
    sysctls: f(7, list(v1('Sysctl'), { listType: 'atomic' }), 'Namespaced kernel parameters for the pod.'),
    fsGroupChangePolicy: f(9, fsGroupChangePolicy, 'When volume ownership is changed to fsGroup.', { ptr: true }),
    seccompProfile: f(10, v1('SeccompProfile'), 'Seccomp filter for all containers.'),
    appArmorProfile: f(11, v1('AppArmorProfile'), 'AppArmor profile for all containers.'),
    seLinuxChangePolicy: f(13, string, 'How SELinux labels are applied to volumes (Recursive or MountOption).', { ptr: true }),
  }),
  struct(V1 + 'SecurityContext', 'Security settings for one container; they override the pod-level ones.', {
    capabilities: f(1, v1('Capabilities'), 'Linux capabilities to add or drop.'),
    privileged: f(2, bool, 'Run with nearly all host privileges.', { ptr: true }),
    seLinuxOptions: f(3, v1('SELinuxOptions'), 'SELinux label for this container.'),
    windowsOptions: f(10, v1('WindowsSecurityContextOptions'), 'Windows settings for this container.'),
    runAsUser: f(4, int64, 'User id for the process; overrides the pod setting.', { ptr: true }),
    runAsGroup: f(8, int64, 'Primary group id for the process; overrides the pod setting.', { ptr: true }),
    runAsNonRoot: f(5, bool, 'Refuse to start if the process would run as uid 0.', { ptr: true }),
    readOnlyRootFilesystem: f(6, bool, "Mount the container's root filesystem read-only.", { ptr: true }),
    allowPrivilegeEscalation: f(7, bool, 'Whether a process may gain more privileges than its parent.', { ptr: true }),
    procMount: f(9, procMountType, 'How /proc is masked inside the container.', { ptr: true }),
    seccompProfile: f(11, v1('SeccompProfile'), 'Seccomp filter for this container.'),
    appArmorProfile: f(12, v1('AppArmorProfile'), 'AppArmor profile for this container.'),
  }),
  struct(V1 + 'Capabilities', 'Linux capabilities to add to or drop from the container.', {
    add: f(1, list(string, { listType: 'atomic' }), 'Capabilities to add, e.g. NET_ADMIN.'),
    drop: f(2, list(string, { listType: 'atomic' }), 'Capabilities to remove, e.g. ALL.'),
  }),
  struct(V1 + 'SELinuxOptions', 'The SELinux label to apply.', {
    user: f(1, string, 'SELinux user part of the label.'),
    role: f(2, string, 'SELinux role part of the label.'),
    type: f(3, string, 'SELinux type part of the label.'),
    level: f(4, string, 'SELinux level part of the label.'),
  }),
  struct(V1 + 'SeccompProfile', 'The seccomp system call filter to apply.', {
    type: f(1, seccompProfileType, 'Which kind of seccomp profile: RuntimeDefault, Unconfined or Localhost.', { required: true }),
    localhostProfile: f(2, string, 'Profile file on the node, used when type is Localhost.', { ptr: true }),
  }),
  struct(V1 + 'AppArmorProfile', 'The AppArmor profile to apply.', {
    type: f(1, appArmorProfileType, 'Which kind of AppArmor profile: RuntimeDefault, Unconfined or Localhost.', { required: true }),
    localhostProfile: f(2, string, 'Name of a profile loaded on the node, used when type is Localhost.', { ptr: true }),
  }),
  struct(V1 + 'WindowsSecurityContextOptions', 'Windows-only security settings.', {
    gmsaCredentialSpecName: f(1, string, 'Name of the GMSA credential spec resource to use.', { ptr: true }),
    gmsaCredentialSpec: f(2, string, 'Inline GMSA credential spec contents.', { ptr: true }),
    runAsUserName: f(3, string, 'Windows user name to run the process as.', { ptr: true }),
    hostProcess: f(4, bool, 'Run as a Windows host process container.', { ptr: true }),
  }),
  struct(V1 + 'Sysctl', "One kernel parameter to set in the pod's namespaces.", {
    name: f(1, string, 'Kernel parameter name, e.g. net.ipv4.ip_local_port_range.', { required: true }),
    value: f(2, string, 'Value to set.', { required: true }),
  }),

  // ---- Scheduling ----
  struct(V1 + 'Affinity', 'Scheduling preferences and rules relative to nodes and other pods.', {
    nodeAffinity: f(1, v1('NodeAffinity'), 'Rules about which nodes the pod may run on.'),
    podAffinity: f(2, v1('PodAffinity'), 'Rules to run near certain pods.'),
    podAntiAffinity: f(3, v1('PodAntiAffinity'), 'Rules to run away from certain pods.'),
  }),
  struct(V1 + 'NodeAffinity', 'Rules about which nodes the pod may or prefers to run on.', {
    requiredDuringSchedulingIgnoredDuringExecution: f(1, v1('NodeSelector'), 'Hard node requirements checked at scheduling time.'),
    preferredDuringSchedulingIgnoredDuringExecution: f(2, list(v1('PreferredSchedulingTerm'), { listType: 'atomic' }), 'Weighted node preferences.'),
  }),
  struct(V1 + 'NodeSelector', 'Node selection terms; a node matches if any term matches.', {
    nodeSelectorTerms: f(1, list(v1('NodeSelectorTerm'), { listType: 'atomic' }), 'Terms ORed together; must not be empty.', { required: true }),
  }),
  struct(V1 + 'NodeSelectorTerm', 'Node requirements that must all hold (AND).', {
    matchExpressions: f(1, list(v1('NodeSelectorRequirement'), { listType: 'atomic' }), 'Requirements on node labels.'),
    matchFields: f(2, list(v1('NodeSelectorRequirement'), { listType: 'atomic' }), 'Requirements on node fields (only metadata.name).'),
  }),
  struct(V1 + 'NodeSelectorRequirement', 'One test on a node label or field: key, operator, values.', {
    key: f(1, string, 'Label key (or field name) the requirement applies to.', { required: true }),
    operator: f(2, nodeSelectorOperator, 'How the key relates to the values.', { required: true }),
    values: f(3, list(string, { listType: 'atomic' }), 'Values to compare with; one integer for Gt and Lt, none for Exists.'),
  }),
  struct(V1 + 'PreferredSchedulingTerm', 'A node selection term with a weight, for soft preferences.', {
    weight: f(1, int32, "Weight from 1 to 100 added to a node's score when this term matches.", { required: true }),
    preference: f(2, v1('NodeSelectorTerm'), 'The node selection term to favour.', { required: true }),
  }),
  struct(V1 + 'PodAffinity', 'Rules to place the pod near other pods that match a selector.', {
    requiredDuringSchedulingIgnoredDuringExecution: f(
      1,
      list(v1('PodAffinityTerm'), { listType: 'atomic' }),
      'Pods that must already run in the same topology domain.',
    ),
    preferredDuringSchedulingIgnoredDuringExecution: f(
      2,
      list(v1('WeightedPodAffinityTerm'), { listType: 'atomic' }),
      'Weighted preferences to share a domain with pods.',
    ),
  }),
  struct(V1 + 'PodAntiAffinity', 'Rules to keep the pod away from other pods that match a selector.', {
    requiredDuringSchedulingIgnoredDuringExecution: f(
      1,
      list(v1('PodAffinityTerm'), { listType: 'atomic' }),
      'Pods that must not run in the same topology domain.',
    ),
    preferredDuringSchedulingIgnoredDuringExecution: f(
      2,
      list(v1('WeightedPodAffinityTerm'), { listType: 'atomic' }),
      'Weighted preferences to avoid sharing a domain with pods.',
    ),
  }),
  struct(V1 + 'PodAffinityTerm', 'Which pods to be near (or away from) and over which topology domain.', {
    labelSelector: f(1, ref(LABEL_SELECTOR), 'Selects the pods this term is about.'),
    namespaces: f(2, list(string, { listType: 'atomic' }), "Namespaces to look for the pods in; the pod's own by default."),
    topologyKey: f(3, string, 'Node label that defines a topology domain, e.g. kubernetes.io/hostname.', { required: true }),
    namespaceSelector: f(4, ref(LABEL_SELECTOR), 'Selects the namespaces to look for the pods in.'),
    matchLabelKeys: f(5, list(string, { listType: 'atomic' }), 'Label keys whose values, taken from this pod, are added to the selector.'),
    mismatchLabelKeys: f(6, list(string, { listType: 'atomic' }), 'Label keys whose values, taken from this pod, must differ.'),
  }),
  struct(V1 + 'WeightedPodAffinityTerm', 'A pod affinity term with a weight, for soft preferences.', {
    weight: f(1, int32, "Weight from 1 to 100 added to a node's score when this term matches.", { required: true }),
    podAffinityTerm: f(2, v1('PodAffinityTerm'), 'The affinity term the weight applies to.', { required: true }),
  }),
  struct(V1 + 'Toleration', 'Allows the pod onto nodes with a matching taint.', {
    key: f(1, string, 'Taint key this toleration matches; empty with Exists matches all taints.'),
    operator: f(2, tolerationOperator, 'Equal compares the value; Exists matches any value.'),
    value: f(3, string, 'Taint value to match with the Equal operator.'),
    effect: f(4, taintEffect, 'Taint effect to match; empty matches all effects.'),
    tolerationSeconds: f(5, int64, 'For NoExecute taints, how long the pod stays before eviction.', { ptr: true }),
  }),
  struct(V1 + 'TopologySpreadConstraint', 'How evenly matching pods should spread across a topology (zones, nodes).', {
    maxSkew: f(1, int32, 'Largest allowed difference in matching pods between two domains.', { required: true }),
    topologyKey: f(2, string, 'Node label whose values are the domains.', { required: true }),
    whenUnsatisfiable: f(3, unsatisfiableConstraintAction, 'Refuse to schedule, or schedule anyway, when skew would be too big.', { required: true }),
    labelSelector: f(4, ref(LABEL_SELECTOR), 'Selects the pods that are counted.'),
    minDomains: f(5, int32, 'Minimum number of eligible domains assumed when counting.', { ptr: true }),
    nodeAffinityPolicy: f(6, nodeInclusionPolicy, 'Whether node affinity and selectors limit the domains counted.', { ptr: true }),
    nodeTaintsPolicy: f(7, nodeInclusionPolicy, 'Whether node taints limit the domains counted.', { ptr: true }),
    matchLabelKeys: f(8, list(string, { listType: 'atomic' }), 'Label keys whose values, taken from this pod, narrow the selector.'),
  }),
  struct(V1 + 'PodSchedulingGate', 'A gate that holds the pod back from scheduling until removed.', {
    name: f(1, string, 'Gate name; unique in the pod.', { required: true }),
  }),
  struct(V1 + 'PodReadinessGate', 'An extra pod condition that must be True before the pod counts as ready.', {
    conditionType: f(1, string, "Condition type in the pod's conditions to wait for.", { required: true }),
  }),
  struct(V1 + 'PodOS', "The operating system the pod's containers need.", {
    name: f(1, string, 'Operating system name: linux or windows.', { required: true }),
  }),

  // ---- Pod networking, DNS and dynamic resources ----
  struct(V1 + 'HostAlias', "An extra line for the pod's /etc/hosts file.", {
    ip: f(1, string, 'IP address of the entry.', { required: true }),
    hostnames: f(2, list(string, { listType: 'atomic' }), 'Host names for that IP.'),
  }),
  struct(V1 + 'PodDNSConfig', "Extra DNS resolver settings merged into the pod's resolv.conf.", {
    nameservers: f(1, list(string, { listType: 'atomic' }), 'DNS server IPs to add.'),
    searches: f(2, list(string, { listType: 'atomic' }), 'DNS search domains to add.'),
    options: f(3, list(v1('PodDNSConfigOption'), { listType: 'atomic' }), 'Resolver options to add or override.'),
  }),
  struct(V1 + 'PodDNSConfigOption', 'One resolver option such as ndots.', {
    name: f(1, string, 'Option name, e.g. ndots.'),
    value: f(2, string, 'Option value, if it takes one.', { ptr: true }),
  }),
  struct(V1 + 'PodResourceClaim', "Names a dynamic resource claim (DRA) the pod's containers can use.", {
    name: f(1, string, 'Name of the claim within the pod; containers refer to it.', { required: true }),
    resourceClaimName: f(3, string, 'Existing ResourceClaim in the namespace to use.', { ptr: true }),
    resourceClaimTemplateName: f(4, string, 'ResourceClaimTemplate to create a claim for this pod from.', { ptr: true }),
  }),
  struct(V1 + 'LocalObjectReference', 'Names another object in the same namespace.', {
    name: f(1, string, 'Name of the referenced object.', { default: '' }),
  }),

  // ---- Volumes ----
  struct(
    V1 + 'Volume',
    'A named storage source that containers of the pod can mount.',
    {
      name: f(1, string, 'Volume name, unique in the pod; mounts refer to it.', { required: true }),
      hostPath: f(1, v1('HostPathVolumeSource'), 'A path on the node.'),
      emptyDir: f(2, v1('EmptyDirVolumeSource'), 'An empty directory that lives as long as the pod.'),
      gcePersistentDisk: f(3, v1('GCEPersistentDiskVolumeSource'), 'A GCE persistent disk (deprecated in-tree plugin).'),
      awsElasticBlockStore: f(4, v1('AWSElasticBlockStoreVolumeSource'), 'An AWS EBS disk (deprecated in-tree plugin).'),
      gitRepo: f(5, v1('GitRepoVolumeSource'), 'A git repository checkout (deprecated).'),
      secret: f(6, v1('SecretVolumeSource'), 'The keys of a Secret as files.'),
      nfs: f(7, v1('NFSVolumeSource'), 'An NFS export.'),
      iscsi: f(8, v1('ISCSIVolumeSource'), 'An iSCSI disk.'),
      glusterfs: f(9, v1('GlusterfsVolumeSource'), 'A GlusterFS volume (deprecated).'),
      persistentVolumeClaim: f(10, v1('PersistentVolumeClaimVolumeSource'), 'The volume bound to a PersistentVolumeClaim.'),
      rbd: f(11, v1('RBDVolumeSource'), 'A Ceph block device (deprecated).'),
      flexVolume: f(12, v1('FlexVolumeSource'), 'A FlexVolume driver volume (deprecated).'),
      cinder: f(13, v1('CinderVolumeSource'), 'An OpenStack Cinder volume (deprecated in-tree plugin).'),
      cephfs: f(14, v1('CephFSVolumeSource'), 'A CephFS mount (deprecated).'),
      flocker: f(15, v1('FlockerVolumeSource'), 'A Flocker dataset (deprecated).'),
      downwardAPI: f(16, v1('DownwardAPIVolumeSource'), 'Pod fields and resources as files.'),
      fc: f(17, v1('FCVolumeSource'), 'A Fibre Channel disk.'),
      azureFile: f(18, v1('AzureFileVolumeSource'), 'An Azure File share (deprecated in-tree plugin).'),
      configMap: f(19, v1('ConfigMapVolumeSource'), 'The keys of a ConfigMap as files.'),
      vsphereVolume: f(20, v1('VsphereVirtualDiskVolumeSource'), 'A vSphere disk (deprecated in-tree plugin).'),
      quobyte: f(21, v1('QuobyteVolumeSource'), 'A Quobyte volume (deprecated).'),
      azureDisk: f(22, v1('AzureDiskVolumeSource'), 'An Azure data disk (deprecated in-tree plugin).'),
      photonPersistentDisk: f(23, v1('PhotonPersistentDiskVolumeSource'), 'A Photon Controller disk (deprecated).'),
      projected: f(26, v1('ProjectedVolumeSource'), 'Several sources combined in one directory.'),
      portworxVolume: f(24, v1('PortworxVolumeSource'), 'A Portworx volume (deprecated in-tree plugin).'),
      scaleIO: f(25, v1('ScaleIOVolumeSource'), 'A ScaleIO volume (deprecated).'),
      storageos: f(27, v1('StorageOSVolumeSource'), 'A StorageOS volume (deprecated).'),
      csi: f(28, v1('CSIVolumeSource'), 'An inline volume from a CSI driver.'),
      ephemeral: f(29, v1('EphemeralVolumeSource'), 'A per-pod PersistentVolumeClaim created from a template.'),
      image: f(30, v1('ImageVolumeSource'), 'The contents of an OCI image, read-only.'),
    },
    { oneOf: [VOLUME_SOURCES] },
  ),
  struct(V1 + 'KeyToPath', 'Maps one key of a ConfigMap or Secret to a file path in the volume.', {
    key: f(1, string, 'Key to project.', { required: true }),
    path: f(2, string, 'Relative file path to write the key to.', { required: true }),
    mode: f(3, int32, 'Permission bits of this file; defaultMode applies when unset.', { ptr: true }),
  }),
  struct(V1 + 'EmptyDirVolumeSource', 'A scratch directory that lives as long as the pod.', {
    medium: f(1, string, 'Storage medium: default (node disk) or Memory (tmpfs).'),
    sizeLimit: f(2, quantity, 'Largest size the directory may grow to.'),
  }),
  struct(V1 + 'HostPathVolumeSource', 'A file or directory on the node, mounted into the pod.', {
    path: f(1, string, 'Path on the node; a symlink is followed.', { required: true }),
    type: f(2, hostPathType, 'What must exist at the path, or be created.', { ptr: true, default: '' }),
  }),
  struct(V1 + 'ConfigMapVolumeSource', 'Files made from the keys of a ConfigMap.', {
    name: f(1, string, 'Name of the ConfigMap.', { default: '' }),
    items: f(2, list(v1('KeyToPath'), { listType: 'atomic' }), 'Which keys to project and the file paths to use; all keys when empty.'),
    defaultMode: f(3, int32, 'Permission bits for created files when a file sets none (e.g. 0644 = 420).', { ptr: true, default: 0o644 }),
    optional: f(4, bool, 'If true, a missing ConfigMap or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'SecretVolumeSource', 'Files made from the keys of a Secret.', {
    secretName: f(1, string, "Name of the Secret in the pod's namespace."),
    items: f(2, list(v1('KeyToPath'), { listType: 'atomic' }), 'Which keys to project and the file paths to use; all keys when empty.'),
    defaultMode: f(3, int32, 'Permission bits for created files when a file sets none (e.g. 0644 = 420).', { ptr: true, default: 0o644 }),
    optional: f(4, bool, 'If true, a missing Secret or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'DownwardAPIVolumeSource', 'Files holding pod fields and container resources.', {
    items: f(1, list(v1('DownwardAPIVolumeFile'), { listType: 'atomic' }), 'The files to create.'),
    defaultMode: f(2, int32, 'Permission bits for created files when a file sets none (e.g. 0644 = 420).', { ptr: true, default: 0o644 }),
  }),
  struct(V1 + 'DownwardAPIVolumeFile', 'One file of a downward API volume and the field it holds.', {
    path: f(1, string, 'Relative path of the file to create.', { required: true }),
    fieldRef: f(2, v1('ObjectFieldSelector'), 'Pod field to write; only metadata fields are supported.'),
    resourceFieldRef: f(3, v1('ResourceFieldSelector'), 'Container resource to write.'),
    mode: f(4, int32, 'Permission bits of this file; defaultMode applies when unset.', { ptr: true }),
  }),
  struct(V1 + 'ProjectedVolumeSource', 'One directory combining several sources (secrets, config maps, tokens, ...).', {
    sources: f(1, list(v1('VolumeProjection'), { listType: 'atomic' }), 'The sources to combine.'),
    defaultMode: f(2, int32, 'Permission bits for created files when a file sets none (e.g. 0644 = 420).', { ptr: true, default: 0o644 }),
  }),
  struct(V1 + 'VolumeProjection', 'One source of a projected volume.', {
    secret: f(1, v1('SecretProjection'), 'Keys of a Secret.'),
    downwardAPI: f(2, v1('DownwardAPIProjection'), 'Pod fields.'),
    configMap: f(3, v1('ConfigMapProjection'), 'Keys of a ConfigMap.'),
    serviceAccountToken: f(4, v1('ServiceAccountTokenProjection'), 'A service account token.'),
    clusterTrustBundle: f(5, v1('ClusterTrustBundleProjection'), 'Certificates from ClusterTrustBundles.'),
  }),
  struct(V1 + 'ConfigMapProjection', 'The keys of a ConfigMap projected into the volume.', {
    name: f(1, string, 'Name of the ConfigMap.', { default: '' }),
    items: f(2, list(v1('KeyToPath'), { listType: 'atomic' }), 'Which keys to project and the file paths to use; all keys when empty.'),
    optional: f(4, bool, 'If true, a missing ConfigMap or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'SecretProjection', 'The keys of a Secret projected into the volume.', {
    name: f(1, string, 'Name of the Secret.', { default: '' }),
    items: f(2, list(v1('KeyToPath'), { listType: 'atomic' }), 'Which keys to project and the file paths to use; all keys when empty.'),
    optional: f(4, bool, 'If true, a missing Secret or key is not an error.', { ptr: true }),
  }),
  struct(V1 + 'DownwardAPIProjection', 'Pod fields projected into the volume as files.', {
    items: f(1, list(v1('DownwardAPIVolumeFile'), { listType: 'atomic' }), 'The files to create.'),
  }),
  struct(V1 + 'ServiceAccountTokenProjection', 'A short-lived service account token written into the volume.', {
    audience: f(1, string, 'Intended audience of the token; the API server by default.'),
    expirationSeconds: f(2, int64, 'Requested token lifetime in seconds; refreshed before expiry.', { ptr: true, default: 3600 }),
    path: f(3, string, 'File path of the token, relative to the mount point.', { required: true }),
  }),
  struct(V1 + 'ClusterTrustBundleProjection', 'Certificates from ClusterTrustBundle objects written as one PEM file.', {
    name: f(1, string, 'Select one ClusterTrustBundle by name.', { ptr: true }),
    signerName: f(2, string, 'Select ClusterTrustBundles of this signer.', { ptr: true }),
    labelSelector: f(3, ref(LABEL_SELECTOR), 'Select ClusterTrustBundles of the signer by label.'),
    optional: f(5, bool, 'If true, a missing bundle is not an error.', { ptr: true }),
    path: f(4, string, 'File path to write the PEM bundle to.', { required: true }),
  }),
  struct(V1 + 'PersistentVolumeClaimVolumeSource', 'Mounts the volume bound to a PersistentVolumeClaim.', {
    claimName: f(1, string, "Name of the PersistentVolumeClaim in the pod's namespace.", { required: true }),
    readOnly: f(2, bool, 'Force the mount read-only.'),
  }),
  struct(V1 + 'EphemeralVolumeSource', 'A volume from a PersistentVolumeClaim created and deleted with the pod.', {
    volumeClaimTemplate: f(1, v1('PersistentVolumeClaimTemplate'), 'Template for the PVC created for this pod.'),
  }),
  struct(V1 + 'PersistentVolumeClaimTemplate', 'The claim to create for an ephemeral volume.', {
    metadata: f(1, ref(OBJECT_META), 'Labels and annotations copied to the created PVC.'),
    spec: f(2, ref(V1 + 'PersistentVolumeClaimSpec'), 'Spec of the created PVC.', { required: true }),
  }),
  struct(V1 + 'CSIVolumeSource', 'An inline volume provided by a CSI driver.', {
    driver: f(1, string, 'Name of the CSI driver.', { required: true }),
    readOnly: f(2, bool, 'Mount the volume read-only.', { ptr: true }),
    fsType: f(3, string, 'Filesystem type, passed to the driver.', { ptr: true }),
    volumeAttributes: f(4, map(string), 'Driver-specific settings.'),
    nodePublishSecretRef: f(5, v1('LocalObjectReference'), "Secret passed to the driver's publish and unpublish calls."),
  }),
  struct(V1 + 'ImageVolumeSource', 'The contents of an OCI image or artifact, mounted read-only.', {
    reference: f(1, string, 'Image or artifact reference to mount.'),
    pullPolicy: f(2, pullPolicy, 'When the image is pulled: Always, IfNotPresent or Never.'),
  }),
  struct(V1 + 'NFSVolumeSource', 'An NFS export.', {
    server: f(1, string, 'Host name or IP of the NFS server.', { required: true }),
    path: f(2, string, 'Exported path on the server.', { required: true }),
    readOnly: f(3, bool, 'Mount the export read-only.'),
  }),
  struct(V1 + 'ISCSIVolumeSource', 'An iSCSI disk.', {
    targetPortal: f(1, string, 'Target portal as IP or IP:port (default port 3260).', { required: true }),
    iqn: f(2, string, 'iSCSI qualified name of the target.', { required: true }),
    lun: f(3, int32, 'Logical unit number of the target.', { required: true }),
    iscsiInterface: f(4, string, 'iSCSI interface name to use.', { default: 'default' }),
    fsType: f(5, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    readOnly: f(6, bool, 'Mount the volume read-only.'),
    portals: f(7, list(string, { listType: 'atomic' }), 'Extra target portals for multipath.'),
    chapAuthDiscovery: f(8, bool, 'Use CHAP authentication for discovery.'),
    chapAuthSession: f(11, bool, 'Use CHAP authentication for the session.'),
    secretRef: f(10, v1('LocalObjectReference'), 'Secret with the CHAP credentials.'),
    initiatorName: f(12, string, 'Custom initiator name for this connection.', { ptr: true }),
  }),
  struct(V1 + 'FCVolumeSource', 'A Fibre Channel disk.', {
    targetWWNs: f(1, list(string, { listType: 'atomic' }), 'World wide names of the targets.'),
    lun: f(2, int32, 'Logical unit number of the target.', { ptr: true }),
    fsType: f(3, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    readOnly: f(4, bool, 'Mount the volume read-only.'),
    wwids: f(5, list(string, { listType: 'atomic' }), 'World wide identifiers of the volume; instead of targetWWNs and lun.'),
  }),
  struct(V1 + 'GitRepoVolumeSource', 'A directory filled by cloning a git repository (deprecated).', {
    repository: f(1, string, 'Repository URL.', { required: true }),
    revision: f(2, string, 'Commit hash to check out.'),
    directory: f(3, string, "Directory to clone into; '.' clones into the volume root."),
  }),
  struct(V1 + 'GCEPersistentDiskVolumeSource', 'A Google Compute Engine persistent disk.', {
    pdName: f(1, string, 'Name of the persistent disk in GCE.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    partition: f(3, int32, 'Partition number on the disk to mount; 0 means the whole disk.'),
    readOnly: f(4, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'AWSElasticBlockStoreVolumeSource', 'An AWS EBS disk.', {
    volumeID: f(1, string, 'ID of the EBS volume.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    partition: f(3, int32, 'Partition number on the disk to mount; 0 means the whole disk.'),
    readOnly: f(4, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'AzureDiskVolumeSource', 'An Azure data disk.', {
    diskName: f(1, string, 'Name of the data disk.', { required: true }),
    diskURI: f(2, string, 'URI of the data disk in blob storage.', { required: true }),
    cachingMode: f(3, azureDataDiskCachingMode, 'Host caching mode: None, ReadOnly or ReadWrite.', { ptr: true, default: 'ReadWrite' }),
    fsType: f(4, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.', { ptr: true, default: 'ext4' }),
    readOnly: f(5, bool, 'Mount the volume read-only.', { ptr: true, default: false }),
    kind: f(6, azureDataDiskKind, 'Disk kind: Shared, Dedicated or Managed.', { ptr: true, default: 'Shared' }),
  }),
  struct(V1 + 'AzureFileVolumeSource', 'An Azure File share.', {
    secretName: f(1, string, 'Secret with the storage account name and key.', { required: true }),
    shareName: f(2, string, 'Name of the file share.', { required: true }),
    readOnly: f(3, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'CinderVolumeSource', 'An OpenStack Cinder volume.', {
    volumeID: f(1, string, 'Identifier of the volume in its storage system.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    readOnly: f(3, bool, 'Mount the volume read-only.'),
    secretRef: f(4, v1('LocalObjectReference'), 'Secret with the OpenStack connection settings.'),
  }),
  struct(V1 + 'VsphereVirtualDiskVolumeSource', 'A vSphere virtual disk.', {
    volumePath: f(1, string, 'Path of the disk in the datastore.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    storagePolicyName: f(3, string, 'Storage policy name (SPBM).'),
    storagePolicyID: f(4, string, 'Storage policy ID (SPBM).'),
  }),
  struct(V1 + 'PhotonPersistentDiskVolumeSource', 'A Photon Controller persistent disk.', {
    pdID: f(1, string, 'ID of the Photon Controller disk.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
  }),
  struct(V1 + 'PortworxVolumeSource', 'A Portworx volume.', {
    volumeID: f(1, string, 'ID of the Portworx volume.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    readOnly: f(3, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'ScaleIOVolumeSource', 'A ScaleIO volume.', {
    gateway: f(1, string, 'Address of the ScaleIO API gateway.', { required: true }),
    system: f(2, string, 'Name of the storage system.', { required: true }),
    secretRef: f(3, v1('LocalObjectReference'), 'Secret with the ScaleIO user credentials.', { required: true }),
    sslEnabled: f(4, bool, 'Use SSL to talk to the gateway.'),
    protectionDomain: f(5, string, 'Protection domain of the storage.'),
    storagePool: f(6, string, 'Storage pool of the protection domain.'),
    storageMode: f(7, string, 'ThickProvisioned or ThinProvisioned.', { default: 'ThinProvisioned' }),
    volumeName: f(8, string, 'Name of an existing volume in the system.'),
    fsType: f(9, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.', { default: 'xfs' }),
    readOnly: f(10, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'StorageOSVolumeSource', 'A StorageOS volume.', {
    volumeName: f(1, string, 'Volume name, unique in its StorageOS namespace.'),
    volumeNamespace: f(2, string, "StorageOS namespace of the volume; the pod's by default."),
    fsType: f(3, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    readOnly: f(4, bool, 'Mount the volume read-only.'),
    secretRef: f(5, v1('LocalObjectReference'), 'Secret with the StorageOS API credentials.'),
  }),
  struct(V1 + 'GlusterfsVolumeSource', 'A GlusterFS volume.', {
    endpoints: f(1, string, 'Endpoints object listing the Glusterfs servers.', { required: true }),
    path: f(2, string, 'Glusterfs volume name.', { required: true }),
    readOnly: f(3, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'RBDVolumeSource', 'A Ceph RADOS block device.', {
    monitors: f(1, list(string, { listType: 'atomic' }), 'Ceph monitor addresses.', { required: true }),
    image: f(2, string, 'RADOS image name.', { required: true }),
    fsType: f(3, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    pool: f(4, string, 'RADOS pool name.', { default: 'rbd' }),
    user: f(5, string, 'RADOS user name.', { default: 'admin' }),
    keyring: f(6, string, 'Path of the keyring file for the user.', { default: '/etc/ceph/keyring' }),
    secretRef: f(7, v1('LocalObjectReference'), 'Secret with the authentication key; overrides keyring.'),
    readOnly: f(8, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'CephFSVolumeSource', 'A CephFS file system.', {
    monitors: f(1, list(string, { listType: 'atomic' }), 'Ceph monitor addresses.', { required: true }),
    path: f(2, string, 'Path within the CephFS to mount; / by default.'),
    user: f(3, string, 'User name to authenticate as.'),
    secretFile: f(4, string, 'Path of the key file for the user.'),
    secretRef: f(5, v1('LocalObjectReference'), 'Secret with the authentication key; overrides secretFile.'),
    readOnly: f(6, bool, 'Mount the volume read-only.'),
  }),
  struct(V1 + 'FlexVolumeSource', 'A volume handled by an out-of-tree FlexVolume driver script.', {
    driver: f(1, string, 'Name of the driver to use.', { required: true }),
    fsType: f(2, string, 'Filesystem type to format and mount, e.g. ext4 or xfs.'),
    secretRef: f(3, v1('LocalObjectReference'), "Secret passed to the driver's scripts."),
    readOnly: f(4, bool, 'Mount the volume read-only.'),
    options: f(5, map(string), 'Extra driver options.'),
  }),
  struct(V1 + 'FlockerVolumeSource', 'A Flocker dataset.', {
    datasetName: f(1, string, 'Name of the dataset.'),
    datasetUUID: f(2, string, 'UUID of the dataset.'),
  }),
  struct(V1 + 'QuobyteVolumeSource', 'A Quobyte volume.', {
    registry: f(1, string, 'Quobyte registry address(es) as host:port.', { required: true }),
    volume: f(2, string, 'Name of the existing Quobyte volume.', { required: true }),
    readOnly: f(3, bool, 'Mount the volume read-only.'),
    user: f(4, string, 'User to map volume access to; the service account by default.'),
    group: f(5, string, 'Group to map volume access to.'),
    tenant: f(6, string, 'Tenant owning the volume.'),
  }),

  // ---- Status ----
  struct(V1 + 'PodCondition', 'One aspect of pod health, such as Ready or PodScheduled, and when it changed.', {
    type: f(1, string, 'Condition type, e.g. Ready, PodScheduled, ContainersReady.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastProbeTime: f(3, time, 'When the condition was last checked.'),
    lastTransitionTime: f(4, time, 'When the status last changed.'),
    reason: f(5, string, 'Short CamelCase reason for the last transition.'),
    message: f(6, string, 'Human-readable details about the last transition.'),
  }),
  struct(V1 + 'PodIP', 'An IP address given to the pod.', {
    ip: f(1, string, 'IP address of the pod.', { required: true }),
  }),
  struct(V1 + 'HostIP', 'An IP address of the node the pod runs on.', {
    ip: f(1, string, 'IP address of the node.', { required: true }),
  }),
  struct(V1 + 'PodResourceClaimStatus', "Which ResourceClaim was created for one of the pod's resource claims.", {
    name: f(1, string, 'Name of the claim in the pod spec.', { required: true }),
    resourceClaimName: f(2, string, 'ResourceClaim generated for it; unset when none was needed.', { ptr: true }),
  }),
  struct(V1 + 'ContainerStatus', 'Observed state of one container in the pod.', {
    name: f(1, string, 'Name of the container in the pod spec.', { required: true }),
    state: f(2, v1('ContainerState'), 'Current state of the container.'),
    lastState: f(3, v1('ContainerState'), 'State of the previous run, e.g. why it was last restarted.'),
    ready: f(4, bool, 'Whether the container passes its readiness probe.', { required: true }),
    restartCount: f(5, int32, 'How many times the container has been restarted.', { required: true }),
    image: f(6, string, 'Image the container runs, as the runtime reports it.', { required: true }),
    imageID: f(7, string, 'Image ID (digest) the container runs.', { required: true }),
    containerID: f(8, string, 'Runtime container ID as <runtime>://<id>.'),
    started: f(9, bool, 'Whether the startup probe has passed.', { ptr: true }),
    allocatedResources: f(10, map(quantity), 'Resources the node has allocated to the container.'),
    resources: f(11, v1('ResourceRequirements'), 'Requests and limits currently applied to the running container.'),
    volumeMounts: f(12, mergeList(v1('VolumeMountStatus'), 'mountPath'), 'Volumes as actually mounted.'),
    user: f(13, v1('ContainerUser'), 'Identity the container process runs as.'),
    allocatedResourcesStatus: f(14, mergeList(v1('ResourceStatus'), 'name'), 'Health of devices allocated to the container.'),
  }),
  struct(V1 + 'ContainerState', 'The state of a container: exactly one of waiting, running or terminated.', {
    waiting: f(1, v1('ContainerStateWaiting'), 'Details when the container is waiting to start.'),
    running: f(2, v1('ContainerStateRunning'), 'Details when the container is running.'),
    terminated: f(3, v1('ContainerStateTerminated'), 'Details when the container has exited.'),
  }),
  struct(V1 + 'ContainerStateWaiting', 'The container has not started yet, and why.', {
    reason: f(1, string, 'Why the container is not running yet, e.g. ContainerCreating.'),
    message: f(2, string, 'Details on why the container is waiting.'),
  }),
  struct(V1 + 'ContainerStateRunning', 'The container is running.', {
    startedAt: f(1, time, 'When the container last started.'),
  }),
  struct(V1 + 'ContainerStateTerminated', 'The container has exited, and how.', {
    exitCode: f(1, int32, 'Exit code of the last run.', { required: true }),
    signal: f(2, int32, 'Signal that ended the last run.'),
    reason: f(3, string, 'Why the container exited, e.g. Completed or OOMKilled.'),
    message: f(4, string, 'Details about the exit.'),
    startedAt: f(5, time, 'When the last run started.'),
    finishedAt: f(6, time, 'When the last run ended.'),
    containerID: f(7, string, 'Runtime container ID as <runtime>://<id>.'),
  }),
  struct(V1 + 'ContainerUser', 'The identity the container process actually runs as.', {
    linux: f(1, v1('LinuxContainerUser'), 'Linux user and group ids.'),
  }),
  struct(V1 + 'LinuxContainerUser', "Linux user and group ids of the container's first process.", {
    uid: f(1, int64, 'User id of the first process.', { required: true }),
    gid: f(2, int64, 'Primary group id of the first process.', { required: true }),
    supplementalGroups: f(3, list(int64, { listType: 'atomic' }), 'Supplementary group ids of the first process.'),
  }),
  struct(V1 + 'VolumeMountStatus', 'How a volume is actually mounted in a running container.', {
    name: f(1, string, 'Volume name, as in the volume mount.', { required: true }),
    mountPath: f(2, string, 'Path the volume is mounted at.', { required: true }),
    readOnly: f(3, bool, 'Whether the mount is read-only.'),
    recursiveReadOnly: f(4, string, 'Whether read-only applies to sub-mounts (Disabled or Enabled).', { ptr: true }),
  }),
  struct(V1 + 'ResourceStatus', 'Health of the devices allocated to a container for one resource.', {
    name: f(1, string, 'Resource name, e.g. a device plugin or claim resource.', { required: true }),
    resources: f(2, list(v1('ResourceHealth'), { listType: 'map', mapKeys: ['resourceID'] }), 'Health of each allocated device.'),
  }),
  struct(V1 + 'ResourceHealth', 'Health of one device allocated to a container.', {
    resourceID: f(1, string, 'Unique id of the device.', { required: true }),
    health: f(2, string, 'Healthy, Unhealthy or Unknown.'),
  }),
]

/**
 * Protobuf nesting that the DSL cannot express. Go embeds a struct whose fields JSON flattens
 * into the parent, while protobuf keeps the embedded struct as ONE nested message at field `n`
 * of the parent. The listed fields appear flat in the parent struct above, each numbered as
 * inside that nested message. A protobuf codec must read/write them through field `n`.
 */
export interface ProtoEmbed {
  /** Struct (definition name) whose JSON has the flattened fields. */
  readonly struct: string
  /** Protobuf field number of the nested message in that struct. */
  readonly n: number
  /** JSON names of the fields that live inside the nested message. */
  readonly fields: readonly string[]
}

export const protoEmbeds: readonly ProtoEmbed[] = [
  { struct: V1 + 'EphemeralContainer', n: 1, fields: CONTAINER_COMMON },
  { struct: V1 + 'ConfigMapKeySelector', n: 1, fields: ['name'] },
  { struct: V1 + 'SecretKeySelector', n: 1, fields: ['name'] },
  { struct: V1 + 'ConfigMapEnvSource', n: 1, fields: ['name'] },
  { struct: V1 + 'SecretEnvSource', n: 1, fields: ['name'] },
  { struct: V1 + 'Probe', n: 1, fields: PROBE_HANDLERS },
  { struct: V1 + 'Volume', n: 2, fields: VOLUME_SOURCES },
  { struct: V1 + 'ConfigMapVolumeSource', n: 1, fields: ['name'] },
  { struct: V1 + 'ConfigMapProjection', n: 1, fields: ['name'] },
  { struct: V1 + 'SecretProjection', n: 1, fields: ['name'] },
]
