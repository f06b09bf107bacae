// Who is asking: a client certificate signed by the cluster CA (CN = user, O = groups), a
// static token from the data dir's tokens file, or a service-account token. No credentials → 401.
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { timingSafeEqual } from 'node:crypto'
import type { User } from './context'
import { verifyServiceAccountToken } from './tokens'

export interface StaticToken {
  readonly token: string
  readonly user: string
  readonly uid: string
  readonly groups: readonly string[]
}

export interface Authenticator {
  authenticate(req: IncomingMessage): User | undefined
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function createAuthenticator(opts: { staticTokens: readonly StaticToken[]; serviceAccountPubPem: string; now: () => Date }): Authenticator {
  return {
    authenticate(req) {
      const sock = req.socket as TLSSocket
      if (sock.authorized) {
        const cert = sock.getPeerCertificate()
        if (cert && cert.subject) {
          const cn = cert.subject.CN
          const o = cert.subject.O
          const groups = Array.isArray(o) ? o : o ? [o] : []
          if (cn) return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'] }
        }
      }
      const h = req.headers.authorization
      if (h && /^bearer /i.test(h)) {
        const token = h.slice(7).trim()
        for (const t of opts.staticTokens) {
          if (sameSecret(t.token, token)) return { name: t.user, uid: t.uid, groups: [...t.groups, 'system:authenticated'] }
        }
        const sa = verifyServiceAccountToken(opts.serviceAccountPubPem, token, opts.now())
        if (sa) return { name: sa.user, uid: sa.uid, groups: sa.groups }
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
    out.push({ token: m[1]!, user: m[2]!, uid: m[3]!, groups: m[4] ? m[4].split(',').map((g) => g.trim()).filter(Boolean) : [] })
  }
  return out
}
