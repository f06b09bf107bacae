#!/usr/bin/env node
// KubeLab's API load balancer for clusters with several control-plane nodes (the role of kind's
// haproxy container, or kubeadm's "LB in front of the API servers"): a TCP proxy that passes TLS
// through untouched, so clients still verify the API servers' certificate and authenticate with
// their own credentials. Plain Node, no packages.
//
//   api-lb.mjs --listen HOST:PORT --backend IP:PORT [--backend ...] [--pid-file F] [--status-file F]
//
// Every second each backend's /readyz is probed over HTTPS (anonymous, as load balancers do;
// RBAC's system:public-info-viewer allows it). A new connection goes to the next ready backend in
// round-robin order; if its dial fails the next one is tried (so a node that just died costs a
// client nothing but a refused dial); when none is ready every backend is tried anyway. When a
// backend stops being ready its open connections are closed, so long watches (kubelets,
// informers) reconnect through a live API server instead of hanging on a dead one.
// SIGTERM/SIGINT: stop listening, close connections, exit.
import { createServer, connect } from 'node:net'
import { request } from 'node:https'
import { renameSync, rmSync, writeFileSync } from 'node:fs'

const args = process.argv.slice(2)
const opt = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []))
const listen = opt('--listen')[0]
const backends = opt('--backend').map((b) => ({
  addr: b,
  host: b.slice(0, b.lastIndexOf(':')),
  port: Number(b.slice(b.lastIndexOf(':') + 1)),
  ready: false,
  seen: false,
  conns: new Set(),
}))
const pidFile = opt('--pid-file')[0]
const statusFile = opt('--status-file')[0]
if (!listen || backends.length === 0) {
  console.error('usage: api-lb.mjs --listen HOST:PORT --backend IP:PORT [--backend ...] [--pid-file F] [--status-file F]')
  process.exit(2)
}
const log = (m) => console.log(`${new Date().toISOString()} ${m}`)
const PROBE_MS = 1000
const DIAL_MS = 2000

function writeStatus() {
  if (!statusFile) return
  try {
    writeFileSync(
      `${statusFile}.tmp`,
      JSON.stringify({ pid: process.pid, listen, backends: backends.map((b) => ({ address: b.addr, ready: b.ready, connections: b.conns.size })) }) + '\n',
    )
    // rename is atomic: a reader never sees half a file
    renameSync(`${statusFile}.tmp`, statusFile)
  } catch {
    /* status is informational */
  }
}

function probe(b) {
  return new Promise((resolve) => {
    const req = request({ host: b.host, port: b.port, path: '/readyz', method: 'GET', rejectUnauthorized: false, timeout: PROBE_MS, agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(false))
    req.end()
  })
}

async function probeLoop() {
  for (;;) {
    await Promise.all(
      backends.map(async (b) => {
        const ok = await probe(b)
        if (ok !== b.ready || !b.seen) {
          b.seen = true
          if (ok !== b.ready) log(`backend ${b.addr} ${ok ? 'ready' : 'not ready'}`)
          b.ready = ok
          if (!ok) for (const c of b.conns) c.destroy()
          writeStatus()
        }
      }),
    )
    await new Promise((r) => setTimeout(r, PROBE_MS))
  }
}

let next = 0
function order() {
  const n = backends.length
  const start = next++ % n
  const rotated = backends.map((_, i) => backends[(start + i) % n])
  return [...rotated.filter((b) => b.ready), ...rotated.filter((b) => !b.ready)]
}

function dial(b) {
  return new Promise((resolve) => {
    const s = connect({ host: b.host, port: b.port })
    const t = setTimeout(() => s.destroy(new Error('dial timeout')), DIAL_MS)
    s.once('connect', () => {
      clearTimeout(t)
      resolve(s)
    })
    s.once('error', () => {
      clearTimeout(t)
      resolve(undefined)
    })
  })
}

const server = createServer({ pauseOnConnect: true }, async (client) => {
  client.on('error', () => {})
  for (const b of order()) {
    if (client.destroyed) return
    const up = await dial(b)
    if (!up) continue
    if (client.destroyed) return up.destroy()
    b.conns.add(client)
    up.on('error', () => client.destroy())
    client.on('error', () => up.destroy())
    up.on('close', () => client.destroy())
    client.on('close', () => {
      up.destroy()
      b.conns.delete(client)
    })
    client.pipe(up)
    up.pipe(client)
    client.resume()
    return
  }
  client.destroy()
})

const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))]
server.on('error', (e) => {
  console.error(`api-lb: ${e.message}`)
  process.exit(1)
})
server.listen({ host, port }, () => {
  log(`listening on ${listen}, backends ${backends.map((b) => b.addr).join(', ')}`)
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`)
  writeStatus()
  void probeLoop()
})

const stop = (sig) => {
  log(`${sig}: stopping`)
  server.close()
  for (const b of backends) for (const c of b.conns) c.destroy()
  if (pidFile) rmSync(pidFile, { force: true })
  if (statusFile) rmSync(statusFile, { force: true })
  process.exit(0)
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
