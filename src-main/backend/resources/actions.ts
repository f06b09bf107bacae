// The detail page's buttons, each one API call as kubectl makes it.
import { resourceRef, type Client } from '../../../src-cluster/client'
import type { ObjectParams } from '../../contract'
import { typeOrThrow } from './detail'

function target(p: ObjectParams) {
  const info = typeOrThrow(p.type)
  return { info, ref: resourceRef(info.apiVersion, info.type), ns: info.namespaced ? (p.namespace ?? 'default') : undefined }
}

/** `kubectl scale`: sets spec.replicas. */
export async function scale(client: Client, params: ObjectParams, replicas: number): Promise<void> {
  const { info, ref, ns } = target(params)
  if (!info.scalable) throw new Error(`a ${info.kind} cannot be scaled; scale its Deployment, StatefulSet or ReplicaSet`)
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`replicas must be a whole number ≥ 0, got ${replicas}`)
  await client.patch(ref, ns, params.name, { spec: { replicas } }, 'merge')
}

/** `kubectl rollout restart`: a new template annotation makes the controller replace every pod. */
export async function restartRollout(client: Client, params: ObjectParams, now = new Date()): Promise<void> {
  const { info, ref, ns } = target(params)
  if (!info.restartable) throw new Error(`a ${info.kind} has no rollout to restart; restart its Deployment, StatefulSet or DaemonSet`)
  const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } } } }
  await client.patch(ref, ns, params.name, patch, 'strategic')
}

export async function deleteObject(client: Client, params: ObjectParams): Promise<void> {
  const { ref, ns, info } = target(params)
  const deleted = await client.delete(ref, ns, params.name, { propagationPolicy: 'Background' })
  if (!deleted) throw new Error(`${info.kind} ${params.name} was already gone`)
}

/** `kubectl cordon` / `uncordon`. */
export async function cordon(client: Client, node: string, unschedulable: boolean): Promise<void> {
  await client.patch(resourceRef('v1', 'nodes'), undefined, node, { spec: { unschedulable: unschedulable ? true : null } }, 'merge')
}
