// The portforward requests of the contract, wired to PortForwardService.
import type { PortForwardKind, PortForwardParams, PortForwardRequests, Reply } from '../../contract'
import { ok, rpcError } from '../../contract'
import type { Handler } from '../handlers'
import { noParams } from '../handlers'
import type { PortForwardService } from './service'

export type PortForwardHandlers = { [K in keyof PortForwardRequests]: Handler<K> }

type Fields = Record<string, unknown>

class Bad extends Error {}

function str(f: Fields, key: string): string {
  const v = f[key]
  if (typeof v !== 'string' || v === '') throw new Bad(`${key} must be a non-empty string`)
  return v
}

function port(f: Fields, key: string, optional: boolean): number | null {
  const v = f[key]
  if (optional && (v === undefined || v === null || v === 0)) return null
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new Bad(`${key} must be a port number from 1 to 65535${optional ? ', or absent for a free one' : ''}`)
  return v
}

function kind(f: Fields): PortForwardKind {
  const v = f.kind
  if (v !== 'pod' && v !== 'service') throw new Bad(`kind must be "pod" or "service"`)
  return v
}

export function parseStart(raw: unknown): Reply<PortForwardParams> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return rpcError('bad_params', 'portforward.start takes an object of params')
  const f = raw as Fields
  try {
    return ok({
      cluster: str(f, 'cluster'),
      namespace: str(f, 'namespace'),
      kind: kind(f),
      name: str(f, 'name'),
      port: port(f, 'port', false)!,
      localPort: port(f, 'localPort', true),
    })
  } catch (e) {
    if (e instanceof Bad) return rpcError('bad_params', `portforward.start: ${e.message}`)
    throw e
  }
}

export function createPortForwardHandlers(pf: PortForwardService): PortForwardHandlers {
  return {
    'portforward.start': { parse: parseStart, run: (p) => pf.start(p) },
    'portforward.list': { parse: noParams('portforward.list'), run: async () => pf.list() },
    'portforward.stop': {
      parse: (raw) => {
        const id = typeof raw === 'object' && raw !== null ? (raw as Fields).id : undefined
        return typeof id === 'string' && id !== '' ? ok({ id }) : rpcError('bad_params', 'portforward.stop takes { id }, the id portforward.start returned')
      },
      run: async (p) => pf.stop(p.id),
    },
  }
}
