// A small local control API for a simulated-nodes process, so the `kubelab` CLI can stop and
// start single nodes (simulating a node failure): plain HTTP on a unix socket in the cluster's
// data dir (reachable only by its owner) or on a loopback port.
//   GET  /nodes                 → { nodes: [{ name, running }] }
//   POST /nodes/NAME/stop|start → { name, running }
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { existsSync, unlinkSync } from 'node:fs'

export interface NodeControl {
  nodes(): { name: string; running: boolean }[]
  stopNode(name: string): void
  startNode(name: string): void
}

/** A unix socket path, or "127.0.0.1:PORT" / "PORT" for TCP on loopback. */
export type ControlAddress = string

export interface ControlServer {
  /** The address clients use: the socket path or 127.0.0.1:PORT. */
  readonly address: ControlAddress
  close(): Promise<void>
}

function tcpPort(addr: string): number | undefined {
  const m = /^(?:127\.0\.0\.1:)?(\d{1,5})$/.exec(addr)
  return m ? Number(m[1]) : undefined
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

export async function startControlServer(control: NodeControl, address: ControlAddress): Promise<ControlServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method === 'GET' && path === '/nodes') return reply(res, 200, { nodes: control.nodes() })
    const m = /^\/nodes\/([^/]+)\/(stop|start)$/.exec(path)
    if (req.method === 'POST' && m) {
      const name = decodeURIComponent(m[1]!)
      const node = control.nodes().find((n) => n.name === name)
      if (!node)
        return reply(res, 404, {
          error: `node ${name} is not simulated here; known nodes: ${control
            .nodes()
            .map((n) => n.name)
            .join(', ')}`,
        })
      if (m[2] === 'stop') control.stopNode(name)
      else control.startNode(name)
      return reply(
        res,
        200,
        control.nodes().find((n) => n.name === name),
      )
    }
    reply(res, 404, { error: `no such endpoint ${req.method} ${path}: use GET /nodes or POST /nodes/NAME/stop|start` })
  })
  const port = tcpPort(address)
  if (port === undefined && existsSync(address)) unlinkSync(address) // a socket left by a killed process
  const bound = await new Promise<string>((resolve, reject) => {
    server.once('error', reject)
    if (port !== undefined) server.listen(port, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`))
    else server.listen(address, () => resolve(address))
  })
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Calls a control API; rejects with a message naming the address when nothing answers. */
export function controlRequest<T>(address: ControlAddress, method: 'GET' | 'POST', path: string, timeoutMs = 10_000): Promise<T> {
  const port = tcpPort(address)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...(port !== undefined ? { host: '127.0.0.1', port } : { socketPath: address }), method, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = { error: text }
        }
        if (res.statusCode !== 200) reject(new Error((body as { error?: string }).error ?? `control API answered ${res.statusCode}`))
        else resolve(body as T)
      })
    })
    req.on('timeout', () => req.destroy(new Error(`the simulated-nodes control API at ${address} did not answer within ${timeoutMs} ms`)))
    req.on('error', (e) => reject(new Error(`cannot reach the simulated-nodes control API at ${address} (${e.message}): is the cluster running?`)))
    req.end()
  })
}
