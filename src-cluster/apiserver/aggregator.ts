// API aggregation, as kube-aggregator: an APIService with `spec.service` makes this API server
// proxy /apis/GROUP/VERSION/... over HTTPS to a ready endpoint of that Service, with the user in
// upstream's front-proxy headers (X-Remote-User, X-Remote-Group, X-Remote-Extra-*) and a
// client certificate (CN front-proxy-client, signed by the front-proxy CA, not the cluster CA) the extension server can
// verify. The availability controller probes GET /apis/GROUP/VERSION on every APIService change,
// on Service/EndpointSlice changes and every 30 s, writes the `Available` condition (Passed,
// ServiceNotFound, ServicePortError, MissingEndpoints, FailedDiscoveryCheck as upstream) and
// keeps the backend's APIResourceList for discovery. A backend that is not available answers
// 503 for its paths; discovery of the other groups never depends on it. Extension servers
// learn how to trust the proxy from kube-system's `extension-apiserver-authentication`
// ConfigMap (readable through the `extension-apiserver-authentication-reader` Role), as upstream.
import type { ApiRequest, ApiResponse } from './exchange'
import { request as httpsRequest } from 'node:https'
import type { KubeObject } from '../api/object'
import { findResource } from '../api/resources'
import { issueCert, type KeyPair } from '../kit/pki'
import { RES } from '../kit/resources'
import { rfc3339 } from '../kit/time'
import { updateTracker } from './fieldmanager'
import { createObject } from './handlers/write'
import type { KeyValue, Watcher } from '../store/types'
import type { ServerContext, User } from './context'
import { decodeFor, resourcePrefix } from './registry/objects'
import { errors } from './status'

const APISERVICES = findResource('apiregistration.k8s.io', 'v1', 'apiservices')!
/** How often every aggregated APIService is probed even when nothing changed (upstream: 30 s). */
const RECHECK_MS = 30_000
const PROBE_TIMEOUT_MS = 5_000
/** The CN of the proxy's client certificate, as kubeadm names it. */
export const FRONT_PROXY_CN = 'front-proxy-client'

interface ServiceRef {
  readonly namespace: string
  readonly name: string
  readonly port: number
}

export interface AggregatedApi {
  readonly name: string
  readonly group: string
  readonly version: string
  readonly groupPriorityMinimum: number
  readonly versionPriority: number
  readonly service: ServiceRef
  readonly caBundle?: string
  readonly insecure: boolean
  available: boolean
  /** The backend's APIResourceList from the last successful probe. */
  resources?: { name: string; singularName?: string; namespaced?: boolean; kind?: string; verbs?: string[]; shortNames?: string[]; categories?: string[] }[]
  specKey: string
}

interface Endpoint {
  readonly host: string
  readonly port: number
  /** https://CLUSTER-IP:PORT, as upstream's messages show the Service. */
  readonly serviceUrl: string
}

class Unavailable extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

function parse(o: KubeObject): AggregatedApi | undefined {
  const spec = (o.spec ?? {}) as {
    service?: { namespace?: string; name?: string; port?: number }
    group?: string
    version?: string
    caBundle?: string
    insecureSkipTLSVerify?: boolean
    groupPriorityMinimum?: number
    versionPriority?: number
  }
  if (!spec.service?.name) return undefined
  const service = { namespace: spec.service.namespace ?? '', name: spec.service.name, port: spec.service.port ?? 443 }
  return {
    name: o.metadata?.name ?? '',
    group: spec.group ?? '',
    version: spec.version ?? '',
    groupPriorityMinimum: spec.groupPriorityMinimum ?? 0,
    versionPriority: spec.versionPriority ?? 0,
    service,
    caBundle: spec.caBundle,
    insecure: spec.insecureSkipTLSVerify === true,
    available: false,
    specKey: JSON.stringify(spec),
  }
}

export class Aggregator {
  private readonly apis = new Map<string, AggregatedApi>()
  private readonly watchers: Watcher[] = []
  private readonly frontProxy: KeyPair
  private timer: NodeJS.Timeout | undefined
  private debounce: NodeJS.Timeout | undefined
  private checking = Promise.resolve()
  private closed = false

  constructor(
    private readonly ctx: ServerContext,
    /** Called when an APIService is deleted (the API server re-creates its Local ones). */
    private readonly onDelete: () => void = () => undefined,
  ) {
    this.frontProxy = issueCert(ctx.pki.frontProxyCa, { commonName: FRONT_PROXY_CN, client: true })
  }

  async start(): Promise<void> {
    await this.publishAuthentication()
    await this.syncApiServices()
    for (const res of [RES.services, RES.slices]) {
      const r = await this.ctx.store.range(resourcePrefix(res), { limit: 1 })
      this.watchers.push(
        this.ctx.store.watch(
          resourcePrefix(res),
          { afterRevision: r.revision },
          (events) => {
            // Only changes in a namespace an aggregated APIService's Service lives in matter.
            const prefix = resourcePrefix(res)
            const namespaces = new Set([...this.apis.values()].map((a) => a.service.namespace))
            if (events.some((e) => namespaces.has(e.kv.key.slice(prefix.length).split('/')[0]!))) this.schedule()
          },
          () => undefined,
        ),
      )
    }
    this.timer = setInterval(() => this.schedule(), RECHECK_MS)
    this.timer.unref()
  }

  /** kube-system/extension-apiserver-authentication and its reader Role, as upstream's ClusterAuthenticationInfo controller. */
  private async publishAuthentication(): Promise<void> {
    const ca = this.ctx.pki.ca.certPem
    // Several API servers (HA) may each have their own front-proxy CA: as upstream's
    // ClusterAuthenticationTrust controller, add ours to the published bundle, keep the others'.
    const published = await this.ctx.objects.get(RES.configmaps, 'kube-system', 'extension-apiserver-authentication')
    const had = (published?.obj as { data?: Record<string, string> } | undefined)?.data?.['requestheader-client-ca-file'] ?? ''
    const data = {
      'client-ca-file': ca,
      'requestheader-client-ca-file': mergePemBundles(had, this.ctx.pki.frontProxyCa.certPem),
      'requestheader-allowed-names': JSON.stringify([FRONT_PROXY_CN]),
      'requestheader-username-headers': JSON.stringify(['X-Remote-User']),
      'requestheader-group-headers': JSON.stringify(['X-Remote-Group']),
      'requestheader-extra-headers-prefix': JSON.stringify(['X-Remote-Extra-']),
      'requestheader-uid-headers': JSON.stringify([]),
    }
    const role = findResource('rbac.authorization.k8s.io', 'v1', 'roles')!
    const want: [typeof RES.configmaps, KubeObject][] = [
      [RES.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' }, data }],
      [
        role,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'extension-apiserver-authentication-reader', namespace: 'kube-system', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
          rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['extension-apiserver-authentication'], verbs: ['get', 'list', 'watch'] }],
        },
      ],
    ]
    for (const [res, obj] of want) {
      const cur = await this.ctx.objects.get(res, 'kube-system', obj.metadata!.name!)
      if (cur) {
        const field = res === RES.configmaps ? 'data' : 'rules'
        const o = obj as Record<string, unknown>
        if (JSON.stringify((cur.obj as Record<string, unknown>)[field]) !== JSON.stringify(o[field]))
          await this.ctx.objects.update(res, { ...cur.obj, [field]: o[field] }, cur.kv.modRevision)
        continue
      }
      try {
        await createObject(this.ctx, res, obj, 'kube-system', false, updateTracker(res, { manager: 'kube-apiserver' }, this.ctx.now))
      } catch (e) {
        if ((e as { code?: number }).code !== 409) throw e // another API server made it first
      }
    }
  }

  private async syncApiServices(): Promise<void> {
    const prefix = resourcePrefix(APISERVICES)
    const r = await this.ctx.store.range(prefix)
    this.apis.clear()
    for (const kv of r.kvs) this.put(kv, false)
    this.schedule()
    this.watchers.push(
      this.ctx.store.watch(
        prefix,
        { afterRevision: r.revision },
        (events) => {
          for (const e of events) {
            if (e.type === 'put') this.put(e.kv, true)
            else {
              this.apis.delete(e.kv.key.slice(prefix.length))
              this.onDelete()
            }
          }
        },
        (err) => {
          if (this.closed || err.code === 'closed') return
          void this.syncApiServices().catch(() => undefined)
        },
      ),
    )
  }

  private put(kv: KeyValue, check: boolean): void {
    const o = decodeFor(APISERVICES, kv) as KubeObject
    const api = parse(o)
    const name = o.metadata?.name ?? ''
    const old = this.apis.get(name)
    if (!api) {
      this.apis.delete(name)
      return
    }
    // A status write of ours changes nothing we hold; a spec change is probed again.
    if (old && old.specKey === api.specKey) return
    this.apis.set(name, api)
    if (check) this.schedule()
  }

  /** Probes every aggregated APIService soon (changes arriving together are probed once). */
  private schedule(): void {
    if (this.closed || !this.apis.size || this.debounce) return
    this.debounce = setTimeout(() => {
      this.debounce = undefined
      this.checking = this.checking.then(() => this.checkAll()).catch(() => undefined)
    }, 50)
  }

  private async checkAll(): Promise<void> {
    await Promise.all([...this.apis.values()].map((a) => this.check(a)))
  }

  /** The aggregated API serving GROUP/VERSION, if any. */
  lookup(group: string, version: string): AggregatedApi | undefined {
    for (const a of this.apis.values()) if (a.group === group && a.version === version) return a
    return undefined
  }

  /** Aggregated APIs in upstream's discovery order: group priority, then version priority, highest first. */
  list(): AggregatedApi[] {
    return [...this.apis.values()].sort(
      (a, b) => b.groupPriorityMinimum - a.groupPriorityMinimum || a.group.localeCompare(b.group) || b.versionPriority - a.versionPriority,
    )
  }

  /** A ready endpoint of the APIService's Service (Endpoints-style resolution over EndpointSlices). */
  private async resolve(api: AggregatedApi): Promise<Endpoint> {
    const { namespace: ns, name, port } = api.service
    const service = await this.ctx.objects.get(RES.services, ns, name)
    if (!service) throw new Unavailable('ServiceNotFound', `service/${name} in ${JSON.stringify(ns)} is not present`)
    const spec = (service.obj.spec ?? {}) as { clusterIP?: string; ports?: { name?: string; port?: number }[] }
    const sp = (spec.ports ?? []).find((p) => p.port === port)
    if (!sp) throw new Unavailable('ServicePortError', `service/${name} in ${JSON.stringify(ns)} is not listening on port ${port}`)
    const serviceUrl = `https://${spec.clusterIP && spec.clusterIP !== 'None' ? spec.clusterIP : `${name}.${ns}.svc`}:${port}`
    const slices = (await this.ctx.objects.list(RES.slices, ns)).items
      .map(
        (s) =>
          s.obj as {
            metadata?: { labels?: Record<string, string> }
            endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[]
            ports?: { name?: string; port?: number }[]
          },
      )
      .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name)
    for (const s of slices) {
      const ep = (s.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''))
      const addr = (s.endpoints ?? []).find((e) => e.conditions?.ready !== false && e.addresses?.length)?.addresses?.[0]
      if (ep?.port && addr) return { host: addr, port: ep.port, serviceUrl }
    }
    throw new Unavailable(
      'MissingEndpoints',
      `endpoints for service/${name} in ${JSON.stringify(ns)} have no addresses with port name ${JSON.stringify(sp.name ?? '')}`,
    )
  }

  private tls(api: AggregatedApi): { ca?: string; rejectUnauthorized: boolean; servername: string; cert: string; key: string } {
    return {
      ca: api.caBundle ? Buffer.from(api.caBundle, 'base64').toString() : undefined,
      rejectUnauthorized: !api.insecure,
      servername: `${api.service.name}.${api.service.namespace}.svc`,
      cert: this.frontProxy.certPem,
      key: this.frontProxy.keyPem,
    }
  }

  /** Upstream's front-proxy headers for `user`. */
  private userHeaders(user: User): Record<string, string | string[]> {
    const h: Record<string, string | string[]> = { 'X-Remote-User': user.name, 'X-Remote-Group': [...user.groups] }
    for (const [k, v] of Object.entries(user.extra ?? {})) h[`X-Remote-Extra-${encodeURIComponent(k)}`] = [...v]
    return h
  }

  private async check(api: AggregatedApi): Promise<void> {
    const path = `/apis/${api.group}/${api.version}`
    let status: { ok: boolean; reason: string; message: string }
    try {
      const ep = await this.resolve(api)
      try {
        const body = await new Promise<string>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: ep.host,
              port: ep.port,
              path,
              method: 'GET',
              agent: false,
              timeout: PROBE_TIMEOUT_MS,
              headers: { Accept: 'application/json', ...this.userHeaders({ name: 'system:kube-aggregator', groups: ['system:masters'] }) },
              ...this.tls(api),
            },
            (res) => {
              const chunks: Buffer[] = []
              res.on('data', (d: Buffer) => chunks.push(d))
              res.on('error', reject)
              res.on('end', () => {
                const code = res.statusCode ?? 0
                if (code < 200 || code > 299) reject(new Error(`bad status from ${ep.serviceUrl}${path}: ${code}`))
                else resolve(Buffer.concat(chunks).toString())
              })
            },
          )
          req.on('timeout', () => req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)')))
          req.on('error', reject)
          req.end()
        })
        const list = JSON.parse(body) as { resources?: AggregatedApi['resources'] }
        api.resources = list.resources ?? []
        status = { ok: true, reason: 'Passed', message: 'all checks passed' }
      } catch (e) {
        throw new Unavailable('FailedDiscoveryCheck', `failing or missing response from ${ep.serviceUrl}${path}: ${e instanceof Error ? e.message : String(e)}`)
      }
    } catch (e) {
      status =
        e instanceof Unavailable ? { ok: false, reason: e.reason, message: e.message } : { ok: false, reason: 'FailedDiscoveryCheck', message: String(e) }
    }
    if (this.apis.get(api.name) !== api) return // changed or deleted meanwhile
    api.available = status.ok
    await this.writeCondition(api.name, status)
  }

  private async writeCondition(name: string, s: { ok: boolean; reason: string; message: string }): Promise<void> {
    const cur = await this.ctx.objects.get(APISERVICES, undefined, name)
    if (!cur) return
    const conds = ((cur.obj.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).filter((c) => c.type !== 'Available')
    const old = ((cur.obj.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Available')
    const status = s.ok ? 'True' : 'False'
    if (old && old.status === status && old.reason === s.reason && old.message === s.message) return
    const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : rfc3339(this.ctx.now())
    const cond = { type: 'Available', status, lastTransitionTime, reason: s.reason, message: s.message }
    await this.ctx.objects.update(APISERVICES, { ...cur.obj, status: { ...(cur.obj.status as object), conditions: [...conds, cond] } }, cur.kv.modRevision)
  }

  /** Proxies the request to the APIService's backend, as upstream's proxy handler: 503 when it is not available. */
  async proxy(api: AggregatedApi, req: ApiRequest, res: ApiResponse, user: User): Promise<void> {
    if (!api.available) throw errors.unavailable('the server is currently unable to handle the request')
    let ep: Endpoint
    try {
      ep = await this.resolve(api)
    } catch (e) {
      this.schedule()
      throw errors.unavailable(`service unavailable: ${e instanceof Error ? e.message : String(e)}`)
    }
    const headers: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      const lk = k.toLowerCase()
      if (v === undefined || lk === 'authorization' || lk === 'host' || lk === 'connection' || lk.startsWith('impersonate-') || lk.startsWith('x-remote-'))
        continue
      headers[k] = v
    }
    Object.assign(headers, this.userHeaders(user))
    await new Promise<void>((resolve, reject) => {
      const out = httpsRequest({ host: ep.host, port: ep.port, path: req.url, method: req.method, agent: false, headers, ...this.tls(api) }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
        up.on('end', resolve)
        up.on('error', () => resolve())
        res.on('close', () => up.destroy())
      })
      out.on('error', (e) => {
        this.schedule()
        if (res.headersSent) {
          res.destroy()
          resolve()
        } else reject(errors.unavailable(`error trying to reach service: ${e.message}`))
      })
      req.pipe(out)
    })
  }

  close(): void {
    this.closed = true
    for (const w of this.watchers) w.cancel()
    if (this.timer) clearInterval(this.timer)
    if (this.debounce) clearTimeout(this.debounce)
  }
}

/** `bundle` with `add`'s certificates appended unless already present (same PEM text). */
export function mergePemBundles(bundle: string, add: string): string {
  const certs = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  const out = certs(bundle)
  for (const c of certs(add)) if (!out.includes(c)) out.push(c)
  return out.map((c) => `${c}\n`).join('')
}
