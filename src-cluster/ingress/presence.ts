// Which nodes serve Ingress traffic: every controller instance keeps a Lease in kube-system
// (ingress-NODE, labelled kubelab.dev/component=ingress, its address in an annotation) renewed
// every few seconds and deleted on shutdown. Ingress status lists the addresses of live Leases,
// so a stopped or lost node drops out of the ADDRESS column once its Lease expires.
import type { Client } from '../client'
import { isAlreadyExists, isNotFound } from '../client'
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import { ADDRESS_ANNOTATION, PRESENCE_LABEL, PRESENCE_LABEL_VALUE, PRESENCE_NAMESPACE } from './types'
import type { LeaseObj } from '../kit/objects'
import { RES } from '../kit/resources'
import { microTime } from '../kit/time'

export const PRESENCE_SELECTOR = `${PRESENCE_LABEL}=${PRESENCE_LABEL_VALUE}`

export interface Instance {
  readonly node: string
  readonly address: string
}

export function presenceLeaseName(node: string): string {
  return `ingress-${node}`
}

/** Live instances (Lease renewed within its duration), sorted by node name. */
export function liveInstances(leases: readonly LeaseObj[], now: Date): Instance[] {
  const out: Instance[] = []
  for (const l of leases) {
    if (l.metadata?.labels?.[PRESENCE_LABEL] !== PRESENCE_LABEL_VALUE) continue
    const address = l.metadata?.annotations?.[ADDRESS_ANNOTATION]
    const node = l.spec?.holderIdentity
    const renew = l.spec?.renewTime ? Date.parse(l.spec.renewTime) : NaN
    const ttl = (l.spec?.leaseDurationSeconds ?? 0) * 1000
    if (!address || !node || Number.isNaN(renew) || renew + ttl < now.getTime()) continue
    out.push({ node, address })
  }
  return out.sort((a, b) => a.node.localeCompare(b.node))
}

export interface PresenceOptions {
  readonly node: string
  readonly address: string
  /** Renew this often. Default 10 s. */
  readonly renewMs?: number
  /** Lease duration. Default 40 s (as node Leases). */
  readonly durationSeconds?: number
  readonly clock?: Clock
  readonly log?: (line: string) => void
}

export class Presence {
  private timer: TimerHandle | undefined
  private stopped = false
  private readonly clock: Clock

  constructor(
    private readonly client: Client,
    private readonly opts: PresenceOptions,
  ) {
    this.clock = opts.clock ?? realClock
  }

  /** Writes the Lease once (failing loudly), then keeps renewing it in the background. */
  async start(): Promise<void> {
    await this.renew()
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = this.clock.after(this.opts.renewMs ?? 10_000, () => {
      this.renew().then(
        () => this.schedule(),
        (e: unknown) => {
          this.opts.log?.(`ingress: renewing presence lease failed, retrying: ${(e as Error).message}`)
          this.schedule()
        },
      )
    })
  }

  private async renew(): Promise<void> {
    const name = presenceLeaseName(this.opts.node)
    const spec = { holderIdentity: this.opts.node, leaseDurationSeconds: this.opts.durationSeconds ?? 40, renewTime: microTime(this.clock.now()) }
    const metadata = {
      name,
      namespace: PRESENCE_NAMESPACE,
      labels: { [PRESENCE_LABEL]: PRESENCE_LABEL_VALUE },
      annotations: { [ADDRESS_ANNOTATION]: this.opts.address },
    }
    try {
      await this.client.patch(RES.leases, PRESENCE_NAMESPACE, name, { metadata: { labels: metadata.labels, annotations: metadata.annotations }, spec }, 'merge')
    } catch (e) {
      if (!isNotFound(e)) throw e
      try {
        await this.client.create(RES.leases, PRESENCE_NAMESPACE, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec })
      } catch (e2) {
        if (!isAlreadyExists(e2)) throw e2
      }
    }
  }

  /** Stop renewing and delete the Lease, so status stops listing this node at once. */
  async stop(): Promise<void> {
    this.stopped = true
    this.timer?.cancel()
    await this.client.delete(RES.leases, PRESENCE_NAMESPACE, presenceLeaseName(this.opts.node)).catch((e: unknown) => {
      this.opts.log?.(`ingress: could not delete presence lease: ${(e as Error).message}`)
    })
  }
}
