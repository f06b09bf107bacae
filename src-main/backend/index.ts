import type { EventMessage, Reply, WireEvent } from '../contract'
import type { CallLogger } from './dispatch'
import { dispatch } from './dispatch'
import type { BackendContext, Handlers } from './handlers'
import { createServices } from './handlers'

export type { BackendContext, Handler, Handlers, Services } from './handlers'
export { EventOutbox } from './outbox'
export { kubelabHome } from '../clusters/paths'

/** The backend as the adapters see it: one request entry point and one event stream. */
export interface Backend {
  request(name: unknown, params: unknown): Promise<Reply<unknown>>
  /** Subscribes to every backend event; returns the unsubscribe function. */
  subscribe(listener: (message: WireEvent) => void): () => void
  /** Publishes an event to every subscriber (adapters forward it to their renderers). */
  publish(message: EventMessage): void
  /** Releases terminals, watches and streams (app quit, server stop). Clusters keep running. */
  close(): Promise<void>
}

export interface BackendOptions extends BackendContext {
  log?: CallLogger
  handlers?: Handlers
}

export function createBackend(options: BackendOptions): Backend {
  const listeners = new Set<(message: WireEvent) => void>()
  const publish = (message: EventMessage): void => {
    for (const l of listeners) l(message)
  }
  const services = options.handlers ? null : createServices(options, publish)
  const handlers = options.handlers ?? services!.handlers
  return {
    request: (name, params) => dispatch(handlers, name, params, options.log),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    publish,
    close: async () => services?.close(),
  }
}
