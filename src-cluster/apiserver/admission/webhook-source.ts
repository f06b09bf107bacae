// The admission webhook configurations (mutating and validating) and the ValidatingAdmissionPolicies
// with their bindings, kept in memory by a store watch, for the webhook and policy plugins in
// webhooks.ts and policies.ts; apart so the server context can name it.
import type { KubeObject } from '../../api/object'
import { findResource, type ResourceInfo } from '../../api/resources'
import type { KeyValue, Storage, Watcher } from '../../store/types'
import { decodeFor, resourcePrefix } from '../registry/objects'
import type { Webhook } from './webhook-rules'

const GROUP = 'admissionregistration.k8s.io'
const MUTATING = findResource(GROUP, 'v1', 'mutatingwebhookconfigurations')!
const VALIDATING = findResource(GROUP, 'v1', 'validatingwebhookconfigurations')!
const POLICIES = findResource(GROUP, 'v1', 'validatingadmissionpolicies')!
const BINDINGS = findResource(GROUP, 'v1', 'validatingadmissionpolicybindings')!

export interface WebhookEntry {
  readonly config: string
  readonly hook: Webhook
}

/** The webhook configurations in memory, kept current by a watch (a compacted watch re-lists). */
export class WebhookSource {
  private readonly configs = new Map<typeof MUTATING, Map<string, KubeObject>>([
    [MUTATING, new Map()],
    [VALIDATING, new Map()],
    [POLICIES, new Map()],
    [BINDINGS, new Map()],
  ])
  private readonly watchers: Watcher[] = []
  private closed = false

  constructor(private readonly store: Storage) {}

  async load(): Promise<void> {
    await this.sync(MUTATING)
    await this.sync(VALIDATING)
    await this.sync(POLICIES)
    await this.sync(BINDINGS)
  }

  private async sync(res: ResourceInfo): Promise<void> {
    const m = this.configs.get(res)!
    const r = await this.store.range(resourcePrefix(res))
    m.clear()
    const put = (kv: KeyValue) => {
      const o = decodeFor(res, kv)
      m.set(o.metadata?.name ?? '', o)
    }
    for (const kv of r.kvs) put(kv)
    this.watchers.push(
      this.store.watch(
        resourcePrefix(res),
        { afterRevision: r.revision },
        (events) => {
          for (const e of events) {
            if (e.type === 'put') put(e.kv)
            else m.delete(e.kv.key.slice(resourcePrefix(res).length))
          }
        },
        (err) => {
          if (this.closed || err.code === 'closed') return
          void this.sync(res).catch(() => undefined)
        },
      ),
    )
  }

  /** Whether any configuration exists (writes skip building admission attributes otherwise). */
  configured(): boolean {
    for (const m of this.configs.values()) if (m.size) return true
    return false
  }

  /** Webhooks of one kind in upstream's order: configurations by name, then as listed. */
  hooks(mutating: boolean): WebhookEntry[] {
    const m = this.configs.get(mutating ? MUTATING : VALIDATING)!
    return [...m.keys()].sort().flatMap((config) => ((m.get(config)!.webhooks as Webhook[] | undefined) ?? []).map((hook) => ({ config, hook })))
  }

  /** ValidatingAdmissionPolicies by name. */
  policies(): ReadonlyMap<string, KubeObject> {
    return this.configs.get(POLICIES)!
  }

  /** ValidatingAdmissionPolicyBindings, by name in name order. */
  bindings(): KubeObject[] {
    const m = this.configs.get(BINDINGS)!
    return [...m.keys()].sort().map((k) => m.get(k)!)
  }

  close(): void {
    this.closed = true
    for (const w of this.watchers) w.cancel()
  }
}
