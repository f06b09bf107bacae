// Validation of what crosses the contract into cluster operations. Each parser answers a Reply so
// the dispatcher returns `bad_params` with a message naming the field.
import type { ClusterName, ClusterNodeRef, CreateClusterParams, OperationRef, Reply } from '../../contract'
import { maxWorkers, ok, parseCpu, parseMemory, rpcError } from '../../contract'

type Fields = Record<string, unknown>

function fields(request: string, raw: unknown): Fields | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${request} takes an object of params`
  return raw as Fields
}

function str(request: string, f: Fields, key: string): string | { error: string } {
  const v = f[key]
  if (typeof v !== 'string' || v.trim() === '') return { error: `${request}: ${key} must be a non-empty string` }
  return v.trim()
}

export function parseCreate(raw: unknown): Reply<CreateClusterParams> {
  const request = 'clusters.create'
  const f = fields(request, raw)
  if (typeof f === 'string') return rpcError('bad_params', f)
  const name = str(request, f, 'name')
  if (typeof name !== 'string') return rpcError('bad_params', name.error)
  const provider = str(request, f, 'provider')
  if (typeof provider !== 'string') return rpcError('bad_params', provider.error)
  const workers = f.workers
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 0 || workers > maxWorkers) {
    return rpcError('bad_params', `${request}: workers must be a whole number from 0 to ${maxWorkers}`)
  }
  const cpu = str(request, f, 'cpu')
  if (typeof cpu !== 'string') return rpcError('bad_params', cpu.error)
  if (parseCpu(cpu) === undefined) return rpcError('bad_params', `${request}: cpu ${JSON.stringify(cpu)} is not a CPU quantity (e.g. 2, 0.5, 1500m)`)
  const memory = str(request, f, 'memory')
  if (typeof memory !== 'string') return rpcError('bad_params', memory.error)
  if (parseMemory(memory) === undefined)
    return rpcError('bad_params', `${request}: memory ${JSON.stringify(memory)} is not a memory quantity (e.g. 4Gi, 512Mi)`)
  return ok({ name, provider, workers, cpu, memory })
}

export function parseClusterName(request: string): (raw: unknown) => Reply<ClusterName> {
  return (raw) => {
    const f = fields(request, raw)
    if (typeof f === 'string') return rpcError('bad_params', f)
    const name = str(request, f, 'name')
    return typeof name === 'string' ? ok({ name }) : rpcError('bad_params', name.error)
  }
}

export function parseNodeRef(request: string): (raw: unknown) => Reply<ClusterNodeRef> {
  return (raw) => {
    const f = fields(request, raw)
    if (typeof f === 'string') return rpcError('bad_params', f)
    const name = str(request, f, 'name')
    if (typeof name !== 'string') return rpcError('bad_params', name.error)
    const node = str(request, f, 'node')
    return typeof node === 'string' ? ok({ name, node }) : rpcError('bad_params', node.error)
  }
}

export function parseOperationRef(request: string): (raw: unknown) => Reply<OperationRef> {
  return (raw) => {
    const f = fields(request, raw)
    if (typeof f === 'string') return rpcError('bad_params', f)
    const id = str(request, f, 'id')
    return typeof id === 'string' ? ok({ id }) : rpcError('bad_params', id.error)
  }
}
