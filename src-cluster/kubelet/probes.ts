// Liveness, readiness and startup probes: exec (CRI ExecSync), httpGet (from the node to the
// pod IP) and tcpSocket, with upstream's thresholds and timing fields.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import type { Container, Probe } from 'kubernetes-types/core/v1'
import type { CriClient } from './cri/client'

export interface ProbeResult {
  ok: boolean
  /** Why it failed, as upstream words it in Unhealthy events. */
  message: string
}

function resolvePort(port: number | string | undefined, c: Container): number {
  if (typeof port === 'number') return port
  const named = c.ports?.find((p) => p.name === port)
  if (named) return named.containerPort
  const n = Number(port)
  if (Number.isInteger(n) && n > 0) return n
  throw new Error(`probe port ${JSON.stringify(port)} names no container port`)
}

export async function runProbe(probe: Probe, container: Container, ctx: { cri: CriClient; containerId: string; podIP: string }): Promise<ProbeResult> {
  const timeoutSec = probe.timeoutSeconds ?? 1
  try {
    if (probe.exec) {
      const r = await ctx.cri.execSync(ctx.containerId, probe.exec.command ?? [], timeoutSec)
      if (r.exitCode === 0) return { ok: true, message: '' }
      const out = (r.stdout.toString() + r.stderr.toString()).trim()
      return { ok: false, message: out ? out : `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} exited with ${r.exitCode}` }
    }
    if (probe.httpGet) {
      const g = probe.httpGet
      const port = resolvePort(g.port, container)
      const host = g.host || ctx.podIP
      const scheme = (g.scheme ?? 'HTTP').toUpperCase()
      const path = g.path ?? '/'
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' }
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value
      const code = await new Promise<number>((resolve, reject) => {
        const req = (scheme === 'HTTPS' ? httpsRequest : httpRequest)(
          { host, port, path, method: 'GET', headers, timeout: timeoutSec * 1000, rejectUnauthorized: false },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)))
        req.on('error', reject)
        req.end()
      })
      return code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` }
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, container)
      const host = probe.tcpSocket.host || ctx.podIP
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host, port, timeout: timeoutSec * 1000 })
        s.on('connect', () => {
          s.destroy()
          resolve()
        })
        s.on('timeout', () => s.destroy(new Error(`dial tcp ${host}:${port}: i/o timeout`)))
        s.on('error', reject)
      })
      return { ok: true, message: '' }
    }
    if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by this kubelet' }
    return { ok: true, message: '' }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
}

/** Tracks one probe of one container run: when it is due and its consecutive results. */
export class ProbeState {
  successes = 0
  failures = 0
  /** Result after thresholds; undefined until decided. */
  result: boolean | undefined
  nextAt: number
  running = false

  constructor(
    readonly kind: 'liveness' | 'readiness' | 'startup',
    readonly probe: Probe,
    startedAtMs: number,
  ) {
    this.nextAt = startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000
  }

  due(now: number): boolean {
    return !this.running && now >= this.nextAt
  }

  /** Records a run; returns true when the thresholded result flipped. */
  record(ok: boolean, now: number): boolean {
    this.nextAt = now + (this.probe.periodSeconds ?? 10) * 1000
    const before = this.result
    if (ok) {
      this.failures = 0
      this.successes++
      if (this.successes >= (this.probe.successThreshold ?? 1)) this.result = true
    } else {
      this.successes = 0
      this.failures++
      if (this.failures >= (this.probe.failureThreshold ?? 3)) this.result = false
    }
    return before !== this.result
  }
}
