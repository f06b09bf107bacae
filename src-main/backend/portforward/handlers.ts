// The portforward requests of the contract, wired to PortForwardService.
import type { PortForwardKind, PortForwardParams, PortForwardRequests, Reply } from '../../contract'
import { ok, rpcError } from '../../contract'
import type { Handler } from '../handlers'
import { noParams } from '../handlers'
import { oneOf, parseObject, port, str } from '../params'
import type { PortForwardService } from './service'

export type PortForwardHandlers = { [K in keyof PortForwardRequests]: Handler<K> }

export function parseStart(raw: unknown): Reply<PortForwardParams> {
  const request = 'portforward.start'
  return parseObject(request, raw, (f) => ({
    cluster: str(request, f, 'cluster'),
    namespace: str(request, f, 'namespace'),
    kind: oneOf<PortForwardKind>(request, f, 'kind', ['pod', 'service']),
    name: str(request, f, 'name'),
    port: port(request, f, 'port')!,
    localPort: port(request, f, 'localPort', true),
  }))
}

export function createPortForwardHandlers(pf: PortForwardService): PortForwardHandlers {
  return {
    'portforward.start': { parse: parseStart, run: (p) => pf.start(p) },
    'portforward.list': { parse: noParams('portforward.list'), run: async () => pf.list() },
    'portforward.stop': {
      parse: (raw) => {
        const id = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).id : undefined
        return typeof id === 'string' && id !== '' ? ok({ id }) : rpcError('bad_params', 'portforward.stop takes { id }, the id portforward.start returned')
      },
      run: async (p) => pf.stop(p.id),
    },
  }
}
