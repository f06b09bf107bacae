import type { AppInfo, AppMode, ParamsOf, Reply, RequestName, ResultOf } from '../contract';
import { ok, rpcError } from '../contract';
import { listClusters } from './clusters';
import { kubelabHome } from './paths';

/** What the backend needs to know about the process hosting it. */
export interface BackendContext {
  mode: AppMode;
  version: string;
  env?: NodeJS.ProcessEnv;
}

/** One request's implementation: validate the raw params, then run. */
export interface Handler<K extends RequestName> {
  parse(raw: unknown): Reply<ParamsOf<K>>;
  run(params: ParamsOf<K>): Promise<ResultOf<K>>;
}

export type Handlers = { [K in RequestName]: Handler<K> };

/** Parser for requests without params: absent (undefined/null) is the only accepted value. */
export function noParams(name: RequestName): (raw: unknown) => Reply<void> {
  return (raw) =>
    raw === undefined || raw === null
      ? ok(undefined)
      : rpcError('bad_params', `${name} takes no params, got ${typeof raw}`);
}

export function createHandlers(ctx: BackendContext): Handlers {
  const env = ctx.env ?? process.env;
  return {
    'app.info': {
      parse: noParams('app.info'),
      run: async (): Promise<AppInfo> => ({
        version: ctx.version,
        platform: process.platform,
        node: process.version,
        mode: ctx.mode,
      }),
    },
    'clusters.list': {
      parse: noParams('clusters.list'),
      // Resolved per call so a changed KUBELAB_HOME (tests, `kubelab --home`) is honoured.
      run: () => listClusters(kubelabHome(env)),
    },
  };
}
