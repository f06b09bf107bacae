// A byte stream over a WebSocket's binary messages: what kubectl's port-forward tunnel is
// (SPDY bytes split across messages at arbitrary points).
import { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

export class WebSocketDuplex extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false })
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.destroy(new Error('text message in a binary tunnel: the peer must send binary WebSocket messages'))
        return
      }
      if (!this.push(toBuffer(data))) ws.pause()
    })
    ws.on('close', () => this.push(null))
    ws.on('error', (e: Error) => this.destroy(e))
  }

  override _read(): void {
    this.ws.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb(new Error('WebSocket is closed'))
      return
    }
    this.ws.send(chunk, { binary: true }, (err) => cb(err ?? null))
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000)
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.terminate()
    cb(err)
  }
}
