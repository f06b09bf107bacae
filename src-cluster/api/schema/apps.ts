// Schema data for apps/v1: Deployment, ReplicaSet, DaemonSet, StatefulSet, ControllerRevision.
// Field names, protobuf numbers and list/merge metadata follow upstream v1.32 (k8s.io/api
// apps/v1); defaults are only the constant ones upstream's defaulting applies. Computed defaults
// (e.g. creating spec.strategy.rollingUpdate when absent) are done in code elsewhere.
import { LABEL_SELECTOR, bool, enumOf, f, int32, int64, intOrString, kind, list, mergeList, raw, ref, string, struct, time, type Struct } from './dsl'

const APPS = 'io.k8s.api.apps.v1.'
const CORE = 'io.k8s.api.core.v1.'

export const structs: Struct[] = [
  // ---- apps/v1 ----
  kind('apps', 'v1', 'Deployment', APPS + 'Deployment', 'Runs N identical pods through ReplicaSets and rolls out template changes gradually.', {
    spec: f(2, ref(APPS + 'DeploymentSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(APPS + 'DeploymentStatus'), 'Observed state, written by the system.'),
  }),
  struct(APPS + 'DeploymentSpec', 'What a Deployment should run and how it rolls out changes.', {
    replicas: f(1, int32, 'Number of pods wanted (default 1).', { ptr: true, default: 1 }),
    selector: f(2, ref(LABEL_SELECTOR), 'Label query picking the pods this Deployment owns; must match the template labels.', { required: true }),
    template: f(3, ref(CORE + 'PodTemplateSpec'), 'Pod template used for every replica.', { required: true }),
    strategy: f(4, ref(APPS + 'DeploymentStrategy'), 'How old pods are replaced by new ones on a template change.', { strategy: 'retainKeys' }),
    minReadySeconds: f(5, int32, 'Seconds a new pod must stay ready (no container crash) before it counts as available.'),
    revisionHistoryLimit: f(6, int32, 'How many old revisions to keep around for rollback.', { ptr: true, default: 10 }),
    paused: f(7, bool, 'When true, template changes are not rolled out until resumed.'),
    progressDeadlineSeconds: f(9, int32, 'Seconds without progress before the rollout is reported as failed (default 600).', { ptr: true, default: 600 }),
  }),
  struct(APPS + 'DeploymentStrategy', 'Replacement strategy of a Deployment.', {
    type: f(1, enumOf('Recreate', 'RollingUpdate'), 'Recreate (kill all, then start new) or RollingUpdate (replace gradually; the default).', {
      default: 'RollingUpdate',
    }),
    rollingUpdate: f(2, ref(APPS + 'RollingUpdateDeployment'), 'Tuning for RollingUpdate; only allowed when type is RollingUpdate.'),
  }),
  struct(APPS + 'RollingUpdateDeployment', 'Limits used while a Deployment rolls out.', {
    maxUnavailable: f(1, intOrString, 'Pods (number or percent) that may be unavailable during the update (default 25%).', { ptr: true, default: '25%' }),
    maxSurge: f(2, intOrString, 'Pods (number or percent) allowed above the desired count during the update (default 25%).', { ptr: true, default: '25%' }),
  }),
  struct(APPS + 'DeploymentStatus', 'What the Deployment controller last observed.', {
    observedGeneration: f(1, int64, 'The metadata.generation the controller last acted on.'),
    replicas: f(2, int32, 'Pods targeted by this Deployment (any revision).'),
    updatedReplicas: f(3, int32, 'Pods already running the newest template.'),
    readyReplicas: f(7, int32, 'Pods with a Ready condition.'),
    availableReplicas: f(4, int32, 'Pods ready for at least minReadySeconds.'),
    unavailableReplicas: f(5, int32, 'Pods still needed to reach full availability.'),
    conditions: f(6, mergeList(ref(APPS + 'DeploymentCondition'), 'type'), 'Latest observations of the object, one entry per condition type.'),
    collisionCount: f(8, int32, 'Bumped when a revision hash collides, to make the next name unique.', { ptr: true }),
  }),
  struct(APPS + 'DeploymentCondition', 'One observed condition of a Deployment (Available, Progressing, ReplicaFailure).', {
    type: f(1, string, 'Condition name, e.g. Available or Progressing.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastUpdateTime: f(6, time, 'When this condition was last refreshed.'),
    lastTransitionTime: f(7, time, 'When the condition last changed status.'),
    reason: f(4, string, 'One-word, CamelCase cause of the last transition.'),
    message: f(5, string, 'Human-readable details about the last transition.'),
  }),
  kind('apps', 'v1', 'ReplicaSet', APPS + 'ReplicaSet', 'Keeps a fixed number of identical pods running; usually managed by a Deployment.', {
    spec: f(2, ref(APPS + 'ReplicaSetSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(APPS + 'ReplicaSetStatus'), 'Observed state, written by the system.'),
  }),
  struct(APPS + 'ReplicaSetSpec', 'What a ReplicaSet should keep running.', {
    replicas: f(1, int32, 'Number of pods wanted (default 1).', { ptr: true, default: 1 }),
    minReadySeconds: f(4, int32, 'Seconds a new pod must stay ready (no container crash) before it counts as available.'),
    selector: f(2, ref(LABEL_SELECTOR), 'Label query picking the pods counted as replicas; must match the template labels.', { required: true }),
    template: f(3, ref(CORE + 'PodTemplateSpec'), 'Pod template used to create missing replicas.'),
  }),
  struct(APPS + 'ReplicaSetStatus', 'What the ReplicaSet controller last observed.', {
    replicas: f(1, int32, 'Pods currently counted as replicas.', { required: true }),
    fullyLabeledReplicas: f(2, int32, 'Pods whose labels match the full template labels.'),
    readyReplicas: f(4, int32, 'Pods with a Ready condition.'),
    availableReplicas: f(5, int32, 'Pods ready for at least minReadySeconds.'),
    observedGeneration: f(3, int64, 'The metadata.generation the controller last acted on.'),
    conditions: f(6, mergeList(ref(APPS + 'ReplicaSetCondition'), 'type'), 'Latest observations of the object, one entry per condition type.'),
  }),
  struct(APPS + 'ReplicaSetCondition', 'One observed condition of a ReplicaSet.', {
    type: f(1, string, 'Condition name, e.g. ReplicaFailure.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the condition last changed status.'),
    reason: f(4, string, 'One-word, CamelCase cause of the last transition.'),
    message: f(5, string, 'Human-readable details about the last transition.'),
  }),
  kind('apps', 'v1', 'DaemonSet', APPS + 'DaemonSet', 'Runs one copy of a pod on every (selected) node.', {
    spec: f(2, ref(APPS + 'DaemonSetSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(APPS + 'DaemonSetStatus'), 'Observed state, written by the system.'),
  }),
  struct(APPS + 'DaemonSetSpec', 'What a DaemonSet should run and how it updates it.', {
    selector: f(1, ref(LABEL_SELECTOR), 'Label query picking the pods this DaemonSet owns; must match the template labels.', { required: true }),
    template: f(2, ref(CORE + 'PodTemplateSpec'), 'Pod template run on each eligible node.', { required: true }),
    updateStrategy: f(3, ref(APPS + 'DaemonSetUpdateStrategy'), 'How pods are replaced when the template changes.'),
    minReadySeconds: f(4, int32, 'Seconds a new pod must stay ready (no container crash) before it counts as available.'),
    revisionHistoryLimit: f(6, int32, 'How many old revisions to keep around for rollback.', { ptr: true, default: 10 }),
  }),
  struct(APPS + 'DaemonSetUpdateStrategy', 'Update strategy of a DaemonSet.', {
    type: f(1, enumOf('RollingUpdate', 'OnDelete'), 'RollingUpdate (the default) or OnDelete (replace only when a pod is deleted by hand).', {
      default: 'RollingUpdate',
    }),
    rollingUpdate: f(2, ref(APPS + 'RollingUpdateDaemonSet'), 'Tuning for RollingUpdate; only allowed when type is RollingUpdate.'),
  }),
  struct(APPS + 'RollingUpdateDaemonSet', 'Limits used while a DaemonSet rolls out.', {
    maxUnavailable: f(1, intOrString, 'Nodes (number or percent) whose pod may be unavailable during the update (default 1).', { ptr: true, default: 1 }),
    maxSurge: f(2, intOrString, 'Nodes (number or percent) that may briefly run old and new pod together (default 0).', { ptr: true, default: 0 }),
  }),
  struct(APPS + 'DaemonSetStatus', 'What the DaemonSet controller last observed.', {
    currentNumberScheduled: f(1, int32, 'Nodes running at least one daemon pod that should run it.', { required: true }),
    numberMisscheduled: f(2, int32, 'Nodes running a daemon pod that should not run it.', { required: true }),
    desiredNumberScheduled: f(3, int32, 'Nodes that should run the daemon pod.', { required: true }),
    numberReady: f(4, int32, 'Nodes whose daemon pod is ready.', { required: true }),
    observedGeneration: f(5, int64, 'The metadata.generation the controller last acted on.'),
    updatedNumberScheduled: f(6, int32, 'Nodes running the newest template.'),
    numberAvailable: f(7, int32, 'Nodes whose daemon pod is available (ready for minReadySeconds).'),
    numberUnavailable: f(8, int32, 'Nodes that should run an available daemon pod but do not.'),
    collisionCount: f(9, int32, 'Bumped when a revision hash collides, to make the next name unique.', { ptr: true }),
    conditions: f(10, mergeList(ref(APPS + 'DaemonSetCondition'), 'type'), 'Latest observations of the object, one entry per condition type.'),
  }),
  struct(APPS + 'DaemonSetCondition', 'One observed condition of a DaemonSet.', {
    type: f(1, string, 'Condition name.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the condition last changed status.'),
    reason: f(4, string, 'One-word, CamelCase cause of the last transition.'),
    message: f(5, string, 'Human-readable details about the last transition.'),
  }),
  kind('apps', 'v1', 'StatefulSet', APPS + 'StatefulSet', 'Runs pods with stable names, network identity and per-pod storage, in order.', {
    spec: f(2, ref(APPS + 'StatefulSetSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(APPS + 'StatefulSetStatus'), 'Observed state, written by the system.'),
  }),
  struct(APPS + 'StatefulSetSpec', 'What a StatefulSet should run.', {
    replicas: f(1, int32, 'Number of pods wanted (default 1).', { ptr: true, default: 1 }),
    selector: f(2, ref(LABEL_SELECTOR), 'Label query picking the pods this StatefulSet owns; must match the template labels.', { required: true }),
    template: f(3, ref(CORE + 'PodTemplateSpec'), 'Pod template; each pod gets an ordinal name like web-0, web-1.', { required: true }),
    volumeClaimTemplates: f(
      4,
      list(ref(CORE + 'PersistentVolumeClaim'), { listType: 'atomic' }),
      'PVCs created per pod and mounted by name into the template.',
    ),
    serviceName: f(5, string, 'Headless Service giving the pods their DNS names.', { required: true }),
    podManagementPolicy: f(6, enumOf('OrderedReady', 'Parallel'), 'OrderedReady (one at a time, the default) or Parallel pod creation and deletion.', {
      default: 'OrderedReady',
    }),
    updateStrategy: f(7, ref(APPS + 'StatefulSetUpdateStrategy'), 'How pods are replaced when the template changes.'),
    revisionHistoryLimit: f(8, int32, 'How many old revisions to keep around for rollback.', { ptr: true, default: 10 }),
    minReadySeconds: f(9, int32, 'Seconds a new pod must stay ready (no container crash) before it counts as available.'),
    persistentVolumeClaimRetentionPolicy: f(
      10,
      ref(APPS + 'StatefulSetPersistentVolumeClaimRetentionPolicy'),
      'Whether per-pod PVCs are kept or deleted on scale down / deletion.',
    ),
    ordinals: f(11, ref(APPS + 'StatefulSetOrdinals'), 'Numbering of pod ordinals.'),
  }),
  struct(APPS + 'StatefulSetUpdateStrategy', 'Update strategy of a StatefulSet.', {
    type: f(1, enumOf('RollingUpdate', 'OnDelete'), 'RollingUpdate (the default) or OnDelete.', { default: 'RollingUpdate' }),
    rollingUpdate: f(2, ref(APPS + 'RollingUpdateStatefulSetStrategy'), 'Tuning for RollingUpdate.'),
  }),
  struct(APPS + 'RollingUpdateStatefulSetStrategy', 'Limits used while a StatefulSet rolls out.', {
    partition: f(1, int32, 'Only pods with an ordinal at or above this number are updated (default 0).', { ptr: true, default: 0 }),
    maxUnavailable: f(2, intOrString, 'Pods (number or percent) that may be unavailable during the update (feature-gated).', { ptr: true }),
  }),
  struct(APPS + 'StatefulSetPersistentVolumeClaimRetentionPolicy', 'What happens to per-pod PVCs of a StatefulSet.', {
    whenDeleted: f(1, enumOf('Retain', 'Delete'), 'Retain (the default) or Delete the PVCs when the StatefulSet is deleted.', { default: 'Retain' }),
    whenScaled: f(2, enumOf('Retain', 'Delete'), 'Retain (the default) or Delete the PVCs of pods removed by scaling down.', { default: 'Retain' }),
  }),
  struct(APPS + 'StatefulSetOrdinals', 'Numbering of the pods of a StatefulSet.', {
    start: f(1, int32, 'First ordinal used for pod names (default 0).'),
  }),
  struct(APPS + 'StatefulSetStatus', 'What the StatefulSet controller last observed.', {
    observedGeneration: f(1, int64, 'The metadata.generation the controller last acted on.'),
    replicas: f(2, int32, 'Pods created by the controller.', { required: true }),
    readyReplicas: f(3, int32, 'Pods with a Ready condition.'),
    currentReplicas: f(4, int32, 'Pods running the currentRevision.'),
    updatedReplicas: f(5, int32, 'Pods running the updateRevision.'),
    currentRevision: f(6, string, 'Revision used for pods in [0, currentReplicas).'),
    updateRevision: f(7, string, 'Revision used for pods in [replicas-updatedReplicas, replicas).'),
    collisionCount: f(9, int32, 'Bumped when a revision hash collides, to make the next name unique.', { ptr: true }),
    conditions: f(10, mergeList(ref(APPS + 'StatefulSetCondition'), 'type'), 'Latest observations of the object, one entry per condition type.'),
    availableReplicas: f(11, int32, 'Pods ready for at least minReadySeconds.'),
  }),
  struct(APPS + 'StatefulSetCondition', 'One observed condition of a StatefulSet.', {
    type: f(1, string, 'Condition name.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the condition last changed status.'),
    reason: f(4, string, 'One-word, CamelCase cause of the last transition.'),
    message: f(5, string, 'Human-readable details about the last transition.'),
  }),
  kind('apps', 'v1', 'ControllerRevision', APPS + 'ControllerRevision', "Immutable snapshot of a workload's template, used for rollback and history.", {
    data: f(2, raw, 'The stored state (a serialized object or patch).'),
    revision: f(3, int64, 'Sequence number of this revision.', { required: true }),
  }),
]
