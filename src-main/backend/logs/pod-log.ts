// Reads a pod container's log from the API server's `log` subresource as a text stream (the
// JSON client cannot: logs are plain text, and with follow=true the answer never ends). When the
// server refuses (no kubelet yet, pod gone, container not started), its Status is the answer the
// user sees.
import { request as httpsRequest } from 'node:https'
import type { ClientConfig } from '../../../src-cluster/client'

export interface PodLogOptions {
  namespace: string
  pod: string
  container: string | null
  follow: boolean
  timestamps: boolean
  previous: boolean
  tailLines: number | null
}

export interface LogFailure {
  code: string
  message: string
}

export interface StreamHandle {
  stop(): void
}

export function podLogPath(opts: PodLogOptions): string {
  const q = new URLSearchParams()
  if (opts.container) q.set('container', opts.container)
  if (opts.follow) q.set('follow', 'true')
  if (opts.timestamps) q.set('timestamps', 'true')
  if (opts.previous) q.set('previous', 'true')
  if (opts.tailLines !== null) q.set('tailLines', String(opts.tailLines))
  const qs = q.toString()
  return `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${encodeURIComponent(opts.pod)}/log${qs ? `?${qs}` : ''}`
}

/** Turns a refused log request into words: what the server said, and what it means here. */
export function describeRefusal(httpStatus: number, body: string, what: string): LogFailure {
  let reason = ''
  let message = body.trim().slice(0, 500)
  try {
    const st = JSON.parse(body) as { reason?: unknown; message?: unknown }
    if (typeof st.reason === 'string') reason = st.reason
    if (typeof st.message === 'string') message = st.message
  } catch {
    // plain text answer: keep it as the message
  }
  const code = reason || `HTTP${httpStatus}`
  let text = `The API server answered ${httpStatus}${reason ? ` ${reason}` : ''} for the logs of ${what}: ${message || '(no message)'}`
  if (httpStatus === 404 && /could not find the requested resource|\/log" not found/i.test(message)) {
    text +=
      '. This API server does not serve the pods/log subresource: the nodes of this cluster run no kubelet with real containers (simulated nodes have no logs). Logs appear here on clusters whose nodes run real containers.'
  } else if (httpStatus === 400 && /previous terminated container/i.test(message)) {
    text += '. The container has not restarted, so there is no previous instance to show.'
  }
  return { code, message: text }
}

export function streamPodLog(
  cfg: ClientConfig,
  opts: PodLogOptions,
  onText: (chunk: string) => void,
  onEnd: (failure: LogFailure | null) => void,
): StreamHandle {
  const url = new URL(cfg.server)
  const headers: Record<string, string> = { Accept: 'text/plain, application/json', 'User-Agent': 'kubelab-desktop' }
  if (cfg.token) headers.Authorization = `Bearer ${cfg.token}`
  const what = `pod ${opts.namespace}/${opts.pod}${opts.container ? ` (container ${opts.container})` : ''}`
  let ended = false
  const end = (f: LogFailure | null): void => {
    if (ended) return
    ended = true
    onEnd(f)
  }
  const req = httpsRequest(
    { method: 'GET', hostname: url.hostname, port: url.port || 443, path: podLogPath(opts), headers, ca: cfg.caPem, cert: cfg.certPem, key: cfg.keyPem },
    (res) => {
      res.setEncoding('utf8')
      const status = res.statusCode ?? 0
      if (status < 200 || status >= 300) {
        let body = ''
        res.on('data', (c: string) => (body += c))
        res.on('end', () => end(describeRefusal(status, body, what)))
        return
      }
      res.on('data', (c: string) => onText(c))
      res.on('end', () => end(null))
      res.on('error', (e) => end({ code: 'stream_error', message: `the log stream of ${what} broke: ${e.message}` }))
    },
  )
  req.on('error', (e) =>
    end({ code: 'unreachable', message: `cannot reach the API server at ${cfg.server} for the logs of ${what}: ${e.message}; is the cluster running?` }),
  )
  req.end()
  return {
    stop() {
      ended = true
      req.destroy()
    },
  }
}
