// GET /kubelab/v1/etcd/members: the store's etcd members with their status (leader, database
// size, raft index), as `etcdctl endpoint status --cluster` shows them. Not an upstream
// endpoint: the app reads it to show an HA cluster's members through the same API endpoint
// (and credentials) as everything else, so the host needs no route to etcd's client port.
// A non-resource URL: RBAC lets only subjects granted it through (system:masters, cluster-admin).
import type { ApiRequest, ApiResponse } from '../exchange'
import type { Storage } from '../../store/types'
import { failure, errors } from '../status'
import { sendJson } from '../respond'

export const ETCD_MEMBERS_PATH = '/kubelab/v1/etcd/members'

export async function handleEtcdMembers(store: Storage, req: ApiRequest, res: ApiResponse): Promise<void> {
  if (req.method !== 'GET') throw errors.methodNotAllowed(`${req.method ?? ''} is not supported on ${ETCD_MEMBERS_PATH}: use GET`)
  if (!store.members) throw failure(404, 'NotFound', 'this API server keeps its objects in its embedded store, which has no etcd members')
  sendJson(req, res, 200, { apiVersion: 'kubelab.dev/v1', kind: 'EtcdMemberList', items: await store.members() })
}
