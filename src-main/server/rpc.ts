// The contract over WebSocket at /rpc: request frames get reply frames; backend events are queued
// per connection until the page sends `ready`.
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { WireEvent, WsClientFrame, WsServerFrame } from '../contract'
import { wsPath } from '../contract'
import type { Backend } from '../backend'
import { EventOutbox } from '../backend/outbox'

const maxFrameBytes = 1024 * 1024

export interface RpcEndpoint {
  /** Closes every connection; the HTTP server is closed by its owner. */
  close(): Promise<void>
}

/**
 * Accepts WebSocket upgrades on /rpc. `isAllowedRequest` guards against other web pages in the
 * user's browser (Origin) and DNS rebinding (Host): the backend can reach the whole machine.
 */
export function attachRpc(server: Server, backend: Backend, isAllowedRequest: (req: IncomingMessage) => boolean): RpcEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes })

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path !== wsPath) return reject(socket, 404, 'Not Found')
    if (!isAllowedRequest(req)) return reject(socket, 403, 'Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, backend))
  }
  server.on('upgrade', onUpgrade)

  return {
    close: () =>
      new Promise<void>((done) => {
        server.off('upgrade', onUpgrade)
        for (const ws of wss.clients) ws.terminate()
        wss.close(() => done())
      }),
  }
}

function serveConnection(ws: WebSocket, backend: Backend): void {
  const send = (frame: WsServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
  }
  const outbox = new EventOutbox<WireEvent>((m) => send({ type: 'event', name: m.name, payload: m.payload }))
  const unsubscribe = backend.subscribe((m) => outbox.push(m))
  ws.on('close', unsubscribe)

  ws.on('message', (data, isBinary) => {
    const frame = isBinary ? null : parseFrame(data.toString())
    if (!frame) {
      ws.close(1007, 'expected a JSON request or ready frame')
      return
    }
    if (frame.type === 'ready') {
      outbox.markReady()
      return
    }
    void backend.request(frame.name, frame.params).then((reply) => send({ type: 'reply', id: frame.id, reply }))
  })
}

export function parseFrame(text: string): WsClientFrame | null {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof v !== 'object' || v === null) return null
  const f = v as Record<string, unknown>
  if (f.type === 'ready') return { type: 'ready' }
  if (f.type === 'request' && Number.isSafeInteger(f.id) && typeof f.name === 'string') {
    return { type: 'request', id: f.id as number, name: f.name, params: f.params }
  }
  return null
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
