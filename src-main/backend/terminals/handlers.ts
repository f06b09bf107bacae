// The terminals requests of the contract, wired to TerminalService.
import type { HostTerminalParams, NodeTerminalParams, PodTerminalParams, Reply, TerminalRequests } from '../../contract'
import { ok, rpcError } from '../../contract'
import type { Handler } from '../handlers'
import { noParams } from '../handlers'
import type { TerminalService } from './service'

export type TerminalHandlers = { [K in keyof TerminalRequests]: Handler<K> }

type Fields = Record<string, unknown>

class Bad extends Error {}

function parse<T>(request: string, raw: unknown, read: (f: Fields) => T): Reply<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return rpcError('bad_params', `${request} takes an object of params`)
  try {
    return ok(read(raw as Fields))
  } catch (e) {
    if (e instanceof Bad) return rpcError('bad_params', `${request}: ${e.message}`)
    throw e
  }
}

function str(f: Fields, key: string): string {
  const v = f[key]
  if (typeof v !== 'string' || v === '') throw new Bad(`${key} must be a non-empty string`)
  return v
}
function optStr(f: Fields, key: string): string | null {
  const v = f[key]
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw new Bad(`${key} must be a string or null`)
  return v
}
function size(f: Fields, key: string): number {
  const v = f[key]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) throw new Bad(`${key} must be a whole number from 1 to 1000`)
  return v
}
function data(f: Fields): string {
  const v = f.data
  if (typeof v !== 'string') throw new Bad('data must be a string')
  return v
}
function command(f: Fields): string[] | null {
  const v = f.command
  if (v === undefined || v === null) return null
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Bad('command must be an array of strings or null')
  return v as string[]
}

export function createTerminalHandlers(terms: TerminalService): TerminalHandlers {
  return {
    'terminals.openHost': {
      parse: (raw) =>
        parse('terminals.openHost', raw, (f): HostTerminalParams => ({ cluster: optStr(f, 'cluster'), cols: size(f, 'cols'), rows: size(f, 'rows') })),
      run: async (p) => terms.openHost(p),
    },
    'terminals.openPod': {
      parse: (raw) =>
        parse('terminals.openPod', raw, (f): PodTerminalParams => ({
          cluster: str(f, 'cluster'),
          namespace: str(f, 'namespace'),
          pod: str(f, 'pod'),
          container: optStr(f, 'container'),
          command: command(f),
          cols: size(f, 'cols'),
          rows: size(f, 'rows'),
        })),
      run: (p) => terms.openPod(p),
    },
    'terminals.openNode': {
      parse: (raw) =>
        parse('terminals.openNode', raw, (f): NodeTerminalParams => ({
          cluster: str(f, 'cluster'),
          node: str(f, 'node'),
          cols: size(f, 'cols'),
          rows: size(f, 'rows'),
        })),
      run: (p) => terms.openNode(p),
    },
    'terminals.input': {
      parse: (raw) => parse('terminals.input', raw, (f) => ({ id: str(f, 'id'), data: data(f) })),
      run: async (p) => terms.input(p.id, p.data),
    },
    'terminals.resize': {
      parse: (raw) => parse('terminals.resize', raw, (f) => ({ id: str(f, 'id'), cols: size(f, 'cols'), rows: size(f, 'rows') })),
      run: async (p) => terms.resize(p.id, p.cols, p.rows),
    },
    'terminals.close': {
      parse: (raw) => parse('terminals.close', raw, (f) => ({ id: str(f, 'id') })),
      run: async (p) => terms.close(p.id),
    },
    'terminals.list': { parse: noParams('terminals.list'), run: async () => terms.list() },
  }
}
