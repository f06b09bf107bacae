// APIServerIdentity, as upstream's kube-apiserver keeps it: a Lease in kube-system named
// `apiserver-<hash of the hostname>`, labelled apiserver.kubernetes.io/identity=kube-apiserver
// and kubernetes.io/hostname, held as `<name>_<uuid>` for this run, lasting 3600 s and renewed
// every 10 s; and a garbage collector in every API server that deletes such Leases that have
// run out (checked every hour), so a control-plane node that is gone leaves none behind.
import { createHash, randomUUID } from 'node:crypto'
import type { KubeObject } from '../api/object'
import type { ServerContext } from './context'
import { updateTracker } from './fieldmanager'
import { createObject, guaranteedUpdate } from './handlers/write'
import { ApiError } from './status'
import { RES } from '../kit/resources'
import { microTime } from '../kit/time'

export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity'
const HOSTNAME_LABEL = 'kubernetes.io/hostname'
const APISERVER = { manager: 'kube-apiserver' }

export interface IdentityLeaseOptions {
  /** Upstream hashes the host's name; KubeLab's local nodes share one, so the node's name is passed. */
  readonly hostname: string
  /** How long the Lease lasts without renewal (upstream 3600 s). */
  readonly durationSeconds: number
  /** How often it is renewed (upstream 10 s). */
  readonly renewIntervalMs: number
  /** How often expired identity Leases are looked for (upstream 1 h). */
  readonly gcPeriodMs: number
  readonly log: (line: string) => void
}

interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  renewTime?: string
}

/** RFC 4648 base32, no padding, lower case (Go's base32.StdEncoding.WithPadding(NoPadding), lowered). */
function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = ''
  let bits = 0
  let acc = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31]
  return out
}

/** Upstream's identity: sha256 over the length-prefixed hostname and "kube-apiserver", first 16 bytes in base32. */
export function apiserverIdentity(hostname: string): string {
  const field = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8')
    const len = Buffer.alloc(2)
    len.writeUInt16BE(b.length)
    return Buffer.concat([len, b])
  }
  const hash = createHash('sha256')
    .update(Buffer.concat([field(hostname), field('kube-apiserver')]))
    .digest()
  return `apiserver-${base32(hash.subarray(0, 16))}`
}

export function leaseExpired(spec: LeaseSpec | undefined, now: number): boolean {
  if (!spec?.renewTime || spec.leaseDurationSeconds === undefined) return true
  return Date.parse(spec.renewTime) + spec.leaseDurationSeconds * 1000 < now
}

export class IdentityLease {
  readonly name: string
  readonly holder: string
  private renewTimer: NodeJS.Timeout | undefined
  private gcTimer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: IdentityLeaseOptions,
  ) {
    this.name = apiserverIdentity(opts.hostname)
    this.holder = `${this.name}_${randomUUID()}`
  }

  /** Write the Lease now, then renew it and collect expired ones on their timers (failures are logged, never thrown). */
  async start(): Promise<void> {
    const logged = (what: string) => (e: unknown) => this.opts.log(`apiserver: ${what}: ${e instanceof Error ? e.message : String(e)}`)
    await this.serially(() => this.renew()).catch(logged(`writing Lease kube-system/${this.name}`))
    this.renewTimer = setInterval(
      () => void this.serially(() => this.renew()).catch(logged(`renewing Lease kube-system/${this.name}`)),
      this.opts.renewIntervalMs,
    )
    this.gcTimer = setInterval(
      () => void this.serially(() => this.collect()).catch(logged('collecting expired API server identity Leases')),
      this.opts.gcPeriodMs,
    )
    this.renewTimer.unref()
    this.gcTimer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.renewTimer)
    clearInterval(this.gcTimer)
    await this.chain.catch(() => undefined)
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(() => (this.stopped ? undefined : fn()))
    this.chain = next.catch(() => undefined)
    return next
  }

  private async renew(): Promise<void> {
    const renewTime = microTime(this.ctx.now())
    const labels = { [IDENTITY_LABEL]: 'kube-apiserver', [HOSTNAME_LABEL]: this.opts.hostname }
    const spec = { holderIdentity: this.holder, leaseDurationSeconds: this.opts.durationSeconds, renewTime }
    const fields = updateTracker(RES.leases, APISERVER, this.ctx.now)
    if (!(await this.ctx.objects.get(RES.leases, 'kube-system', this.name))) {
      const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: 'kube-system', labels }, spec }
      try {
        await createObject(this.ctx, RES.leases, body, 'kube-system', false, fields)
        return
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e
      }
    }
    await guaranteedUpdate(
      this.ctx,
      RES.leases,
      'kube-system',
      this.name,
      (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...(o.metadata?.labels ?? {}), ...labels } }, spec: { ...((o.spec as object) ?? {}), ...spec } }),
      { dryRun: false, fields },
    )
  }

  /** Delete identity Leases (this server's aside) whose renewTime + duration has passed, each checked again right before. */
  private async collect(): Promise<void> {
    const now = this.ctx.now().getTime()
    for (const { obj } of (await this.ctx.objects.list(RES.leases, 'kube-system')).items) {
      if (obj.metadata?.labels?.[IDENTITY_LABEL] !== 'kube-apiserver' || obj.metadata.name === this.name) continue
      if (!leaseExpired(obj.spec as LeaseSpec, now)) continue
      const fresh = await this.ctx.objects.get(RES.leases, 'kube-system', obj.metadata.name!)
      if (!fresh || !leaseExpired(fresh.obj.spec as LeaseSpec, now)) continue
      // The compare on the revision leaves a Lease alone that was renewed in between.
      if (await this.ctx.objects.delete(RES.leases, fresh.obj as KubeObject, fresh.kv.modRevision))
        this.opts.log(`apiserver: deleted expired identity Lease kube-system/${obj.metadata.name}`)
    }
  }
}
