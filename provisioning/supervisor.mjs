#!/usr/bin/env node
// KubeLab's supervisor for local nodes (where there is no systemd per node): runs each
// component of components.json as a child process, appends its output to LOGDIR/NAME.log,
// restarts it when it exits (backoff 1 s doubling to 30 s, reset after a minute of running),
// reloads on SIGHUP (restarts every component with the current config), and on SIGTERM/SIGINT
// stops all children (SIGTERM, then SIGKILL after 10 s) and exits. Plain Node, no packages.
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const confPath = process.argv[2]
if (!confPath) {
  console.error('usage: supervisor.mjs COMPONENTS.json')
  process.exit(2)
}
let conf = JSON.parse(readFileSync(confPath, 'utf8'))
mkdirSync(conf.logDir, { recursive: true })
mkdirSync(conf.runDir, { recursive: true })
const pidFile = join(conf.runDir, 'supervisor.pid')
const statusFile = join(conf.runDir, 'status.json')

const log = (line) => console.log(`${new Date().toISOString()} supervisor: ${line}`)
/** name -> { child, restarts, startedAt, backoff, timer, wanted } */
const running = new Map()
let stopping = false

function writeStatus() {
  const s = {}
  for (const [name, r] of running) s[name] = { pid: r.child?.pid ?? null, restarts: r.restarts, up: !!r.child }
  try {
    writeFileSync(statusFile, JSON.stringify({ pid: process.pid, components: s }, null, 2))
  } catch {}
}

function start(c) {
  const r = running.get(c.name) ?? { restarts: 0, backoff: 1000, wanted: true }
  running.set(c.name, r)
  r.wanted = true
  r.spec = c
  const logFile = join(conf.logDir, `${c.name}.log`)
  const fd = openSync(logFile, 'a')
  const child = spawn(conf.nodeBinary, [conf.program, c.name, ...c.args], { stdio: ['ignore', fd, fd] })
  closeSync(fd)
  r.child = child
  r.startedAt = Date.now()
  log(`started ${c.name} (pid ${child.pid})`)
  child.on('exit', (code, sig) => {
    r.child = undefined
    appendFileSync(logFile, `${new Date().toISOString()} supervisor: ${c.name} exited (${sig ?? code})\n`)
    writeStatus()
    if (stopping || !r.wanted) return
    if (Date.now() - r.startedAt > 60_000) r.backoff = 1000
    log(`${c.name} exited (${sig ?? code}); restarting in ${r.backoff / 1000}s`)
    r.timer = setTimeout(() => {
      r.restarts++
      start(r.spec)
    }, r.backoff)
    r.backoff = Math.min(r.backoff * 2, 30_000)
  })
  writeStatus()
}

function stopOne(r) {
  r.wanted = false
  clearTimeout(r.timer)
  const child = r.child
  if (!child) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

async function stopAll() {
  // Reverse start order: node agents before the API server.
  await Promise.all([...running.values()].reverse().map(stopOne))
}

process.on('SIGHUP', async () => {
  log('SIGHUP: reloading components')
  await stopAll()
  running.clear()
  conf = JSON.parse(readFileSync(confPath, 'utf8'))
  for (const c of conf.components) start(c)
})

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) return
    stopping = true
    log(`${sig}: stopping components`)
    await stopAll()
    rmSync(pidFile, { force: true })
    rmSync(statusFile, { force: true })
    log('stopped')
    process.exit(0)
  })
}

writeFileSync(pidFile, `${process.pid}\n`)
log(`running ${conf.components.map((c) => c.name).join(', ') || 'no components'} for node ${conf.node}`)
for (const c of conf.components) start(c)
