// Browser mode: the built renderer over HTTP and the contract over WebSocket, on one port.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Backend } from '../backend'
import { attachRpc } from './rpc'
import { serveStatic } from './static'

export interface ServerOptions {
  backend: Backend
  /** Folder with the built renderer (index.html + assets), normally out/renderer. */
  rendererDir: string
  /** Defaults to 127.0.0.1: the backend can create VMs and read keys, so it stays local. */
  host?: string
  /** 0 picks a free port. */
  port: number
  /** The per-launch secret (generated when absent): without it nothing can drive the backend. */
  token?: string
}

export interface RunningServer {
  /** Base URL (static files resolve against it). */
  url: string
  /** What a user opens: the base URL with the per-launch token, which the page trades for a cookie. */
  launchUrl: string
  token: string
  port: number
  host: string
  close(): Promise<void>
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  if (!existsSync(join(options.rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(options.rendererDir, 'index.html')} is missing); run \`npm run build\``)
  }
  const token = options.token ?? randomBytes(24).toString('base64url')
  // Filled in once listening: the cookie is named after the port, since browsers share cookies
  // between ports of one host and two KubeLab servers must not overwrite each other's.
  let gate: TokenGate | undefined
  const server = createServer((req, res) => {
    // Lets a second `kubelab app` on a taken port recognise a KubeLab (cli/serving-record.ts).
    res.setHeader('X-KubeLab', '1')
    if (gate && !gate.admitPage(req, res)) return
    void serveStatic(options.rendererDir, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await listen(server, host, options.port)
  const port = (server.address() as AddressInfo).port
  gate = new TokenGate(token, port)
  const tokenGate = gate
  const rpc = attachRpc(server, options.backend, (req) => isAllowedRequest(req, host, port) && tokenGate.carries(req))
  // An unspecified bind address is not something a browser can open; loopback reaches it.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const url = `http://${formatHost(urlHost)}:${port}/`

  return {
    url,
    launchUrl: `${url}?token=${encodeURIComponent(token)}`,
    token,
    port,
    host,
    async close() {
      await rpc.close()
      await new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      })
    },
  }
}

/** A listen failure with the system's code (EADDRINUSE: the port is taken). */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new ListenError(`port ${port} on ${host} is already in use; pass --port with another number, or --port 0 for any free port`, err.code))
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new Error(`cannot listen on ${host}: no such local address; pass --host 127.0.0.1`))
      } else {
        reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`))
      }
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Same-origin WebSocket only. On a loopback bind the Host header must name loopback too, which
 * defeats DNS rebinding (a hostile name resolving to 127.0.0.1 would carry its own Host).
 */
export function isAllowedRequest(req: Pick<IncomingMessage, 'headers'>, boundHost: string, port: number): boolean {
  const hostHeader = req.headers.host
  const origin = req.headers.origin
  if (!hostHeader || !origin) return false
  let hostUrl: URL
  let originUrl: URL
  try {
    // Parsed as URLs so default ports compare equal (a browser omits ":80" in Host).
    hostUrl = new URL(`http://${hostHeader}`)
    originUrl = new URL(origin)
  } catch {
    return false
  }
  if (originUrl.host !== hostUrl.host) return false
  if (isLoopback(boundHost)) {
    return loopbackNames.has(hostUrl.hostname) && Number(hostUrl.port || 80) === port
  }
  return true
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * The per-launch secret, as Jupyter and VS Code's server do it: the launch URL carries it once,
 * the server trades it for an HttpOnly, SameSite=Strict cookie and drops it from the address
 * bar. Origin and Host checks stop other web pages; this stops other local programs and users,
 * which can send any header they like but cannot know the secret.
 */
class TokenGate {
  readonly cookieName: string
  private readonly secret: Buffer

  constructor(token: string, port: number) {
    this.secret = Buffer.from(token)
    this.cookieName = `kubelab-token-${port}`
  }

  private matches(candidate: string | undefined): boolean {
    if (!candidate) return false
    const b = Buffer.from(candidate)
    return b.length === this.secret.length && timingSafeEqual(b, this.secret)
  }

  private cookie(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq > 0 && part.slice(0, eq).trim() === this.cookieName) return decodeURIComponent(part.slice(eq + 1).trim())
    }
    return undefined
  }

  /** For the RPC socket: the cookie, or `?token=` for programs that hold the launch URL. */
  carries(req: IncomingMessage): boolean {
    if (this.matches(this.cookie(req))) return true
    return this.matches(new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined)
  }

  /**
   * For page loads: `?token=` becomes the cookie (then a redirect without it); the app page
   * itself needs the cookie, so a tokenless visit gets words instead of an app that cannot
   * connect. Scripts, styles and images are the public build and need nothing.
   */
  admitPage(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const offered = url.searchParams.get('token')
    if (offered !== null) {
      if (!this.matches(offered)) {
        refuse(res, 'This KubeLab link has an old or wrong token. Open the link that `kubelab serve` (or `npm start`) printed when it started.')
        return false
      }
      url.searchParams.delete('token')
      res.writeHead(303, {
        'Set-Cookie': `${this.cookieName}=${encodeURIComponent(this.secret.toString())}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
        'Cache-Control': 'no-store',
      })
      res.end()
      return false
    }
    const isPage = url.pathname === '/' || url.pathname.endsWith('.html')
    if (isPage && !this.matches(this.cookie(req))) {
      refuse(res, 'KubeLab needs the link with its token: open the URL that `kubelab serve` (or `npm start`) printed in its terminal.')
      return false
    }
    return true
  }
}

function refuse(res: ServerResponse, text: string): void {
  res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(`${text}\n`)
}
