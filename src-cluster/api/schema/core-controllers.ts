// Schema data for core/v1 ReplicationController (the ReplicaSet's predecessor, selecting by
// equality only) and PodTemplate (a stored pod template). Field names and protobuf numbers follow
// kubernetes/api core/v1 at v0.32; the descriptions are our own.
import { f, int32, int64, kind, map, mergeList, ref, string, struct, time } from './dsl'
import type { Struct } from './dsl'

const C = 'io.k8s.api.core.v1.'

export const structs: Struct[] = [
  kind('', 'v1', 'ReplicationController', C + 'ReplicationController', 'Keeps a fixed number of identical pods running (the older form of a ReplicaSet).', {
    spec: f(2, ref(C + 'ReplicationControllerSpec'), 'Desired state, written by the user.'),
    status: f(3, ref(C + 'ReplicationControllerStatus'), 'Observed state, written by the system.'),
  }),
  struct(C + 'ReplicationControllerSpec', 'What a ReplicationController should keep running.', {
    replicas: f(1, int32, 'Number of pods wanted (default 1).', { ptr: true, default: 1 }),
    minReadySeconds: f(4, int32, 'Seconds a new pod must stay ready before it counts as available.'),
    selector: f(2, map(string), 'Labels a pod must carry to count as a replica (defaults to the template labels).'),
    template: f(3, ref(C + 'PodTemplateSpec'), 'Pod template used to create missing replicas.'),
  }),
  struct(C + 'ReplicationControllerStatus', 'What the replication manager last observed.', {
    replicas: f(1, int32, 'Pods currently counted as replicas.', { required: true }),
    fullyLabeledReplicas: f(2, int32, 'Replicas whose labels match the template labels.'),
    readyReplicas: f(4, int32, 'Replicas that are ready.'),
    availableReplicas: f(5, int32, 'Replicas ready for at least minReadySeconds.'),
    observedGeneration: f(3, int64, 'The generation the status describes.'),
    conditions: f(6, mergeList(ref(C + 'ReplicationControllerCondition'), 'type'), 'Latest observations, e.g. ReplicaFailure.'),
  }),
  struct(C + 'ReplicationControllerCondition', 'One observation about a ReplicationController.', {
    type: f(1, string, 'Kind of condition, e.g. ReplicaFailure.', { required: true }),
    status: f(2, string, 'True, False or Unknown.', { required: true }),
    lastTransitionTime: f(3, time, 'When the status last changed.'),
    reason: f(4, string, 'One-word cause of the last transition.'),
    message: f(5, string, 'Human-readable details of the last transition.'),
  }),
  kind('', 'v1', 'PodTemplate', C + 'PodTemplate', 'A stored pod template that other objects or people can copy.', {
    template: f(2, ref(C + 'PodTemplateSpec'), 'The pod template.'),
  }),
]
