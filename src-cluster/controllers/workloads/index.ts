// The workload controllers (ReplicaSet and ReplicationController, Deployment, DaemonSet, StatefulSet) the controller
// manager runs; each call makes fresh instances.
import type { Controller } from '../framework'
import { DaemonSetController } from './daemonset'
import { DeploymentController } from './deployment'
import { REPLICATION_CONTROLLER, ReplicaSetController } from './replicaset'
import { StatefulSetController } from './statefulset'

export { DaemonSetController } from './daemonset'
export { DeploymentController } from './deployment'
export { ReplicaSetController, REPLICA_SET, REPLICATION_CONTROLLER, type ReplicaSetFlavor } from './replicaset'
export { StatefulSetController } from './statefulset'

export function workloadControllers(): Controller[] {
  return [
    new ReplicaSetController(),
    new ReplicaSetController(REPLICATION_CONTROLLER),
    new DeploymentController(),
    new DaemonSetController(),
    new StatefulSetController(),
  ]
}
