// Validation of what crosses the contract into cluster operations (the backend's kit, ../params.ts):
// the dispatcher returns `bad_params` with a message naming the field.
import type { ClusterName, ClusterNodeRef, ControlPlaneCount, CreateClusterParams, OperationRef, Reply, StoreKind } from '../../contract'
import { CONTROL_PLANE_COUNTS, STORE_KINDS, capabilitiesOf, maxWorkers, parseCpu, parseMemory } from '../../contract'
import { ParamError, parseObject, str } from '../params'

export function parseCreate(raw: unknown): Reply<CreateClusterParams> {
  const request = 'clusters.create'
  return parseObject(request, raw, (f) => {
    const name = str(request, f, 'name', { trim: true })
    const provider = str(request, f, 'provider', { trim: true })
    const workers = f.workers
    if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 0 || workers > maxWorkers)
      throw new ParamError(`${request}: workers must be a whole number from 0 to ${maxWorkers}`)
    const cpu = str(request, f, 'cpu', { trim: true })
    if (parseCpu(cpu) === undefined) throw new ParamError(`${request}: cpu ${JSON.stringify(cpu)} is not a CPU quantity (e.g. 2, 0.5, 1500m)`)
    const memory = str(request, f, 'memory', { trim: true })
    if (parseMemory(memory) === undefined) throw new ParamError(`${request}: memory ${JSON.stringify(memory)} is not a memory quantity (e.g. 4Gi, 512Mi)`)
    const controlPlanes = f.controlPlanes ?? 1
    if (!CONTROL_PLANE_COUNTS.includes(controlPlanes as ControlPlaneCount))
      throw new ParamError(`${request}: controlPlanes must be 1, 3 or 5 (etcd needs a majority), got ${JSON.stringify(controlPlanes)}`)
    const store = f.store ?? (controlPlanes === 1 ? 'embedded' : 'etcd')
    if (!STORE_KINDS.includes(store as StoreKind)) throw new ParamError(`${request}: store must be embedded or etcd, got ${JSON.stringify(store)}`)
    if (controlPlanes !== 1 && store !== 'etcd')
      throw new ParamError(`${request}: ${String(controlPlanes)} control-plane nodes keep objects in etcd (a member on each): choose store etcd`)
    if ((controlPlanes !== 1 || store === 'etcd') && !capabilitiesOf(provider).machines)
      throw new ParamError(`${request}: several control planes and etcd need nodes that are machines (local, qemu, multipass, virtualbox), not ${provider}`)
    return { name, provider, workers, cpu, memory, controlPlanes: controlPlanes as ControlPlaneCount, store: store as StoreKind }
  })
}

export function parseClusterName(request: string): (raw: unknown) => Reply<ClusterName> {
  return (raw) => parseObject(request, raw, (f) => ({ name: str(request, f, 'name', { trim: true }) }))
}

export function parseNodeRef(request: string): (raw: unknown) => Reply<ClusterNodeRef> {
  return (raw) => parseObject(request, raw, (f) => ({ name: str(request, f, 'name', { trim: true }), node: str(request, f, 'node', { trim: true }) }))
}

export function parseOperationRef(request: string): (raw: unknown) => Reply<OperationRef> {
  return (raw) => parseObject(request, raw, (f) => ({ id: str(request, f, 'id', { trim: true }) }))
}
