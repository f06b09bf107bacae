// Service-account tokens: RS256 JWTs signed with the cluster's service-account key, bound to a
// ServiceAccount (and optionally a Pod), expiring. The same key verifies them on requests.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'

export const ISSUER = 'https://kubernetes.default.svc.cluster.local'

export interface TokenClaims {
  namespace: string
  name: string
  uid: string
  audiences: string[]
  issuedAt: Date
  expires: Date
  boundObject?: { kind?: string; name?: string; uid?: string }
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

export function issueServiceAccountToken(privateKeyPem: string, c: TokenClaims): string {
  const header = { alg: 'RS256', typ: 'JWT' }
  const iat = Math.floor(c.issuedAt.getTime() / 1000)
  const k8s: Record<string, unknown> = { namespace: c.namespace, serviceaccount: { name: c.name, uid: c.uid } }
  if (c.boundObject?.kind === 'Pod') k8s.pod = { name: c.boundObject.name, uid: c.boundObject.uid }
  const payload = {
    iss: ISSUER,
    aud: c.audiences,
    sub: `system:serviceaccount:${c.namespace}:${c.name}`,
    iat,
    nbf: iat,
    exp: Math.floor(c.expires.getTime() / 1000),
    'kubernetes.io': k8s,
  }
  const input = `${b64(header)}.${b64(payload)}`
  const sig = sign('sha256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')
  return `${input}.${sig}`
}

export interface VerifiedToken {
  readonly user: string
  readonly groups: string[]
  readonly namespace: string
  readonly serviceAccount: string
  readonly uid: string
}

/** The service account a token speaks for, or undefined when it is not ours, forged or expired. */
export function verifyServiceAccountToken(publicKeyPem: string, token: string, now: Date): VerifiedToken | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(publicKeyPem), Buffer.from(parts[2]!, 'base64url'))
    if (!ok) return undefined
    const p = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as {
      iss?: string
      exp?: number
      'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string; uid?: string } }
    }
    if (p.iss !== ISSUER || typeof p.exp !== 'number' || p.exp * 1000 < now.getTime()) return undefined
    const ns = p['kubernetes.io']?.namespace
    const sa = p['kubernetes.io']?.serviceaccount
    if (!ns || !sa?.name) return undefined
    return {
      user: `system:serviceaccount:${ns}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      namespace: ns,
      serviceAccount: sa.name,
      uid: sa.uid ?? '',
    }
  } catch {
    return undefined
  }
}
