// The terminals requests of the contract, wired to TerminalService.
import type { HostTerminalParams, NodeTerminalParams, PodTerminalParams, TerminalRequests } from '../../contract'
import type { Handler } from '../handlers'
import { noParams } from '../handlers'
import { anyStr, intIn, optStr, optStrList, parseObject, str, type Fields } from '../params'
import type { TerminalService } from './service'

export type TerminalHandlers = { [K in keyof TerminalRequests]: Handler<K> }

/** Terminal columns and rows. */
const size = (request: string, f: Fields, key: string): number => intIn(request, f, key, 1, 1000)

export function createTerminalHandlers(terms: TerminalService): TerminalHandlers {
  return {
    'terminals.openHost': {
      parse: (raw) =>
        parseObject('terminals.openHost', raw, (f): HostTerminalParams => ({
          cluster: optStr('terminals.openHost', f, 'cluster'),
          cols: size('terminals.openHost', f, 'cols'),
          rows: size('terminals.openHost', f, 'rows'),
        })),
      run: async (p) => terms.openHost(p),
    },
    'terminals.openPod': {
      parse: (raw) =>
        parseObject('terminals.openPod', raw, (f): PodTerminalParams => ({
          cluster: str('terminals.openPod', f, 'cluster'),
          namespace: str('terminals.openPod', f, 'namespace'),
          pod: str('terminals.openPod', f, 'pod'),
          container: optStr('terminals.openPod', f, 'container'),
          command: optStrList('terminals.openPod', f, 'command'),
          cols: size('terminals.openPod', f, 'cols'),
          rows: size('terminals.openPod', f, 'rows'),
        })),
      run: (p) => terms.openPod(p),
    },
    'terminals.openNode': {
      parse: (raw) =>
        parseObject('terminals.openNode', raw, (f): NodeTerminalParams => ({
          cluster: str('terminals.openNode', f, 'cluster'),
          node: str('terminals.openNode', f, 'node'),
          cols: size('terminals.openNode', f, 'cols'),
          rows: size('terminals.openNode', f, 'rows'),
        })),
      run: (p) => terms.openNode(p),
    },
    'terminals.input': {
      parse: (raw) => parseObject('terminals.input', raw, (f) => ({ id: str('terminals.input', f, 'id'), data: anyStr('terminals.input', f, 'data') })),
      run: async (p) => terms.input(p.id, p.data),
    },
    'terminals.resize': {
      parse: (raw) =>
        parseObject('terminals.resize', raw, (f) => ({
          id: str('terminals.resize', f, 'id'),
          cols: size('terminals.resize', f, 'cols'),
          rows: size('terminals.resize', f, 'rows'),
        })),
      run: async (p) => terms.resize(p.id, p.cols, p.rows),
    },
    'terminals.close': {
      parse: (raw) => parseObject('terminals.close', raw, (f) => ({ id: str('terminals.close', f, 'id') })),
      run: async (p) => terms.close(p.id),
    },
    'terminals.list': { parse: noParams('terminals.list'), run: async () => terms.list() },
  }
}
