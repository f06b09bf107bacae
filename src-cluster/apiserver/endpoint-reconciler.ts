// The `kubernetes` Service's Endpoints and EndpointSlice in `default`, kept by every API server
// as upstream's endpoint reconcilers keep them (--endpoint-reconciler-type):
//
// - lease (upstream's default): each API server keeps a record of itself under
//   /registry/masterleases/<ip> that lives `ttlMs` (15 s) unless renewed, and every `intervalMs`
//   (10 s) renews it and rewrites the Endpoints and the slice to exactly the recorded addresses.
//   On etcd the record is put under an etcd lease, so etcd deletes it; the embedded store has no
//   leases, so the record carries its expiry and whichever server lists it after that deletes it.
//   A clean shutdown deletes the server's own record and reconciles at once; a server that dies
//   drops out when its record runs out. The last record is never written away: with none listed
//   the Endpoints stay as they are (as upstream, so one API server restarting keeps its address).
// - master-count: each server adds itself and keeps up to --apiserver-count addresses, the
//   others' included; a clean shutdown takes its own address out (unless it is the last).
// - none: the Endpoints and slice are left alone.
import type { KubeObject } from '../api/object'
import type { ServerContext } from './context'
import { updateTracker } from './fieldmanager'
import { createObject, guaranteedUpdate } from './handlers/write'
import { RES } from '../kit/resources'

export const ENDPOINT_RECONCILER_TYPES = ['lease', 'master-count', 'none'] as const
export type EndpointReconcilerType = (typeof ENDPOINT_RECONCILER_TYPES)[number]

/** Upstream's key for the lease reconciler's records (one per API server, named by its IP). */
export const MASTER_LEASES_PREFIX = '/registry/masterleases/'
/** On the embedded store: when a record runs out (RFC 3339 with milliseconds). */
const EXPIRES = 'kubelab.dev/expires'
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror'
const SERVICE_NAME = 'kubernetes.io/service-name'
const APISERVER = { manager: 'kube-apiserver' }

export interface EndpointReconcilerOptions {
  readonly type: EndpointReconcilerType
  /** lease: how long a record lives without renewal (upstream 15 s). */
  readonly ttlMs: number
  /** How often each server renews its record and reconciles (upstream 10 s). */
  readonly intervalMs: number
  readonly log: (line: string) => void
}

interface Port {
  name: string
  port: number
  protocol: string
}

interface EndpointsShape {
  subsets?: { addresses?: { ip: string }[]; ports?: Partial<Port>[] }[]
}

interface SliceShape {
  addressType?: string
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[]
  ports?: Partial<Port>[]
}

const samePorts = (have: Partial<Port>[] | undefined, want: Port[]): boolean =>
  (have ?? []).length === want.length &&
  want.every((p, i) => have![i]!.name === p.name && have![i]!.port === p.port && (have![i]!.protocol ?? 'TCP') === p.protocol)

const sameIps = (have: string[], want: string[]): boolean => have.length === want.length && have.every((ip, i) => ip === want[i])

export class EndpointReconciler {
  private timer: NodeJS.Timeout | undefined
  /** Rounds run one at a time, in order. */
  private chain: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: EndpointReconcilerOptions,
  ) {}

  private get ip(): string {
    return this.ctx.config.advertiseAddress
  }

  private get ports(): Port[] {
    return [{ name: 'https', port: this.ctx.config.securePort, protocol: 'TCP' }]
  }

  /** The store deletes records itself (etcd leases); otherwise expiry is ours to check. */
  private get storeExpires(): boolean {
    return typeof this.ctx.store.putWithTtl === 'function'
  }

  /**
   * One round: renew this server's record (lease) and make the Endpoints and the slice match.
   * Throws, 409s included, so the start-up can retry a round that raced another server.
   */
  reconcile(): Promise<void> {
    return this.serially(() => this.round())
  }

  /** Reconcile every `intervalMs` from now on (failures are logged; the next round retries). */
  start(): void {
    if (this.opts.type === 'none' || this.timer || this.stopped) return
    this.timer = setInterval(() => {
      this.reconcile().catch((e: unknown) => this.opts.log(`apiserver: reconciling the kubernetes endpoints: ${message(e)}`))
    }, this.opts.intervalMs)
    this.timer.unref()
  }

  /** Clean shutdown: no more rounds; this server's record and address go at once. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.timer)
    await this.chain.catch(() => undefined)
    if (this.opts.type === 'lease') {
      const key = MASTER_LEASES_PREFIX + this.ip
      await this.ctx.store.txn([], [{ type: 'delete', key }])
      const ips = await this.liveIps()
      if (ips.length > 0) await this.sync(ips)
    } else if (this.opts.type === 'master-count') {
      const cur = await this.ctx.objects.get(RES.endpoints, 'default', 'kubernetes')
      const have = ((cur?.obj as EndpointsShape | undefined)?.subsets?.[0]?.addresses ?? []).map((a) => a.ip)
      const rest = have.filter((ip) => ip !== this.ip)
      if (rest.length > 0 && rest.length < have.length) await this.sync(rest)
    }
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn)
    this.chain = next.catch(() => undefined)
    return next
  }

  private async round(): Promise<void> {
    if (this.opts.type === 'none') return
    if (this.opts.type === 'master-count') return this.sync(await this.masterCountIps())
    if (this.stopped) return
    await this.renew()
    const ips = await this.liveIps()
    // Our own record was just written: an empty listing means something is wrong with the
    // store's answer, and the Endpoints are not emptied on it (as upstream refuses to).
    if (ips.length === 0)
      throw new Error(`no API server records under ${MASTER_LEASES_PREFIX}, not even this one (${this.ip}); leaving the endpoints as they are`)
    await this.sync(ips)
    // A server that left (or came) while this round wrote may have had its own write overtaken
    // by this one: a second look puts that right now rather than a round later.
    const again = await this.liveIps()
    if (again.length > 0 && !sameIps(again, ips)) await this.sync(again)
  }

  /** Write (or refresh) this server's record: an Endpoints-shaped value named by its IP, as upstream's. */
  private async renew(): Promise<void> {
    const key = MASTER_LEASES_PREFIX + this.ip
    const expires = new Date(this.ctx.now().getTime() + this.opts.ttlMs).toISOString()
    const record = {
      kind: 'Endpoints',
      apiVersion: 'v1',
      metadata: { name: this.ip, ...(this.storeExpires ? {} : { annotations: { [EXPIRES]: expires } }) },
      subsets: [{ addresses: [{ ip: this.ip }] }],
    }
    const value = JSON.stringify(record)
    if (this.ctx.store.putWithTtl) await this.ctx.store.putWithTtl(key, value, this.opts.ttlMs / 1000)
    else await this.ctx.store.txn([], [{ type: 'put', key, value }])
  }

  /** The addresses of the API servers whose records are live, sorted; expired records (embedded store) are deleted. */
  private async liveIps(): Promise<string[]> {
    const listed = await this.ctx.store.range(MASTER_LEASES_PREFIX)
    const now = this.ctx.now().getTime()
    const ips = new Set<string>()
    for (const kv of listed.kvs) {
      let rec: EndpointsShape & KubeObject
      try {
        rec = JSON.parse(kv.value) as EndpointsShape & KubeObject
      } catch {
        continue
      }
      const expires = rec.metadata?.annotations?.[EXPIRES]
      if (!this.storeExpires && expires !== undefined && !(Date.parse(expires) > now)) {
        // Ran out: gone, unless its server renewed it meanwhile (the compare fails then).
        await this.ctx.store.txn([{ key: kv.key, target: 'modRevision', equals: kv.modRevision }], [{ type: 'delete', key: kv.key }])
        continue
      }
      const ip = rec.subsets?.[0]?.addresses?.[0]?.ip
      if (ip) ips.add(ip)
    }
    return [...ips].sort()
  }

  /** master-count: this server's address plus the others already listed, up to --apiserver-count. */
  private async masterCountIps(): Promise<string[]> {
    const cur = await this.ctx.objects.get(RES.endpoints, 'default', 'kubernetes')
    const have = (cur?.obj as EndpointsShape | undefined)?.subsets
    const samePort = have?.length === 1 && samePorts(have[0]!.ports, this.ports)
    const count = this.ctx.config.apiserverCount
    const others = count > 1 && samePort ? (have[0]!.addresses ?? []).map((a) => a.ip).filter((ip) => ip !== this.ip) : []
    return [this.ip, ...others.slice(0, count - 1)].sort()
  }

  /** Endpoints, then the slice, listing exactly `ips` on this server's port. */
  private async sync(ips: string[]): Promise<void> {
    const ports = this.ports
    const subsets = [{ addresses: ips.map((ip) => ({ ip })), ports }]
    const labels = { [SKIP_MIRROR]: 'true' }
    const cur = await this.ctx.objects.get(RES.endpoints, 'default', 'kubernetes')
    if (!cur) {
      const body = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels }, subsets }
      await createObject(this.ctx, RES.endpoints, body, 'default', false, updateTracker(RES.endpoints, APISERVER, this.ctx.now))
    } else {
      const have = (cur.obj as EndpointsShape).subsets
      const right =
        have?.length === 1 &&
        sameIps(
          (have[0]!.addresses ?? []).map((a) => a.ip),
          ips,
        ) &&
        samePorts(have[0]!.ports, ports) &&
        JSON.stringify(cur.obj.metadata?.labels ?? {}) === JSON.stringify(labels)
      if (!right) {
        await guaranteedUpdate(this.ctx, RES.endpoints, 'default', 'kubernetes', (o) => ({ ...o, metadata: { ...o.metadata, labels }, subsets }), {
          dryRun: false,
          fields: updateTracker(RES.endpoints, APISERVER, this.ctx.now),
        })
      }
    }
    // The slice upstream's adapter writes next to them (the EndpointSlice mirroring skips these Endpoints).
    const addressType = this.ip.includes(':') ? 'IPv6' : 'IPv4'
    const endpoints = ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }))
    const sliceLabels = { [SERVICE_NAME]: 'kubernetes' }
    let slice = await this.ctx.objects.get(RES.slices, 'default', 'kubernetes')
    if (slice && (slice.obj as SliceShape).addressType !== addressType) {
      // addressType cannot change: a slice of the other family goes and ours is made.
      await this.ctx.objects.delete(RES.slices, slice.obj, slice.kv.modRevision)
      slice = undefined
    }
    if (!slice) {
      const body = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: sliceLabels },
        addressType,
        endpoints,
        ports,
      }
      await createObject(this.ctx, RES.slices, body, 'default', false, updateTracker(RES.slices, APISERVER, this.ctx.now))
      return
    }
    const s = slice.obj as SliceShape & KubeObject
    const right =
      samePorts(s.ports, ports) &&
      (s.endpoints ?? []).every((e) => e.conditions?.ready === true && e.addresses?.length === 1) &&
      sameIps(
        (s.endpoints ?? []).map((e) => e.addresses?.[0] ?? ''),
        ips,
      ) &&
      s.metadata?.labels?.[SERVICE_NAME] === 'kubernetes'
    if (right) return
    await guaranteedUpdate(
      this.ctx,
      RES.slices,
      'default',
      'kubernetes',
      (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...(o.metadata?.labels ?? {}), ...sliceLabels } }, endpoints, ports }),
      { dryRun: false, fields: updateTracker(RES.slices, APISERVER, this.ctx.now) },
    )
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
