// The WebSocket channel framing, the SPDY handshake (client and server in-process, with the
// spdy-transport patches), the WebSocket byte tunnel, and CRI log parsing/tailing.
import { once } from 'node:events'
import { createServer, connect, type Server } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { criLogTime, formatLogTime, parseCriLogLine, renderEntry } from '../../src-cluster/kubelet/server/cri-log'
import { parseLogQuery, tailEntries } from '../../src-cluster/kubelet/server/logs'
import { parseStreamPath, streamOptions } from '../../src-cluster/kubelet/server/server'
import {
  decodeFrame,
  encodeFrame,
  encodeResize,
  exitCodeOf,
  exitStatus,
  negotiateStreamProtocol,
  openStream,
  parseResize,
  spdyClient,
  spdyServer,
  streamHeaders,
  WebSocketDuplex,
  type SpdyStream,
} from '../../src-cluster/streaming'

describe('channel framing', () => {
  it('prefixes the channel byte and splits it off again', () => {
    const f = encodeFrame(1, 'hi')
    expect([...f]).toEqual([1, 0x68, 0x69])
    expect(decodeFrame(f)).toEqual({ channel: 1, data: Buffer.from('hi') })
    expect(decodeFrame(encodeFrame(255, Buffer.from([0])))).toEqual({ channel: 255, data: Buffer.from([0]) })
    expect(() => decodeFrame(Buffer.alloc(0))).toThrow(/channel byte/)
  })

  it('reads resize messages, several per frame too', () => {
    expect(parseResize('{"Width":100,"Height":30}\n{"Width":80,"Height":24}\n')).toEqual([
      { width: 100, height: 30 },
      { width: 80, height: 24 },
    ])
    expect(parseResize(encodeResize({ width: 5, height: 6 }))).toEqual([{ width: 5, height: 6 }])
    expect(() => parseResize('{"Width":"x"}')).toThrow(/Width and Height/)
  })

  it('writes exit statuses as client-go reads them', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' })
    const s = exitStatus(7)
    expect(s).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } })
    expect(exitCodeOf(s)).toBe(7)
    expect(exitCodeOf(exitStatus(0))).toBe(0)
    expect(exitCodeOf({ metadata: {}, status: 'Failure', message: 'boom' })).toBeUndefined()
  })

  it('negotiates X-Stream-Protocol-Version', () => {
    expect(negotiateStreamProtocol('v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io', ['v4.channel.k8s.io', 'v3.channel.k8s.io'])).toBe(
      'v4.channel.k8s.io',
    )
    expect(negotiateStreamProtocol(['portforward.k8s.io'], ['portforward.k8s.io'])).toBe('portforward.k8s.io')
    expect(negotiateStreamProtocol('v9', ['v4.channel.k8s.io'])).toBeUndefined()
  })
})

function collect(s: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let out = ''
    s.on('data', (d: Buffer) => (out += d))
    s.on('end', () => resolve(out))
  })
}

async function spdyPair(
  wrap: (server: Server) => Promise<import('node:stream').Duplex>,
): Promise<{ got: Promise<{ headers: Record<string, string>; body: string }[]>; clientSocket: import('node:stream').Duplex }> {
  const received: Promise<{ headers: Record<string, string>; body: string }>[] = []
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  const server = createServer((sock) => {
    const conn = spdyServer(sock)
    conn.on('stream', (s: SpdyStream) => {
      s.respond(200, {})
      // Echo back upper-cased, then end: both directions of a stream work and half-close.
      received.push(
        collect(s).then((body) => {
          s.end(body.toUpperCase())
          return { headers: streamHeaders(s), body }
        }),
      )
      if (received.length === 2) done()
    })
  })
  const clientSocket = await wrap(server)
  return { got: all.then(() => Promise.all(received)), clientSocket }
}

describe('SPDY/3.1 between our client and server', () => {
  it('opens streams without pseudo-headers, replies, carries data both ways past the 64 KiB window', async () => {
    let srv!: Server
    const { got, clientSocket } = await spdyPair(async (server) => {
      srv = server
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
      const s = connect((server.address() as { port: number }).port, '127.0.0.1')
      await once(s, 'connect')
      return s
    })
    const client = spdyClient(clientSocket)
    const big = 'y'.repeat(300_000)
    const a = await openStream(client, { streamtype: 'error', requestid: '0' })
    const b = await openStream(client, { streamtype: 'data', port: '80', requestid: '0' })
    const backA = collect(a)
    const backB = collect(b)
    a.end('small')
    b.end(big)
    const res = await got
    expect(res.map((r) => r.headers)).toEqual([
      { streamtype: 'error', requestid: '0' },
      { streamtype: 'data', port: '80', requestid: '0' },
    ])
    expect(res[1]!.body.length).toBe(300_000)
    expect(await backA).toBe('SMALL')
    expect((await backB).length).toBe(300_000)
    clientSocket.destroy()
    srv.close()
  })

  it('runs inside WebSocket binary messages (the port-forward tunnel)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await once(wss, 'listening')
    const streams: Promise<string>[] = []
    wss.on('connection', (ws) => {
      const conn = spdyServer(new WebSocketDuplex(ws))
      conn.on('stream', (s: SpdyStream) => {
        s.respond(200, {})
        streams.push(collect(s))
      })
    })
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`)
    await once(ws, 'open')
    const client = spdyClient(new WebSocketDuplex(ws))
    const s = await openStream(client, { streamtype: 'data', port: '8080', requestid: '1' })
    s.end('through the tunnel')
    while (streams.length === 0) await new Promise((r) => setTimeout(r, 10))
    expect(await streams[0]).toBe('through the tunnel')
    ws.close()
    wss.close()
  })
})

describe('CRI log files', () => {
  const line = (i: number, tag: 'P' | 'F', text: string) => `2026-01-01T00:00:0${i}.120000000Z stdout ${tag} ${text}`

  it('parses entries and renders them as kubectl shows them', () => {
    const e = parseCriLogLine('2026-01-01T00:00:00.123456789Z stderr F hello world')!
    expect(e).toMatchObject({ stream: 'stderr', partial: false, text: 'hello world', ms: Date.UTC(2026, 0, 1, 0, 0, 0, 123) })
    expect(renderEntry(e, false)).toBe('hello world\n')
    expect(renderEntry(e, true)).toBe('2026-01-01T00:00:00.123456789Z hello world\n')
    expect(renderEntry(parseCriLogLine(line(1, 'P', 'part'))!, false)).toBe('part')
    expect(parseCriLogLine('2026-01-01T00:00:00Z stdout F')!.text).toBe('')
    expect(parseCriLogLine('garbage line')).toBeUndefined()
    expect(formatLogTime('2026-01-01T00:00:00.120000000Z')).toBe('2026-01-01T00:00:00.12Z')
    expect(formatLogTime('2026-01-01T00:00:00.000000000Z')).toBe('2026-01-01T00:00:00Z')
    expect(criLogTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 5)), 7)).toBe('2026-01-01T00:00:00.005000007Z')
  })

  it('tails by lines, keeping partial entries with their line', () => {
    const es = [line(1, 'F', 'a'), line(2, 'P', 'b1'), line(3, 'F', 'b2'), line(4, 'P', 'c')].map((l) => parseCriLogLine(l)!)
    expect(tailEntries(es, 1).map((e) => e.text)).toEqual(['c'])
    expect(tailEntries(es, 2).map((e) => e.text)).toEqual(['b1', 'b2', 'c'])
    expect(tailEntries(es, 10).map((e) => e.text)).toEqual(['a', 'b1', 'b2', 'c'])
    expect(tailEntries(es, 0)).toEqual([])
  })

  it('reads the log query', () => {
    const o = parseLogQuery(new URLSearchParams('follow=true&tailLines=5&sinceSeconds=10&timestamps=true&limitBytes=100'), () => 1_000_000)
    expect(o).toEqual({ follow: true, tailLines: 5, sinceMs: 990_000, timestamps: true, limitBytes: 100 })
    expect(() => parseLogQuery(new URLSearchParams('tailLines=-1'))).toThrow(/tailLines/)
    expect(() => parseLogQuery(new URLSearchParams('sinceTime=yesterday'))).toThrow(/sinceTime/)
  })
})

describe('kubelet streaming paths', () => {
  it('parses exec, attach and portForward paths and flags', () => {
    expect(parseStreamPath('/exec/default/p1/app')).toMatchObject({ kind: 'exec', container: { namespace: 'default', pod: 'p1', container: 'app' } })
    expect(parseStreamPath('/attach/ns/p/uid-1/c')).toMatchObject({ kind: 'attach', container: { uid: 'uid-1', container: 'c' } })
    expect(parseStreamPath('/portForward/ns/p')).toMatchObject({ kind: 'portForward', pod: { namespace: 'ns', pod: 'p' } })
    expect(parseStreamPath('/exec/ns')).toBeUndefined()
    expect(streamOptions(new URLSearchParams('input=1&output=1&tty=1'))).toEqual({ stdin: true, stdout: true, stderr: false, tty: true })
    expect(streamOptions(new URLSearchParams('stdin=true&stderr=true'))).toEqual({ stdin: true, stdout: false, stderr: true, tty: false })
  })
})
