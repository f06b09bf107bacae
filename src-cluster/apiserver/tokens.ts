// Service-account tokens as upstream's TokenRequest issues them: JWTs signed with the cluster's
// service-account key (RS256 for an RSA key, ES256 for a P-256 one), with upstream's claims
// (iss, aud, sub, iat, nbf, exp and `kubernetes.io` naming the namespace, the ServiceAccount and
// the Pod or Secret the token is bound to, each with its uid). The same key's public half checks
// them; liveness (the ServiceAccount and the bound object still exist with those uids) is checked
// by the caller against the store (see `checkLive`).
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'

/** The issuer (and the API server's own audience), as kubeadm's --service-account-issuer. */
export const ISSUER = 'https://kubernetes.default.svc.cluster.local'
/** What tokens must be for to be accepted by the API server (upstream --api-audiences defaults to the issuer). */
export const API_AUDIENCES: readonly string[] = [ISSUER]

export interface BoundObject {
  kind: string
  name: string
  uid: string
}

export interface TokenClaims {
  namespace: string
  name: string
  uid: string
  audiences: string[]
  issuedAt: Date
  expires: Date
  boundObject?: BoundObject
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

function algOf(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  throw new Error(`service-account key: ${key.asymmetricKeyType} keys are not supported (use RSA or EC P-256)`)
}

/** Upstream's key id: base64url(SHA-256(DER of the public key)). */
export function keyId(publicKeyPem: string): string {
  return createHash('sha256')
    .update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' }))
    .digest('base64url')
}

export function issueServiceAccountToken(privateKeyPem: string, tokenClaims: TokenClaims): string {
  const key = createPrivateKey(privateKeyPem)
  const alg = algOf(key)
  const header = { alg, kid: keyId(createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string) }
  const iat = Math.floor(tokenClaims.issuedAt.getTime() / 1000)
  const k8s: Record<string, unknown> = { namespace: tokenClaims.namespace, serviceaccount: { name: tokenClaims.name, uid: tokenClaims.uid } }
  if (tokenClaims.boundObject?.kind === 'Pod') k8s.pod = { name: tokenClaims.boundObject.name, uid: tokenClaims.boundObject.uid }
  if (tokenClaims.boundObject?.kind === 'Secret') k8s.secret = { name: tokenClaims.boundObject.name, uid: tokenClaims.boundObject.uid }
  const payload = {
    aud: tokenClaims.audiences,
    exp: Math.floor(tokenClaims.expires.getTime() / 1000),
    iat,
    iss: ISSUER,
    'kubernetes.io': k8s,
    nbf: iat,
    sub: `system:serviceaccount:${tokenClaims.namespace}:${tokenClaims.name}`,
  }
  const input = `${b64(header)}.${b64(payload)}`
  const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key).toString('base64url')
  return `${input}.${sig}`
}

export interface VerifiedToken {
  readonly user: string
  readonly groups: string[]
  readonly namespace: string
  readonly serviceAccount: string
  /** The ServiceAccount's uid the token was issued for. */
  readonly uid: string
  readonly audiences: string[]
  readonly pod?: { name: string; uid: string }
  readonly secret?: { name: string; uid: string }
}

interface Payload {
  iss?: unknown
  aud?: unknown
  exp?: unknown
  nbf?: unknown
  sub?: unknown
  'kubernetes.io'?: {
    namespace?: string
    serviceaccount?: { name?: string; uid?: string }
    pod?: { name?: string; uid?: string }
    secret?: { name?: string; uid?: string }
  }
}

const ref = (r: { name?: string; uid?: string } | undefined): { name: string; uid: string } | undefined =>
  r?.name && r.uid ? { name: r.name, uid: r.uid } : undefined

/**
 * The service account a token speaks for, or undefined when it is not ours, forged, expired,
 * not yet valid, or meant for none of `audiences`. Says nothing about whether the
 * ServiceAccount or the bound object still exist: see checkLive.
 */
export function verifyServiceAccountToken(
  publicKeyPem: string,
  token: string,
  now: Date,
  audiences: readonly string[] = API_AUDIENCES,
): VerifiedToken | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string }
    const key = createPublicKey(publicKeyPem)
    const alg = algOf(key)
    if (header.alg !== alg) return undefined
    const input = Buffer.from(`${parts[0]}.${parts[1]}`)
    const sig = Buffer.from(parts[2]!, 'base64url')
    if (!verify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig)) return undefined
    const p = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Payload
    const t = now.getTime() / 1000
    if (p.iss !== ISSUER || typeof p.exp !== 'number' || p.exp < t) return undefined
    // Upstream allows a minute of clock skew before nbf.
    if (typeof p.nbf === 'number' && p.nbf > t + 60) return undefined
    const aud = typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) ? p.aud.filter((a): a is string => typeof a === 'string') : []
    const matched = aud.filter((a) => audiences.includes(a))
    if (!matched.length) return undefined
    const k = p['kubernetes.io']
    const ns = k?.namespace
    const sa = k?.serviceaccount
    if (!ns || !sa?.name || !sa.uid) return undefined
    if (p.sub !== `system:serviceaccount:${ns}:${sa.name}`) return undefined
    return {
      user: `system:serviceaccount:${ns}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      namespace: ns,
      serviceAccount: sa.name,
      uid: sa.uid,
      audiences: matched,
      pod: ref(k.pod),
      secret: ref(k.secret),
    }
  } catch {
    return undefined
  }
}

/** What checkLive needs from the store: an object's uid and deletionTimestamp, or undefined. */
export type LiveLookup = (
  kind: 'ServiceAccount' | 'Pod' | 'Secret',
  namespace: string,
  name: string,
) => Promise<{ uid?: string; deletionTimestamp?: string } | undefined>

/**
 * Upstream's validator: the ServiceAccount must still exist with the uid the token names (a
 * deleted, or deleted and re-created, account ends its tokens), and so must the bound Pod or
 * Secret; a pod deleting for more than a minute no longer counts. Returns why not, or undefined.
 */
export async function checkLive(verifiedToken: VerifiedToken, lookup: LiveLookup, now: Date): Promise<string | undefined> {
  const sa = await lookup('ServiceAccount', verifiedToken.namespace, verifiedToken.serviceAccount)
  if (!sa) return `service account ${verifiedToken.namespace}/${verifiedToken.serviceAccount} has been deleted`
  if (sa.uid !== verifiedToken.uid) return `service account UID (${verifiedToken.uid}) does not match claim (${sa.uid})`
  if (verifiedToken.secret) {
    const s = await lookup('Secret', verifiedToken.namespace, verifiedToken.secret.name)
    if (!s) return `secret ${verifiedToken.namespace}/${verifiedToken.secret.name} has been deleted`
    if (s.uid !== verifiedToken.secret.uid) return `secret UID (${verifiedToken.secret.uid}) does not match claim (${s.uid})`
  }
  if (verifiedToken.pod) {
    const p = await lookup('Pod', verifiedToken.namespace, verifiedToken.pod.name)
    if (!p) return `pod ${verifiedToken.namespace}/${verifiedToken.pod.name} has been deleted`
    if (p.uid !== verifiedToken.pod.uid) return `pod UID (${verifiedToken.pod.uid}) does not match claim (${p.uid})`
    if (p.deletionTimestamp && Date.parse(p.deletionTimestamp) < now.getTime() - 60_000)
      return `pod ${verifiedToken.namespace}/${verifiedToken.pod.name} is being deleted`
  }
  return undefined
}

/** The OpenID discovery document upstream serves at /.well-known/openid-configuration. */
export function openIdConfiguration(publicKeyPem: string): Record<string, unknown> {
  return {
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/openid/v1/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [algOf(createPublicKey(publicKeyPem))],
  }
}

/** The key set at /openid/v1/jwks: the service-account public key as a JWK with its kid. */
export function jwks(publicKeyPem: string): { keys: Record<string, unknown>[] } {
  const key = createPublicKey(publicKeyPem)
  return { keys: [{ use: 'sig', kid: keyId(publicKeyPem), alg: algOf(key), ...(key.export({ format: 'jwk' }) as Record<string, unknown>) }] }
}
