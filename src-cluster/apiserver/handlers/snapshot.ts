// GET /kubelab/v1/snapshot: a consistent snapshot of the whole store, streamed (what
// `kubelab backup` keeps). Not an upstream endpoint; it plays the part of etcd's
// Maintenance.Snapshot for clusters whose store is inside the API server, and on etcd it is that
// RPC's bytes. A non-resource URL, so RBAC lets only those granted it through (system:masters,
// cluster-admin): the snapshot holds every Secret.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { Storage } from '../../store/types'
import { errors } from '../status'

export const SNAPSHOT_PATH = '/kubelab/v1/snapshot'

export async function handleSnapshot(store: Storage, req: ApiRequest, res: ApiResponse): Promise<void> {
  if (req.method !== 'GET') throw errors.methodNotAllowed(`${req.method ?? ''} is not supported on ${SNAPSHOT_PATH}: use GET`)
  const snap = await store.streamSnapshot()
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Cache-Control': 'no-store',
    'X-Kubelab-Store': snap.kind,
    'X-Kubelab-Revision': String(snap.revision),
  })
  let aborted = false
  res.once('close', () => (aborted = !res.writableFinished))
  try {
    for await (const chunk of snap.chunks) {
      if (aborted) return
      if (!res.write(chunk))
        await new Promise<void>((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
    }
    res.end()
  } catch {
    // Headers are gone: cut the connection so the client sees a truncated body, never a short
    // snapshot that looks complete (the backup verifies the footer / hash anyway).
    res.destroy()
  }
}
