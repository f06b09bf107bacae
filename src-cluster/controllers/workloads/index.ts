// The workload controllers (ReplicaSet, Deployment, DaemonSet, StatefulSet) the controller
// manager runs; each call makes fresh instances.
import type { Controller } from '../framework'
import { DaemonSetController } from './daemonset'
import { DeploymentController } from './deployment'
import { ReplicaSetController } from './replicaset'
import { StatefulSetController } from './statefulset'

export { DaemonSetController } from './daemonset'
export { DeploymentController } from './deployment'
export { ReplicaSetController } from './replicaset'
export { StatefulSetController } from './statefulset'

export function workloadControllers(): Controller[] {
  return [new ReplicaSetController(), new DeploymentController(), new DaemonSetController(), new StatefulSetController()]
}
