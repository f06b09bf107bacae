// Connecting a client's stream session to the runtime's streaming server. Toward the runtime we
// always speak SPDY (v4 channel protocol, or portforward.k8s.io): it is the only protocol of
// containerd 1.6 that can signal end of stdin. Clients arrive with WebSocket v5/v4 (translated
// here) or SPDY (relayed stream by stream).
import type { WebSocket } from 'ws'
import {
  CHANNEL,
  decodeFrame,
  encodeFrame,
  errorStatus,
  openStream,
  streamHeaders,
  type SpdyConnection,
  type SpdyDialResult,
  type SpdyStream,
} from '../../streaming'
import type { StreamOptions } from './types'

/** The runtime side of one exec/attach: the SPDY streams by type. */
export interface RuntimeExecStreams {
  readonly dial: SpdyDialResult
  readonly error: SpdyStream
  readonly stdin?: SpdyStream
  readonly stdout?: SpdyStream
  readonly stderr?: SpdyStream
  readonly resize?: SpdyStream
}

/** Opens the streams client-go's v4 SPDY executor opens, in its order (error first). */
export async function openRuntimeExecStreams(dial: SpdyDialResult, opts: StreamOptions): Promise<RuntimeExecStreams> {
  const open = (type: string) => openStream(dial.conn, { streamtype: type })
  const error = await open('error')
  const stdin = opts.stdin ? await open('stdin') : undefined
  const stdout = opts.stdout ? await open('stdout') : undefined
  const stderr = opts.stderr && !opts.tty ? await open('stderr') : undefined
  const resize = opts.tty ? await open('resize') : undefined
  return { dial, error, stdin, stdout, stderr, resize }
}

function ended(s: SpdyStream | undefined): Promise<void> {
  if (!s) return Promise.resolve()
  return new Promise((resolve) => {
    if (s.readableEnded) return resolve()
    s.once('end', resolve)
    s.once('close', resolve)
    s.once('error', () => resolve())
  })
}

const CLOSE_AFTER_STATUS_MS = 20

/**
 * Joins a client's WebSocket (v5 or v4 channel protocol) to the runtime's SPDY streams. The
 * client sees stdout/stderr, then the runtime's Status on the error channel, then close 1000.
 */
export function bridgeWebSocketToSpdy(ws: WebSocket, rt: RuntimeExecStreams, log: (l: string) => void): void {
  let finished = false
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(channel, data), { binary: true })
  }
  const finish = (status: string) => {
    if (finished) return
    finished = true
    rt.dial.socket.destroy()
    if (ws.readyState !== ws.OPEN) return
    // The close frame goes out a moment after the status: a client that polls the socket and
    // then reads one TLS record at a time (the Python client up to v30) would otherwise find
    // the close frame already buffered with the status, never see it, and hang until the close
    // handshake times out (30 s).
    ws.send(encodeFrame(CHANNEL.error, status), { binary: true }, () => {
      const t = setTimeout(() => ws.readyState === ws.OPEN && ws.close(1000), CLOSE_AFTER_STATUS_MS)
      t.unref()
    })
  }
  rt.stdout?.on('data', (d: Buffer) => send(CHANNEL.stdout, d))
  rt.stderr?.on('data', (d: Buffer) => send(CHANNEL.stderr, d))
  const errChunks: Buffer[] = []
  rt.error.on('data', (d: Buffer) => errChunks.push(d))
  for (const s of [rt.error, rt.stdin, rt.stdout, rt.stderr, rt.resize]) s?.on('error', (e: Error) => log(`kubelet: runtime stream: ${e.message}`))

  void Promise.all([ended(rt.error), ended(rt.stdout), ended(rt.stderr)]).then(() => {
    const text = Buffer.concat(errChunks).toString('utf8').trim()
    if (!text) return finish(JSON.stringify({ metadata: {}, status: 'Success' }))
    // v4 writes a JSON Status; anything else is an error message to show.
    try {
      JSON.parse(text)
      finish(text)
    } catch {
      finish(JSON.stringify(errorStatus(text)))
    }
  })
  rt.dial.socket.on('close', () => {
    if (!finished) setTimeout(() => finish(JSON.stringify(errorStatus('the container runtime closed the stream connection'))), 50)
  })

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return
    let frame
    try {
      frame = decodeFrame(data)
    } catch {
      return
    }
    switch (frame.channel) {
      case CHANNEL.stdin:
        if (rt.stdin && !rt.stdin.writableEnded) rt.stdin.write(frame.data)
        break
      case CHANNEL.resize:
        if (rt.resize && !rt.resize.writableEnded) rt.resize.write(frame.data)
        break
      case CHANNEL.close:
        if (frame.data[0] === CHANNEL.stdin && rt.stdin && !rt.stdin.writableEnded) rt.stdin.end()
        break
    }
  })
  ws.on('close', () => {
    finished = true
    rt.dial.socket.destroy()
  })
  ws.on('error', (e: Error) => log(`kubelet: client WebSocket: ${e.message}`))
}

/**
 * Relays a client's SPDY session to the runtime's, stream by stream with the same headers
 * (exec fallback and port-forward). Each client stream gets its reply once the runtime
 * replied to the matching one, so failures show up where the client waits for them.
 */
export function relaySpdy(
  client: SpdyConnection,
  clientSocket: { destroy(): void; on(ev: 'close', cb: () => void): unknown },
  runtime: SpdyDialResult,
  log: (l: string) => void,
): void {
  const close = () => {
    clientSocket.destroy()
    runtime.socket.destroy()
  }
  clientSocket.on('close', close)
  runtime.socket.on('close', close)
  client.on('error', (e: Error) => log(`kubelet: client SPDY: ${e.message}`))
  runtime.conn.on('error', (e: Error) => log(`kubelet: runtime SPDY: ${e.message}`))
  client.on('stream', (s: SpdyStream) => {
    const headers = streamHeaders(s)
    s.on('error', () => {})
    openStream(runtime.conn, headers).then(
      (r) => {
        r.on('error', () => {})
        s.respond(200, {})
        s.pipe(r)
        r.pipe(s)
      },
      (e: Error) => {
        log(`kubelet: ${e.message}`)
        s.abort()
      },
    )
  })
}
