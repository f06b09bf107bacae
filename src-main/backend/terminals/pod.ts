// `exec` into a pod container through the API server's pods/exec subresource over WebSocket
// (the v5/v4 channel protocol kubectl uses). A cluster that does not serve pods/exec (hollow
// nodes have no containers) is told apart up front through discovery, with a clear error.
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import WebSocket from 'ws'
import type { ClientConfig } from '../../../src-cluster/client'
import { CHANNEL, decodeFrame, encodeFrame, encodeResize, exitCodeOf, WS_V4, WS_V5, type ExitStatus } from '../../../src-cluster/streaming/channel'
import { CodedError } from '../../contract/errors'
import type { SessionCallbacks, TerminalSession } from './types'

export interface PodExecTarget {
  namespace: string
  pod: string
  container: string | null
  command: string[]
  cols: number
  rows: number
}

function tlsOptions(c: ClientConfig): { ca?: string; cert?: string; key?: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'User-Agent': c.userAgent ?? 'kubelab-desktop' }
  if (c.token) headers.Authorization = `Bearer ${c.token}`
  return { ca: c.caPem || undefined, cert: c.certPem, key: c.keyPem, headers }
}

/** GET a JSON document from the API server. */
function getJson(c: ClientConfig, path: string): Promise<unknown> {
  const url = new URL(path, c.server)
  const t = tlsOptions(c)
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const r = req(url, { method: 'GET', ca: t.ca, cert: t.cert, key: t.key, headers: { ...t.headers, Accept: 'application/json' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 0) >= 300) return reject(new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`))
        try {
          resolve(JSON.parse(text))
        } catch {
          reject(new Error(`GET ${path} did not answer JSON`))
        }
      })
    })
    r.on('timeout', () => r.destroy(new Error(`GET ${path} timed out`)))
    r.on('error', (e) => reject(new Error(`cannot reach the API server at ${c.server}: ${e.message}`)))
    r.end()
  })
}

/** Whether the core v1 discovery document lists the pods/exec subresource. */
export async function servesPodExec(config: ClientConfig): Promise<boolean> {
  const doc = (await getJson(config, '/api/v1')) as { resources?: { name?: string }[] }
  return (doc.resources ?? []).some((r) => r.name === 'pods/exec')
}

export function execPath(podExecTarget: PodExecTarget): string {
  const q = new URLSearchParams()
  for (const part of podExecTarget.command) q.append('command', part)
  if (podExecTarget.container) q.set('container', podExecTarget.container)
  q.set('stdin', 'true')
  q.set('stdout', 'true')
  q.set('stderr', 'true')
  q.set('tty', 'true')
  return `/api/v1/namespaces/${encodeURIComponent(podExecTarget.namespace)}/pods/${encodeURIComponent(podExecTarget.pod)}/exec?${q.toString()}`
}

/** `the API server refused the exec (HTTP 400 BadRequest): <its message>` from a refusal's body. */
export function refusalReason(statusCode: number, body: string): string {
  let message = ''
  let reason = ''
  try {
    const status = JSON.parse(body) as { message?: unknown; reason?: unknown }
    if (typeof status.message === 'string') message = status.message
    if (typeof status.reason === 'string') reason = status.reason
  } catch {
    message = body.trim().slice(0, 500)
  }
  return `the API server refused the exec (HTTP ${statusCode}${reason ? ` ${reason}` : ''})${message ? `: ${message}` : ''}`
}

export async function openPodExec(config: ClientConfig, podExecTarget: PodExecTarget, cb: SessionCallbacks): Promise<TerminalSession> {
  if (!(await servesPodExec(config))) {
    throw new CodedError(
      'exec_unavailable',
      "this cluster's API server does not serve pods/exec (simulated clusters have no containers to run a shell in): open a host terminal and use kubectl, or use a cluster with real nodes",
    )
  }
  const url = new URL(execPath(podExecTarget), config.server)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const tls = tlsOptions(config)
  const ws = new WebSocket(url, [WS_V5, WS_V4], { ca: tls.ca, cert: tls.cert, key: tls.key, headers: tls.headers })
  let ended = false
  let exitCode: number | null = null
  let reason = 'the connection closed'
  let retryable = true
  const end = (): void => {
    if (ended) return
    ended = true
    cb.onExit(exitCode, reason, retryable)
  }
  const sendResize = (cols: number, rows: number): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(CHANNEL.resize, encodeResize({ width: cols, height: rows })))
  }
  ws.on('open', () => {
    sendResize(podExecTarget.cols, podExecTarget.rows)
    cb.onOpen()
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return
    const frame = decodeFrame(Buffer.isBuffer(data) ? data : Buffer.from(data))
    if (frame.channel === CHANNEL.stdout || frame.channel === CHANNEL.stderr) cb.onData(frame.data.toString('utf8'))
    else if (frame.channel === CHANNEL.error) {
      try {
        const status = JSON.parse(frame.data.toString('utf8')) as ExitStatus
        exitCode = exitCodeOf(status) ?? null
        reason = status.status === 'Success' ? 'the command exited' : (status.message ?? 'the command failed')
      } catch {
        reason = frame.data.toString('utf8')
      }
    }
  })
  ws.on('unexpected-response', (_req, res) => {
    // The API server says why in a Status body (kubectl prints its message): read it before ending.
    const chunks: Buffer[] = []
    res.on('data', (d: Buffer) => chunks.push(d))
    res.on('end', () => {
      reason = refusalReason(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))
      // A refusal (4xx) answers the same on every try: reconnecting cannot help.
      retryable = (res.statusCode ?? 0) >= 500
      ws.terminate()
      end()
    })
    res.on('error', () => end())
  })
  ws.on('error', (e) => {
    reason = `exec connection failed: ${e.message}`
    end()
  })
  ws.on('close', end)
  return {
    write: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(CHANNEL.stdin, data))
    },
    resize: sendResize,
    close: () => {
      reason = 'closed'
      ws.close()
    },
  }
}
