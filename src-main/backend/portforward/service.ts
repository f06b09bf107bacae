// Every port-forward of the app: a TCP listener on 127.0.0.1 per forward; each accepted
// connection is carried over the forward's SPDY connection to the API server (re-dialled when
// it has dropped). The tunnel is dialled once at start so a refused forward (pod not running,
// simulated node) is an error value at once, not a silent dead port.
import { existsSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { createClient, loadKubeconfig, type ClientConfig } from '../../../src-cluster/client'
import type { EventMessage, PortForwardInfo, PortForwardParams, PortForwardStarted } from '../../contract'
import { checkClusterName, clusterDir } from '../../clusters/state'
import { CodedError } from '../../contract/errors'
import { resolveTarget } from './target'
import { dialPortForward, type ForwardTunnel } from './tunnel'

export interface PortForwardServiceOptions {
  home: () => string
  publish: (message: EventMessage) => void
}

interface Forward {
  info: PortForwardInfo
  config: ClientConfig
  server: Server
  tunnel: ForwardTunnel | null
  /** A dial in progress, shared by connections that arrive while it runs. */
  dialing: Promise<ForwardTunnel> | null
  sockets: Set<Socket>
}

export class PortForwardService {
  private readonly forwards = new Map<string, Forward>()
  private seq = 0

  constructor(private readonly opts: PortForwardServiceOptions) {}

  list(): PortForwardInfo[] {
    return [...this.forwards.values()].map((f) => ({ ...f.info }))
  }

  async start(params: PortForwardParams): Promise<PortForwardStarted> {
    const config = { ...loadKubeconfig(this.kubeconfigOf(params.cluster)), userAgent: 'kubelab-desktop' }
    const client = createClient(config)
    let target
    try {
      target = await resolveTarget(client, params.namespace, params.kind, params.name, params.port)
    } finally {
      client.close()
    }
    const tunnel = await dialPortForward(config, params.namespace, target.pod)
    let server: Server
    try {
      server = await listen(params.localPort ?? 0)
    } catch (e) {
      tunnel.close()
      throw e
    }
    const localPort = (server.address() as { port: number }).port
    const id = `pf-${++this.seq}`
    const url = `http://127.0.0.1:${localPort}/`
    const f: Forward = {
      info: {
        id,
        cluster: params.cluster,
        namespace: params.namespace,
        kind: params.kind,
        name: params.name,
        port: params.port,
        pod: target.pod,
        podPort: target.podPort,
        localPort,
        url,
        connections: 0,
        active: 0,
        lastError: null,
      },
      config,
      server,
      tunnel,
      dialing: null,
      sockets: new Set(),
    }
    server.on('connection', (s) => this.carry(f, s))
    this.forwards.set(id, f)
    this.changed()
    return { id, localPort, url }
  }

  stop(id: string): void {
    const f = this.forwards.get(id)
    if (!f) throw new CodedError('not_found', `no port-forward ${id}; it was stopped or belongs to an earlier run`)
    this.forwards.delete(id)
    this.shut(f)
    this.changed()
  }

  /** Stops every forward (backend shutdown). */
  closeAll(): void {
    for (const f of this.forwards.values()) this.shut(f)
    this.forwards.clear()
  }

  private shut(f: Forward): void {
    f.server.close()
    for (const s of f.sockets) s.destroy()
    f.tunnel?.close()
    f.tunnel = null
  }

  private tunnelOf(f: Forward): Promise<ForwardTunnel> {
    if (f.tunnel && !f.tunnel.closed) return Promise.resolve(f.tunnel)
    f.dialing ??= dialPortForward(f.config, f.info.namespace, f.info.pod)
      .then((t) => {
        if (!this.forwards.has(f.info.id)) t.close()
        else f.tunnel = t
        return t
      })
      .finally(() => {
        f.dialing = null
      })
    return f.dialing
  }

  /** One local connection, piped through a fresh stream pair to the pod port. */
  private carry(f: Forward, socket: Socket): void {
    // Bytes the client sends before the streams exist wait in the socket.
    socket.pause()
    socket.on('error', () => {})
    f.sockets.add(socket)
    f.info.connections++
    f.info.active++
    this.changed()
    let done = false
    const finish = (error: string | null): void => {
      if (done) return
      done = true
      f.sockets.delete(socket)
      f.info.active--
      if (error) f.info.lastError = error
      socket.destroy()
      if (this.forwards.has(f.info.id)) this.changed()
    }
    socket.on('close', () => finish(null))
    this.tunnelOf(f)
      .then((t) => t.open(f.info.podPort))
      .then(({ data, error }) => {
        if (done) {
          data.destroy()
          error.destroy()
          return
        }
        // We never write on the error stream; kubectl half-closes it too.
        error.end()
        let errText = ''
        error.on('data', (d: Buffer) => (errText += d.toString('utf8')))
        error.on('end', () => {
          if (errText) finish(`connection to ${f.info.pod}:${f.info.podPort}: ${errText.trim()}`)
        })
        error.on('error', () => {})
        data.on('error', (e: Error) => finish(`connection to ${f.info.pod}:${f.info.podPort} failed: ${e.message}`))
        data.on('end', () => socket.end())
        data.on('close', () => {
          if (!socket.writableEnded) socket.end()
        })
        socket.on('close', () => data.destroy())
        socket.pipe(data)
        data.pipe(socket)
        socket.resume()
      })
      .catch((e: unknown) => finish(e instanceof Error ? e.message : String(e)))
  }

  private changed(): void {
    this.opts.publish({ name: 'portforward.changed', payload: this.list() })
  }

  private kubeconfigOf(cluster: string): string {
    try {
      checkClusterName(cluster)
    } catch (e) {
      throw new CodedError('bad_params', (e as Error).message)
    }
    const path = join(clusterDir(this.opts.home(), cluster), 'kubeconfig')
    if (!existsSync(path)) throw new CodedError('not_running', `cluster ${cluster} has no kubeconfig at ${path}: start the cluster first`)
    return path
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(new CodedError('port_in_use', `local port ${port} is already in use: pick another one or leave it empty for a free port`))
      else if (e.code === 'EACCES') reject(new CodedError('port_in_use', `local port ${port} needs privileges: use a port above 1023 or leave it empty`))
      else reject(new CodedError('internal', `cannot listen on 127.0.0.1:${port}: ${e.message}`))
    })
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}
