// The kubelet's token manager, as upstream's: service-account tokens for projected volumes come
// from the TokenRequest API, bound to the pod (name and uid), are cached per account, audience,
// duration and pod, and are fetched again once 80% of their lifetime has passed (or 24 hours),
// so the file in the pod is always a valid token. Expired entries are dropped.
import type { Pod } from 'kubernetes-types/core/v1'
import type { Client } from '../client'
import { ConfigError } from './env'
import { findResource } from '../api/resources'

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!
const MAX_TTL_MS = 24 * 3600_000

interface Cached {
  token: string
  issuedAt: number
  expires: number
}

interface TokenRequestAnswer {
  spec?: { expirationSeconds?: number }
  status?: { token?: string; expirationTimestamp?: string }
}

export class TokenManager {
  private readonly cache = new Map<string, Cached>()

  constructor(
    private readonly client: Pick<Client, 'createSubresource'>,
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, req: { audience?: string; expirationSeconds: number }): Promise<string> {
    const ns = pod.metadata?.namespace ?? 'default'
    const sa = pod.spec?.serviceAccountName || 'default'
    const key = JSON.stringify([ns, sa, req.audience ?? '', req.expirationSeconds, pod.metadata?.uid])
    const now = this.now()
    for (const [k, c] of this.cache) if (c.expires <= now) this.cache.delete(k)
    const hit = this.cache.get(key)
    if (hit && !this.needsRefresh(hit, now)) return hit.token
    let answer: TokenRequestAnswer
    try {
      answer = await this.client.createSubresource<TokenRequestAnswer>(SERVICE_ACCOUNTS, ns, sa, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(req.audience ? { audiences: [req.audience] } : {}),
          expirationSeconds: req.expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      })
    } catch (e) {
      // A token that is still valid keeps the pod going while the API server cannot answer.
      if (hit && hit.expires > now) return hit.token
      throw new ConfigError(`failed to fetch token: ${(e as Error).message}`)
    }
    const token = answer.status?.token
    const expires = Date.parse(answer.status?.expirationTimestamp ?? '')
    if (!token || !Number.isFinite(expires)) throw new ConfigError('failed to fetch token: the TokenRequest answer has no token')
    const seconds = answer.spec?.expirationSeconds ?? req.expirationSeconds
    const fresh = { token, expires, issuedAt: expires - seconds * 1000 }
    this.cache.set(key, fresh)
    return token
  }

  /** Upstream's requiresRefresh: older than 24 hours, or within the last 20% of its lifetime. */
  private needsRefresh(c: Cached, now: number): boolean {
    if (now >= c.issuedAt + MAX_TTL_MS) return true
    return now >= c.expires - (c.expires - c.issuedAt) * 0.2
  }
}
