// The contract over WebSocket (browser mode, `kubelab serve`). Same interface as the preload's
// window.kubelab, so the rest of the renderer cannot tell the two apart.
import type { EventListener, EventName, KubelabBridge, Reply, RequestName, ResultOf, WsClientFrame, WsServerFrame } from '@contract'
import { isEventName, isRequestName, rpcError } from '@contract'

export interface WsBridgeOptions {
  /** How long a request may wait for its reply before it fails with code `timeout`. */
  requestTimeoutMs?: number
  /** Longest pause between reconnect attempts. */
  maxReconnectDelayMs?: number
  /** Injected in tests; the browser's WebSocket otherwise. */
  createSocket?: (url: string) => WebSocket
}

interface Pending {
  resolve: (reply: Reply<unknown>) => void
  timer: ReturnType<typeof setTimeout>
}

export interface WsBridge extends KubelabBridge {
  /** Closes the socket for good: no reconnects; pending and later requests fail. */
  close(): void
}

export function createWsBridge(url: string, options: WsBridgeOptions = {}): WsBridge {
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const maxDelay = options.maxReconnectDelayMs ?? 10_000
  const createSocket = options.createSocket ?? ((u: string) => new WebSocket(u))
  const pending = new Map<number, Pending>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const outgoing: WsClientFrame[] = []
  let nextId = 1
  let socket: WebSocket | null = null
  let open = false
  let wantsEvents = false
  let reconnectDelay = 500
  let closed = false
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined

  const flush = (): void => {
    while (open && socket && outgoing.length > 0) socket.send(JSON.stringify(outgoing.shift()))
  }

  const settle = (id: number, reply: Reply<unknown>): void => {
    const p = pending.get(id)
    if (!p) return
    pending.delete(id)
    clearTimeout(p.timer)
    p.resolve(reply)
  }

  const onFrame = (data: unknown): void => {
    if (typeof data !== 'string') return
    let frame: WsServerFrame
    try {
      frame = JSON.parse(data) as WsServerFrame
    } catch {
      return // not ours; the server only sends JSON
    }
    if (frame.type === 'reply') settle(frame.id, frame.reply)
    else if (frame.type === 'event' && isEventName(frame.name)) {
      for (const l of listeners.get(frame.name) ?? []) l(frame.payload)
    }
  }

  const connect = (): void => {
    reconnectTimer = undefined
    const ws = createSocket(url)
    socket = ws
    ws.onopen = () => {
      open = true
      reconnectDelay = 500
      // The server keeps one event queue per connection: say ready again after a reconnect.
      if (wantsEvents) outgoing.unshift({ type: 'ready' })
      flush()
    }
    ws.onmessage = (ev: MessageEvent) => onFrame(ev.data)
    // A failed connection reports `error` then `close`; close does the handling.
    ws.onerror = () => undefined
    ws.onclose = () => {
      open = false
      socket = null
      // No request will be answered across a reconnect: fail them all now, sent or queued, so
      // the UI shows the problem at once instead of waiting for a timeout.
      outgoing.length = 0
      for (const [id] of pending) {
        settle(id, rpcError('disconnected', `lost the connection to the KubeLab backend at ${url}; is it still running?`))
      }
      if (closed) return
      reconnectTimer = setTimeout(connect, reconnectDelay)
      reconnectDelay = Math.min(reconnectDelay * 2, maxDelay)
    }
  }

  const ensureSocket = (): void => {
    if (!socket && !closed && reconnectTimer === undefined) connect()
  }

  return {
    request<K extends RequestName>(name: K, ...args: unknown[]): Promise<Reply<ResultOf<K>>> {
      if (!isRequestName(name)) {
        return Promise.resolve(rpcError('unknown_request', `unknown request ${String(name)}`))
      }
      if (closed) return Promise.resolve(rpcError('closed', 'the connection to the KubeLab backend was closed'))
      ensureSocket()
      const id = nextId++
      return new Promise<Reply<ResultOf<K>>>((resolve) => {
        const timer = setTimeout(() => settle(id, rpcError('timeout', `${name} got no reply within ${timeoutMs / 1000} s from ${url}`)), timeoutMs)
        pending.set(id, { resolve: resolve as (r: Reply<unknown>) => void, timer })
        outgoing.push({ type: 'request', id, name, params: args[0] })
        flush()
      })
    },
    on<K extends EventName>(name: K, listener: EventListener<K>): () => void {
      if (!isEventName(name)) throw new Error(`unknown event ${String(name)}: not in the contract`)
      const set = listeners.get(name) ?? new Set()
      const wrapped = listener as (payload: unknown) => void
      set.add(wrapped)
      listeners.set(name, set)
      return () => set.delete(wrapped)
    },
    ready(): void {
      if (wantsEvents) return
      wantsEvents = true
      // When not yet open, onopen sends it (and again after every reconnect).
      if (open && socket) socket.send(JSON.stringify({ type: 'ready' } satisfies WsClientFrame))
      else ensureSocket()
    },
    close(): void {
      closed = true
      clearTimeout(reconnectTimer)
      socket?.close()
    },
  }
}
