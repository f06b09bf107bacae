// The logs requests of the contract.
import { join } from 'node:path'
import type { LogOpenParams, LogRequests, LogTarget } from '../../contract'
import type { Handler } from '../handlers'
import type { ClusterConnections } from '../resources/connections'
import { bool, optInt, optStr, ParamError, parseWith, record, str, type Fields } from '../params'
import { listComponentLogs } from './component-log'
import type { LogStreams } from './streams'

export type LogHandlers = { [K in keyof LogRequests]: Handler<K> }

function target(f: Fields): LogTarget {
  const t = record('logs.open target', f.target)
  const r = 'logs.open target'
  switch (t.kind) {
    case 'pod':
      return { kind: 'pod', namespace: str(r, t, 'namespace'), name: str(r, t, 'name'), container: optStr(r, t, 'container') }
    case 'workload':
      return { kind: 'workload', type: str(r, t, 'type'), namespace: str(r, t, 'namespace'), name: str(r, t, 'name') }
    case 'component':
      return { kind: 'component', file: str(r, t, 'file') }
    default:
      throw new ParamError(`logs.open: target.kind must be pod, workload or component, got ${JSON.stringify(t.kind)}`)
  }
}

export function createLogHandlers(streams: LogStreams, connections: ClusterConnections): LogHandlers {
  return {
    'logs.open': {
      parse: (raw) =>
        parseWith((): LogOpenParams => {
          const f = record('logs.open', raw)
          return {
            cluster: str('logs.open', f, 'cluster'),
            target: target(f),
            follow: bool('logs.open', f, 'follow'),
            timestamps: bool('logs.open', f, 'timestamps'),
            previous: bool('logs.open', f, 'previous'),
            tailLines: optInt('logs.open', f, 'tailLines', 0),
          }
        }),
      run: (p) => streams.start(p),
    },
    'logs.close': {
      parse: (raw) => parseWith(() => ({ streamId: str('logs.close', record('logs.close', raw), 'streamId') })),
      run: async (p) => streams.close(p.streamId),
    },
    'logs.components': {
      parse: (raw) => parseWith(() => ({ cluster: str('logs.components', record('logs.components', raw), 'cluster') })),
      run: async (p) => listComponentLogs(join(connections.clusterDir(p.cluster), 'logs')),
    },
  }
}
