// Who is asking: a client certificate signed by the cluster CA (CN = user, O = groups), a
// static token from the data dir's tokens file, or a service-account token (signed by the
// service-account key, for the API server's audience, unexpired, and its ServiceAccount and
// bound Pod/Secret still there with the uids it names, as upstream checks). A request with no
// credentials at all is system:anonymous in group system:unauthenticated, as upstream's
// anonymous authenticator makes it (RBAC then decides: /version and the health endpoints are
// public, the rest 403). Credentials that do not check out are never anonymous: 401.
import type { ApiRequest } from './exchange'
import type { TLSSocket } from 'node:tls'
import { timingSafeEqual, X509Certificate } from 'node:crypto'
import type { User } from './context'
import { findResource } from '../api/resources'
import type { ObjectStore } from './registry/objects'
import { checkLive, verifyServiceAccountToken, type LiveLookup } from './tokens'

export interface StaticToken {
  readonly token: string
  readonly user: string
  readonly uid: string
  readonly groups: readonly string[]
}

export interface Authenticator {
  /** The caller; undefined when it presented credentials that are not valid (→ 401). */
  authenticate(req: ApiRequest): Promise<User | undefined>
}

export const ANONYMOUS: User = { name: 'system:anonymous', groups: ['system:unauthenticated'] }

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export interface Peer {
  readonly presentedCert: boolean
  /** The user its verified certificate names (CN, O groups). */
  readonly user?: User
}

/**
 * What a connection's client certificate says, read once per connection: the certificate and
 * its verification are fixed at the handshake, and getPeerCertificate() builds a new object
 * on every call.
 */
const peers = new WeakMap<object, Peer>()

/**
 * A connection of the in-process transport (no TLS, so no handshake certificate): it carries
 * the identity of the client certificate its client was configured with, verified once by
 * `inProcessPeer` as the TLS handshake would have (signed by the cluster CA, within its validity).
 */
export function markInProcessPeer(sock: object, peer: Peer): void {
  peers.set(sock, peer)
}

/**
 * What a client certificate PEM proves, checked as the serving TLS context checks a presented
 * one: issued and signed by the CA and valid now. A certificate that does not check out is
 * presented but names no one (401 unless a bearer token stands in, as over TLS).
 */
export function inProcessPeer(certPem: string | undefined, caPem: string, now: Date): Peer {
  if (!certPem) return { presentedCert: false }
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch {
    return { presentedCert: true }
  }
  const ca = new X509Certificate(caPem)
  const t = now.getTime()
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo)) return { presentedCert: true }
  const fields = cert.subject.split('\n').map((l) => l.split('='))
  const cn = fields.find(([k]) => k === 'CN')?.[1]
  const groups = fields.filter(([k]) => k === 'O').map(([, v]) => v ?? '')
  if (!cn) return { presentedCert: true }
  return { presentedCert: true, user: { name: cn, groups: [...groups, 'system:authenticated'] } }
}

function peerOf(sock: TLSSocket): Peer {
  let p = peers.get(sock)
  if (p !== undefined) return p
  const cert = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined
  const presentedCert = !!cert && Object.keys(cert).length > 0
  p = { presentedCert }
  if (sock.authorized && presentedCert && cert.subject) {
    const cn = cert.subject.CN
    const o = cert.subject.O
    const groups = Array.isArray(o) ? o : o ? [o] : []
    if (cn) p = { presentedCert, user: { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'] } }
  }
  // Only once the handshake is over (authorized is final); a plain socket has no certificate.
  if (typeof sock.getPeerCertificate !== 'function' || sock.authorized || sock.authorizationError) peers.set(sock, p)
  return p
}

export function createAuthenticator(opts: {
  staticTokens: readonly StaticToken[]
  serviceAccountPubPem: string
  now: () => Date
  lookup: LiveLookup
}): Authenticator {
  return {
    async authenticate(req) {
      const { presentedCert, user } = peerOf(req.socket as TLSSocket)
      if (user) return { name: user.name, groups: [...user.groups] }
      const h = req.headers.authorization
      const bearer = !!h && /^bearer /i.test(h)
      // A certificate from another CA, expired or without a name: refused, not anonymous.
      if (presentedCert && !bearer) return undefined
      if (!bearer) return ANONYMOUS
      if (h) {
        const token = h.slice(7).trim()
        for (const t of opts.staticTokens) {
          if (sameSecret(t.token, token)) return { name: t.user, uid: t.uid, groups: [...t.groups, 'system:authenticated'] }
        }
        const sa = verifyServiceAccountToken(opts.serviceAccountPubPem, token, opts.now())
        if (sa && !(await checkLive(sa, opts.lookup, opts.now()))) {
          const extra: Record<string, string[]> = {}
          if (sa.pod) Object.assign(extra, { 'authentication.kubernetes.io/pod-name': [sa.pod.name], 'authentication.kubernetes.io/pod-uid': [sa.pod.uid] })
          return { name: sa.user, uid: sa.uid, groups: sa.groups, ...(Object.keys(extra).length ? { extra } : {}) }
        }
      }
      return undefined
    },
  }
}

/** tokens.csv in upstream's format: token,user,uid,"group1,group2" */
export function parseTokenFile(text: string): StaticToken[] {
  const out: StaticToken[] = []
  for (const line of text.split('\n')) {
    const l = line.trim()
    if (!l || l.startsWith('#')) continue
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(l)
    if (!m) continue
    out.push({
      token: m[1]!,
      user: m[2]!,
      uid: m[3]!,
      groups: m[4]
        ? m[4]
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [],
    })
  }
  return out
}

const LIVE_KINDS = {
  ServiceAccount: findResource('', 'v1', 'serviceaccounts')!,
  Pod: findResource('', 'v1', 'pods')!,
  Secret: findResource('', 'v1', 'secrets')!,
}

/** Service-account token liveness checked against the store (ServiceAccount, bound Pod or Secret). */
export function storeLookup(objects: ObjectStore): LiveLookup {
  return async (kind, ns, name) => {
    const o = await objects.get(LIVE_KINDS[kind], ns, name)
    return o && { uid: o.obj.metadata?.uid, deletionTimestamp: o.obj.metadata?.deletionTimestamp ?? undefined }
  }
}
