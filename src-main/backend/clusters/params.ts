// Validation of what crosses the contract into cluster operations (the backend's kit, ../params.ts):
// the dispatcher returns `bad_params` with a message naming the field.
import type { ClusterName, ClusterNodeRef, CreateClusterParams, OperationRef, Reply } from '../../contract'
import { maxWorkers, parseCpu, parseMemory } from '../../contract'
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
    return { name, provider, workers, cpu, memory }
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
