// The resources requests of the contract, wired to the watch hub, details, apply and actions.
import type { ObjectParams, ResourceBatch, ResourceRequests } from '../../contract'
import { ok, resourceTypes, rpcError } from '../../contract'
import type { Handler } from '../handlers'
import { cordon, deleteObject, restartRollout, scale } from './actions'
import { applyYaml } from './apply'
import { ClusterConnections } from './connections'
import { getDetail } from './detail'
import { bool, int, optStr, ParamError, parseWith, record, str, type Fields } from '../params'
import { WatchHub } from './watch-hub'

export type ResourceHandlers = { [K in keyof ResourceRequests]: Handler<K> }

export interface ResourceBackendDeps {
  /** KUBELAB_HOME, resolved per call so tests and `--home` are honoured. */
  home: () => string
  /** Sends `resources.batch` to the renderer(s). */
  publish: (batch: ResourceBatch) => void
  batchIntervalMs?: number
}

export interface ResourceBackend {
  handlers: ResourceHandlers
  connections: ClusterConnections
  hub: WatchHub
  close(): void
}

function objectParams(request: string, f: Fields): ObjectParams {
  return { cluster: str(request, f, 'cluster'), type: str(request, f, 'type'), namespace: optStr(request, f, 'namespace'), name: str(request, f, 'name') }
}

export function createResourceBackend(deps: ResourceBackendDeps): ResourceBackend {
  const connections = new ClusterConnections(deps.home)
  const hub = new WatchHub({ connections, publish: deps.publish, batchIntervalMs: deps.batchIntervalMs })
  const client = (cluster: string) => connections.client(cluster)

  const handlers: ResourceHandlers = {
    'resources.types': {
      parse: (raw) => (raw === undefined || raw === null ? ok(undefined) : rpcError('bad_params', 'resources.types takes no params')),
      run: async () => resourceTypes.map((t) => ({ ...t })),
    },
    'resources.watch': {
      parse: (raw) =>
        parseWith(() => {
          const f = record('resources.watch', raw)
          return {
            cluster: str('resources.watch', f, 'cluster'),
            type: str('resources.watch', f, 'type'),
            namespace: optStr('resources.watch', f, 'namespace'),
          }
        }),
      run: (p) => hub.watch(p),
    },
    'resources.unwatch': {
      parse: (raw) => parseWith(() => ({ watchId: str('resources.unwatch', record('resources.unwatch', raw), 'watchId') })),
      run: async (p) => hub.unwatch(p.watchId),
    },
    'resources.get': {
      parse: (raw) => parseWith(() => objectParams('resources.get', record('resources.get', raw))),
      run: (p) => getDetail(client(p.cluster), p),
    },
    'resources.apply': {
      parse: (raw) =>
        parseWith(() => {
          const f = record('resources.apply', raw)
          if (typeof f.yaml !== 'string') throw new ParamError('resources.apply: yaml must be a string')
          return { cluster: str('resources.apply', f, 'cluster'), yaml: f.yaml }
        }),
      run: (p) => applyYaml(client(p.cluster), p.yaml),
    },
    'resources.scale': {
      parse: (raw) =>
        parseWith(() => {
          const f = record('resources.scale', raw)
          return { ...objectParams('resources.scale', f), replicas: int('resources.scale', f, 'replicas', 0) }
        }),
      run: (p) => scale(client(p.cluster), p, p.replicas),
    },
    'resources.restart': {
      parse: (raw) => parseWith(() => objectParams('resources.restart', record('resources.restart', raw))),
      run: (p) => restartRollout(client(p.cluster), p),
    },
    'resources.delete': {
      parse: (raw) => parseWith(() => objectParams('resources.delete', record('resources.delete', raw))),
      run: (p) => deleteObject(client(p.cluster), p),
    },
    'resources.cordon': {
      parse: (raw) =>
        parseWith(() => {
          const f = record('resources.cordon', raw)
          return {
            cluster: str('resources.cordon', f, 'cluster'),
            name: str('resources.cordon', f, 'name'),
            unschedulable: bool('resources.cordon', f, 'unschedulable'),
          }
        }),
      run: (p) => cordon(client(p.cluster), p.name, p.unschedulable),
    },
  }

  return {
    handlers,
    connections,
    hub,
    close() {
      hub.close()
      connections.close()
    },
  }
}
