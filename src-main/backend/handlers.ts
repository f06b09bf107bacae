import type { AppInfo, AppMode, EventMessage, ParamsOf, Reply, RequestName, ResultOf } from '../contract'
import { ok, rpcError } from '../contract'
import { ClusterOps } from '../clusters/ops/service'
import { createClusterHandlers } from './clusters/handlers'
import { controlPlaneStatus } from '../clusters/control-plane'
import { clusterDir, readRecord } from '../clusters/state'
import { CodedError } from '../contract/errors'
import { createLogHandlers, LogStreams } from './logs'
import { createLabHandlers, LabService } from './labs'
import { ClusterManager } from '../clusters'
import { projectRoot } from '../cli/project'
import { createPortForwardHandlers, PortForwardService } from './portforward'
import { createResourceBackend } from './resources'
import { createTerminalHandlers } from './terminals/handlers'
import { TerminalService } from './terminals/service'

/** What the backend needs to know about the process hosting it. */
export interface BackendContext {
  mode: AppMode
  version: string
  env?: NodeJS.ProcessEnv
}

/** One request's implementation: validate the raw params, then run. */
export interface Handler<K extends RequestName> {
  parse(raw: unknown): Reply<ParamsOf<K>>
  run(params: ParamsOf<K>): Promise<ResultOf<K>>
}

export type Handlers = { [K in RequestName]: Handler<K> }

/** Parser for requests without params: absent (undefined/null) is the only accepted value. */
export function noParams(name: RequestName): (raw: unknown) => Reply<void> {
  return (raw) => (raw === undefined || raw === null ? ok(undefined) : rpcError('bad_params', `${name} takes no params, got ${typeof raw}`))
}

/** Every concern's handlers plus what must be released on shutdown (PTYs, watches, streams). */
export interface Services {
  handlers: Handlers
  clusters: ClusterOps
  terminals: TerminalService
  portForwards: PortForwardService
  close(): Promise<void>
}

/**
 * Builds each concern (clusters, terminals, resources, logs) and joins their handlers. A concern
 * added to the contract without handlers here is a compile error, by the `Handlers` type.
 */
export function createServices(ctx: BackendContext, publish: (message: EventMessage) => void): Services {
  const env = ctx.env ?? process.env
  // Resolved per call so a changed KUBELAB_HOME (tests, `kubelab --home`) is honoured.
  // One cluster manager for the whole backend; it resolves KUBELAB_HOME on every call so a
  // changed KUBELAB_HOME (tests, `kubelab --home`) is honoured.
  const manager = new ClusterManager({ env })
  const home = (): string => manager.home
  const clusters = new ClusterOps({ env, manager, publish })
  clusters.watchOutside()
  const terminals = new TerminalService({ env, manager, publish })
  const portForwards = new PortForwardService({ home, publish })
  const resources = createResourceBackend({ home, publish: (batch) => publish({ name: 'resources.batch', payload: batch }) })
  const logStreams = new LogStreams({
    connections: resources.connections,
    onData: (data) => publish({ name: 'logs.data', payload: data }),
    onEnd: (end) => publish({ name: 'logs.end', payload: end }),
  })
  const handlers: Handlers = {
    'app.info': {
      parse: noParams('app.info'),
      run: async (): Promise<AppInfo> => ({
        version: ctx.version,
        platform: process.platform,
        node: process.version,
        mode: ctx.mode,
      }),
    },
    ...createClusterHandlers(clusters, async (name) => {
      const rec = readRecord(clusterDir(manager.home, name))
      if (!rec) throw new CodedError('not_found', `no cluster named ${name}`)
      return controlPlaneStatus(resources.connections.client(name), rec.settings.store === 'etcd')
    }),
    ...createTerminalHandlers(terminals),
    ...resources.handlers,
    ...createLogHandlers(logStreams, resources.connections),
    ...createPortForwardHandlers(portForwards),
    ...createLabHandlers(new LabService({ manager, projectRoot, publish })),
  }
  return {
    handlers,
    clusters,
    terminals,
    portForwards,
    async close() {
      clusters.stopWatching()
      terminals.closeAll()
      portForwards.closeAll()
      logStreams.closeAll()
      resources.close()
    },
  }
}

/** The handlers alone, for callers that publish no events (tests, tools). */
export function createHandlers(ctx: BackendContext): Handlers {
  const services = createServices(ctx, () => {})
  services.clusters.stopWatching() // nobody listens for events
  return services.handlers
}
