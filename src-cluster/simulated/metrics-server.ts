// The hollow kubelets' resource-summary endpoint (see kit/kubelet-summary.ts): one HTTPS
// listener answers for every node in this process, `?node=NAME` picking which. Its certificate
// is signed by the cluster CA and callers must present a client certificate from that CA, as
// the API server does towards real kubelets.
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { KUBELET_SUMMARY_PATH, type KubeletResourceSummary } from '../kit/kubelet-summary'

export interface ServingTls {
  readonly certPem: string
  readonly keyPem: string
  /** CA that signs callers' client certificates. */
  readonly caPem: string
}

export interface SummarySource {
  /** undefined: no such node here; null: the node is stopped and does not answer. */
  summary(node: string): KubeletResourceSummary | undefined | null
}

export interface MetricsServer {
  readonly port: number
  close(): Promise<void>
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' })
  res.end(text)
}

export async function startMetricsServer(tls: ServingTls, source: SummarySource, bind: string, port = 0): Promise<MetricsServer> {
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem, ca: [tls.caPem], requestCert: true, rejectUnauthorized: true })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://kubelet')
    if (req.method !== 'GET' || url.pathname !== KUBELET_SUMMARY_PATH)
      return send(res, 404, `no such endpoint: ${req.method} ${url.pathname}; try GET ${KUBELET_SUMMARY_PATH}?node=NAME\n`)
    const node = url.searchParams.get('node')
    if (!node) return send(res, 400, 'the node query parameter is required: one process serves many simulated nodes\n')
    const summary = source.summary(node)
    if (summary === undefined) return send(res, 404, `node ${node} is not simulated by this process\n`)
    if (summary === null) return send(res, 503, `node ${node} is stopped\n`)
    send(res, 200, summary)
  })
  const listening = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, bind, () => resolve((server.address() as { port: number }).port))
  })
  return {
    port: listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
