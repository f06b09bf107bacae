// GET pods/NAME/log: checks the container like the kubelet would, then streams the kubelet's
// /containerLogs answer through (chunked text, flushed as it arrives, for `logs -f`).
import type { ApiRequest, ApiResponse } from '../exchange'
import { request } from 'node:https'
import type { ServerContext } from '../context'
import { kubeletClientIdentity } from '../metrics/kubelet-client'
import type { ResourceRequest } from '../request'
import { errors, failure } from '../status'
import { queryBool } from '../../util/query'
import { checkLogAvailable, getPod, kubeletFor, pickContainer } from './target'

const BOOLEANS = new Set(['follow', 'previous', 'timestamps'])
const PASSED_ON = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes']

export async function handlePodLog(ctx: ServerContext, podRequest: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  if (podRequest.verb !== 'get') throw errors.methodNotAllowed(`${req.method} is not supported on pods/log: use GET`)
  const pod = await getPod(ctx, podRequest.namespace!, podRequest.name!)
  const container = pickContainer(pod, query.get('container'))
  const previous = queryBool(query, 'previous')
  checkLogAvailable(pod, container, previous)
  const kl = await kubeletFor(ctx, pod)
  const kq = new URLSearchParams()
  for (const k of PASSED_ON) {
    const v = query.get(k)
    if (v === null) continue
    // Booleans go on in one spelling, whatever the client sent (Python sends "True").
    kq.set(k, BOOLEANS.has(k) ? String(queryBool(query, k)) : v)
  }
  const id = kubeletClientIdentity(ctx.pki)
  const path = `/containerLogs/${encodeURIComponent(podRequest.namespace!)}/${encodeURIComponent(podRequest.name!)}/${encodeURIComponent(container)}?${kq}`
  await new Promise<void>((resolve, reject) => {
    const up = request({ host: kl.host, port: kl.port, method: 'GET', path, ca: ctx.pki.ca.certPem, cert: id.certPem, key: id.keyPem }, (kres) => {
      if (kres.statusCode !== 200) {
        const chunks: Buffer[] = []
        kres.on('data', (c: Buffer) => chunks.push(c))
        kres.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            const st = JSON.parse(text) as { reason?: string; message?: string }
            reject(failure(kres.statusCode ?? 500, st.reason ?? 'InternalError', st.message ?? text))
          } catch {
            reject(errors.internal(`the kubelet of node ${kl.nodeName} answered ${kres.statusCode}: ${text.slice(0, 300)}`))
          }
        })
        return
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' })
      res.flushHeaders()
      kres.on('data', (c: Buffer) => res.write(c))
      kres.on('end', () => {
        res.end()
        resolve()
      })
      kres.on('error', () => {
        res.end()
        resolve()
      })
    })
    // The client hanging up (end of `logs -f`) ends the kubelet request too.
    res.on('close', () => up.destroy())
    up.on('error', (e) => {
      if (res.headersSent) {
        res.end()
        resolve()
      } else reject(errors.unavailable(`error dialing backend: the kubelet of node ${kl.nodeName} at ${kl.host}:${kl.port}: ${e.message}`))
    })
    up.end()
  })
}
