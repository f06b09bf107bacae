// Answers for names in the cluster domain, following the Kubernetes DNS specification:
//   <svc>.<ns>.svc.<domain>            A: cluster IP, or every ready endpoint of a headless service
//   <host>.<svc>.<ns>.svc.<domain>     A: one endpoint of a headless service (hostname or dashed IP)
//   _<port>._<proto>.<svc>.<ns>.svc... SRV: the named port, targets as above
//   <a-b-c-d>.<ns>.pod.<domain>        A: the address in the name
//   d.c.b.a.in-addr.arpa               PTR: service cluster IPs and headless endpoints
// Unknown names in the domain are NXDOMAIN; known names without data of the asked type are NODATA.
// Anything else is for the upstream resolver (the caller forwards it).
import type { Answer, Question } from 'dns-packet'
import { ipToNumber } from '../kit/ipv4'
import { dashed, type DnsIndex, type DnsEndpoint } from './index-data'

/** Positive answers (CoreDNS's kubernetes plugin default). */
export const ANSWER_TTL = 5
/** Negative answers: the SOA's TTL and minimum. */
export const NEGATIVE_TTL = 30

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const

export interface Reply {
  readonly rcode: number
  readonly answers: Answer[]
  readonly authorities: Answer[]
  readonly additionals: Answer[]
}

export type Resolution = Reply | { readonly forward: true }

const lower = (s: string): string => s.toLowerCase().replace(/\.$/, '')

export function soa(domain: string, ttl = NEGATIVE_TTL): Answer {
  return {
    name: domain,
    type: 'SOA',
    ttl,
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: NEGATIVE_TTL },
  }
}

export function resolveQuestion(question: Question, index: DnsIndex, domainIn: string): Resolution {
  const domain = lower(domainIn)
  const name = lower(question.name)
  if (name.endsWith('.in-addr.arpa')) return reverse(name, question, index, domain)
  if (name !== domain && !name.endsWith(`.${domain}`)) return { forward: true }
  const labels = name === domain ? [] : name.slice(0, -(domain.length + 1)).split('.')
  const nx = (): Reply => ({ rcode: RCODE.NXDOMAIN, answers: [], authorities: [soa(domain)], additionals: [] })
  const nodata = (): Reply => ({ rcode: RCODE.NOERROR, answers: [], authorities: [soa(domain)], additionals: [] })
  const ok = (answers: Answer[], additionals: Answer[] = []): Reply =>
    answers.length ? { rcode: RCODE.NOERROR, answers, authorities: [], additionals } : nodata()

  if (labels.length === 0) return question.type === 'SOA' ? ok([soa(domain, ANSWER_TTL)]) : nodata()
  const zone = labels[labels.length - 1]
  const rest = labels.slice(0, -1)

  if (zone === 'pod') {
    if (rest.length === 0) return nodata()
    if (rest.length === 1) return index.hasNamespace(rest[0]!) ? nodata() : nx()
    if (rest.length !== 2) return nx()
    const ip = rest[0]!.replace(/-/g, '.')
    if (ipToNumber(ip) === undefined) return nx()
    return isType(question, 'A') ? ok([a(name, ip)]) : nodata()
  }
  if (zone !== 'svc') return nx()
  if (rest.length === 0) return nodata()
  if (rest.length === 1) return index.hasNamespace(rest[0]!) ? nodata() : nx()
  const ns = rest[rest.length - 1]!
  const svcName = rest[rest.length - 2]!
  const svc = index.service(ns, svcName)
  if (!svc) return nx()
  const svcFqdn = `${svcName}.${ns}.svc.${domain}`
  const headless = !svc.spec?.clusterIP || svc.spec.clusterIP === 'None'
  const eps = index.endpointsOf(ns, svcName)
  const hostOf = (e: DnsEndpoint): string => `${e.hostname ?? dashed(e.ip)}.${svcFqdn}`

  if (rest.length === 2) {
    if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
      return ok([{ name, type: 'CNAME', ttl: ANSWER_TTL, data: lower(svc.spec.externalName) }])
    }
    if (isType(question, 'A')) {
      if (!headless) return ok([a(name, svc.spec!.clusterIP!)])
      return ok(eps.map((e) => a(name, e.ip)))
    }
    if (question.type === 'SRV') {
      // Every named port: one record per port (cluster IP) or per port and endpoint (headless).
      const answers: Answer[] = []
      const additionals: Answer[] = []
      for (const p of svc.spec?.ports ?? []) {
        if (!p.name) continue
        const proto = p.protocol ?? 'TCP'
        answers.push(...srvFor(name, svcFqdn, headless, svc.spec?.clusterIP, p.port, `${p.name}/${proto}`, eps, hostOf, additionals))
      }
      return ok(answers, dedupe(additionals))
    }
    return nodata()
  }
  if (rest.length === 3) {
    // <host>.<svc>.<ns>.svc: an endpoint of a headless service.
    const host = rest[0]!
    const e = headless ? eps.find((x) => (x.hostname ?? dashed(x.ip)) === host) : undefined
    if (!e) return nx()
    return isType(question, 'A') ? ok([a(name, e.ip)]) : nodata()
  }
  if (rest.length === 4 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
    const portName = rest[0]!.slice(1)
    const proto = rest[1]!.slice(1).toUpperCase()
    const p = (svc.spec?.ports ?? []).find((x) => x.name === portName && (x.protocol ?? 'TCP') === proto)
    if (!p) return nx()
    if (!isType(question, 'SRV')) return nodata()
    const additionals: Answer[] = []
    return ok(srvFor(name, svcFqdn, headless, svc.spec?.clusterIP, p.port, `${portName}/${proto}`, eps, hostOf, additionals), dedupe(additionals))
  }
  return nx()
}

function srvFor(
  name: string,
  svcFqdn: string,
  headless: boolean,
  clusterIP: string | undefined,
  servicePort: number,
  portKey: string,
  eps: readonly DnsEndpoint[],
  hostOf: (e: DnsEndpoint) => string,
  additionals: Answer[],
): Answer[] {
  if (!headless && clusterIP) {
    additionals.push(a(svcFqdn, clusterIP))
    return [{ name, type: 'SRV', ttl: ANSWER_TTL, data: { priority: 0, weight: 100, port: servicePort, target: svcFqdn } }]
  }
  const out: Answer[] = []
  const weight = eps.length ? Math.max(1, Math.floor(100 / eps.length)) : 100
  for (const e of eps) {
    const port = e.ports.get(portKey)
    if (port === undefined) continue
    out.push({ name, type: 'SRV', ttl: ANSWER_TTL, data: { priority: 0, weight, port, target: hostOf(e) } })
    additionals.push(a(hostOf(e), e.ip))
  }
  return out
}

function reverse(name: string, q: Question, index: DnsIndex, domain: string): Resolution {
  const parts = name.slice(0, -'.in-addr.arpa'.length).split('.')
  if (parts.length !== 4) return { forward: true }
  const ip = parts.reverse().join('.')
  if (ipToNumber(ip) === undefined) return { forward: true }
  const svc = index.serviceByIP(ip)
  const target = svc
    ? `${svc.metadata?.name}.${svc.metadata?.namespace}.svc.${domain}`
    : index.endpointNameByIP(ip)
      ? `${index.endpointNameByIP(ip)}.svc.${domain}`
      : undefined
  if (!target) return { forward: true }
  if (!isType(q, 'PTR')) return { rcode: RCODE.NOERROR, answers: [], authorities: [soa(domain)], additionals: [] }
  return { rcode: RCODE.NOERROR, answers: [{ name, type: 'PTR', ttl: ANSWER_TTL, data: target }], authorities: [], additionals: [] }
}

/** The question asks for `type` (or for everything: ANY, which dns-packet's types leave out). */
function isType(q: Question, type: string): boolean {
  const t: string = q.type
  return t === type || t === 'ANY'
}

function a(name: string, ip: string): Answer {
  return { name, type: 'A', ttl: ANSWER_TTL, data: ip }
}

function dedupe(list: Answer[]): Answer[] {
  const seen = new Set<string>()
  return list.filter((x) => {
    const k = `${x.name}|${x.type}|${JSON.stringify('data' in x ? x.data : '')}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
