// TLS certificates per host from the Ingresses' spec.tls and their Secrets (type
// kubernetes.io/tls: tls.crt and tls.key, base64 in data). Pure: the table is built from plain
// objects; the proxy turns entries into SecureContexts (cached per Secret version) during SNI.
import { hostMatches, isWildcardHost } from './match'
import type { IngressObj, SecretObj } from '../kit/objects'

export interface TlsCert {
  /** "namespace/name" of the Secret. */
  readonly secret: string
  /** Changes whenever the Secret does: the SecureContext cache key. */
  readonly version: string
  readonly certPem: string
  readonly keyPem: string
}

export interface TlsTable {
  /** Host ('*.x' allowed) → certificate. */
  readonly hosts: ReadonlyMap<string, TlsCert>
  /** From the oldest spec.tls entry listing no hosts: served when no host matches. */
  readonly fallback?: TlsCert
  /** Ingress spec.tls entries that could not be used, with the reason (logged by the controller). */
  readonly problems: readonly string[]
  /** The certificate for an SNI name: exact host first, then a wildcard. */
  lookup(servername: string): TlsCert | undefined
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const v = data?.[key]
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined
}

/** Ingresses must be in precedence order (oldest first): the first to claim a host keeps it. */
export function buildTlsTable(ingresses: readonly IngressObj[], secrets: readonly SecretObj[]): TlsTable {
  const byKey = new Map(secrets.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]))
  const hosts = new Map<string, TlsCert>()
  const problems: string[] = []
  let fallback: TlsCert | undefined
  for (const ing of ingresses) {
    const ns = ing.metadata?.namespace ?? ''
    const where = `ingress ${ns}/${ing.metadata?.name ?? ''}`
    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue // upstream: SNI hosts without secret use the default certificate
      const key = `${ns}/${t.secretName}`
      const s = byKey.get(key)
      if (!s) {
        problems.push(`${where}: TLS secret ${key} does not exist`)
        continue
      }
      const certPem = decode(s.data, 'tls.crt')
      const keyPem = decode(s.data, 'tls.key')
      if (!certPem || !keyPem) {
        problems.push(`${where}: TLS secret ${key} lacks tls.crt or tls.key`)
        continue
      }
      const cert: TlsCert = { secret: key, version: `${key}@${s.metadata?.resourceVersion ?? ''}`, certPem, keyPem }
      // Without hosts, the API says the certificate is the listener's wildcard: our fallback.
      if (!t.hosts?.length) {
        fallback ??= cert
        continue
      }
      for (const h of t.hosts) {
        const host = h.toLowerCase()
        if (!hosts.has(host)) hosts.set(host, cert)
      }
    }
  }
  return {
    hosts,
    problems,
    fallback,
    lookup(servername: string): TlsCert | undefined {
      const name = servername.toLowerCase()
      const exact = hosts.get(name)
      if (exact) return exact
      for (const [h, c] of hosts) if (isWildcardHost(h) && hostMatches(h, name)) return c
      return undefined
    },
  }
}
