// The cluster DNS server: UDP and TCP on one address, answering the cluster domain from a
// DnsIndex and relaying everything else to an upstream resolver (SERVFAIL when it does not
// answer in time). UDP answers too big for the client's buffer are truncated (TC) so it retries
// over TCP, as resolvers do.
import dgram from 'node:dgram'
import net from 'node:net'
import { readFileSync } from 'node:fs'
import * as dnsPacket from 'dns-packet'
import type { DecodedPacket, Packet } from 'dns-packet'
import { RCODE, resolveQuestion } from './answer'
import type { DnsIndex } from './index-data'

export interface DnsServerOptions {
  /** Address to listen on (e.g. 0.0.0.0 or 10.96.0.10). */
  readonly host: string
  /** 53 in a cluster; 0 picks a free port (tests). UDP and TCP use the same port. */
  readonly port: number
  /** Cluster domain, default cluster.local. */
  readonly clusterDomain?: string
  /** "ip" or "ip:port" of the resolver for other names; none → SERVFAIL for them. */
  readonly upstream?: string
  /** How long to wait for the upstream resolver. Default 2000 ms. */
  readonly upstreamTimeoutMs?: number
  /** The current data; called per query (cheap: the caller caches). */
  readonly data: () => DnsIndex
  readonly log?: (line: string) => void
}

export interface DnsServer {
  readonly port: number
  close(): Promise<void>
}

/** The first nameserver in a resolv.conf, or undefined. */
export function upstreamFromResolvConf(path = '/etc/resolv.conf'): string | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    if (m && /^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]!)) return m[1]
  }
  return undefined
}

function splitHostPort(s: string): { host: string; port: number } {
  const m = /^(.+?)(?::(\d+))?$/.exec(s)!
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 }
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const domain = opts.clusterDomain ?? 'cluster.local'
  const timeoutMs = opts.upstreamTimeoutMs ?? 2000
  const log = opts.log ?? (() => {})
  const upstream = opts.upstream ? splitHostPort(opts.upstream) : undefined

  /** The reply to one query message (raw bytes in, raw bytes out); never throws. */
  async function handle(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DecodedPacket
    try {
      query = dnsPacket.decode(msg)
    } catch {
      // Too broken to answer with a matching id unless the header survived.
      return msg.length >= 2 ? errorReply(msg.readUInt16BE(0), [], RCODE.FORMERR, 0) : undefined
    }
    if (query.type === 'response') return undefined
    const rd = query.flags ?? 0
    const q = query.questions?.[0]
    if (!q || (query.questions?.length ?? 0) !== 1) return errorReply(query.id ?? 0, query.questions ?? [], RCODE.FORMERR, rd)
    let res
    try {
      res = resolveQuestion(q, opts.data(), domain)
    } catch (e) {
      log(`dns: answering ${q.name} ${q.type} failed: ${(e as Error).message}`)
      return errorReply(query.id ?? 0, [q], RCODE.SERVFAIL, rd)
    }
    if ('forward' in res) {
      if (!upstream) return errorReply(query.id ?? 0, [q], RCODE.SERVFAIL, rd)
      try {
        return transport === 'udp' ? await forwardUdp(msg, upstream, timeoutMs) : await forwardTcp(msg, upstream, timeoutMs)
      } catch (e) {
        log(`dns: upstream ${opts.upstream} failed for ${q.name}: ${(e as Error).message}`)
        return errorReply(query.id ?? 0, [q], RCODE.SERVFAIL, rd)
      }
    }
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (rd & dnsPacket.RECURSION_DESIRED) | res.rcode
    const reply: Packet = {
      type: 'response',
      id: query.id,
      flags,
      questions: [q],
      answers: res.answers,
      authorities: res.authorities,
      additionals: res.additionals,
    }
    let out = dnsPacket.encode(reply)
    if (transport === 'udp') {
      const opt = query.additionals?.find((x) => x.type === 'OPT')
      const limit = Math.max(512, opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : 512)
      if (out.length > limit) out = dnsPacket.encode({ ...reply, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] })
    }
    return out
  }

  const udp = dgram.createSocket('udp4')
  udp.on('message', (msg, rinfo) => {
    void handle(msg, 'udp').then((out) => {
      if (out) udp.send(out, rinfo.port, rinfo.address)
    })
  })
  udp.on('error', (e) => log(`dns: udp socket error: ${e.message}`))
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject)
    udp.bind(opts.port, opts.host, () => {
      udp.off('error', reject)
      resolve()
    })
  })
  const port = udp.address().port

  const sockets = new Set<net.Socket>()
  const tcp = net.createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => sock.destroy())
    sock.setTimeout(10_000, () => sock.destroy())
    let buf = Buffer.alloc(0)
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0)
        const msg = buf.subarray(2, 2 + len)
        buf = buf.subarray(2 + len)
        void handle(msg, 'tcp').then((out) => {
          if (!out || sock.destroyed) return
          const head = Buffer.alloc(2)
          head.writeUInt16BE(out.length)
          sock.write(Buffer.concat([head, out]))
        })
      }
    })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(port, opts.host, () => {
        tcp.off('error', reject)
        resolve()
      })
    })
  } catch (e) {
    udp.close()
    throw new Error(`cluster DNS cannot listen on TCP ${opts.host}:${port}: ${(e as Error).message}`)
  }

  return {
    port,
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))])
    },
  }
}

function errorReply(id: number, questions: Packet['questions'], rcode: number, rd: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_AVAILABLE | (rd & dnsPacket.RECURSION_DESIRED) | rcode,
    questions: questions ?? [],
  })
}

function forwardUdp(msg: Buffer, up: { host: string; port: number }, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4')
    const id = msg.readUInt16BE(0)
    const timer = setTimeout(() => finish(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
    let done = false
    const finish = (err: Error | undefined, out?: Buffer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.close()
      if (err) reject(err)
      else resolve(out!)
    }
    sock.on('error', (e) => finish(e))
    sock.on('message', (reply) => {
      // Only the answer to our question (same id) counts.
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) finish(undefined, reply)
    })
    sock.send(msg, up.port, up.host)
  })
}

function forwardTcp(msg: Buffer, up: { host: string; port: number }, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(up.port, up.host)
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => finish(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
    let done = false
    const finish = (err: Error | undefined, out?: Buffer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      if (err) reject(err)
      else resolve(out!)
    }
    sock.on('error', (e) => finish(e))
    sock.on('connect', () => {
      const head = Buffer.alloc(2)
      head.writeUInt16BE(msg.length)
      sock.write(Buffer.concat([head, msg]))
    })
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)))
    })
    sock.on('close', () => finish(new Error('upstream closed the connection without answering')))
  })
}
