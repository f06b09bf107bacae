#!/usr/bin/env node
// KubeLab's supervisor for local nodes (where there is no systemd per node): runs each
// component of components.json as a child process, appends its output to LOGDIR/NAME.log,
// restarts it when it exits (backoff 1 s doubling to 30 s, reset after a minute of running),
// reloads on SIGHUP (restarts every component with the current config), and on SIGTERM/SIGINT
// stops all children (SIGTERM, then SIGKILL after 10 s) and exits. Plain Node, no packages.
// One component can be stopped and started on its own (labs stop the kubelet or the scheduler,
// as `systemctl stop kubelab-NAME` does on a VM): `supervisor.mjs ctl stop|start|status NAME`
// writes or removes RUNDIR/stopped/NAME and sends SIGUSR2, on which the supervisor stops the
// components so marked and starts the others. A fresh supervisor (node restart) clears the marks.
// A component with `parts` (the node agent: kubelet, proxy, ... in one process) lists each part
// in the status as a component of its own; `ctl stop|start PART` asks the agent, through its
// control socket, to stop or start that part (the agent keeps the same marks, so a restarted
// agent keeps the part stopped).
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

if (process.argv[2] === 'ctl') process.exit(await ctl(process.argv[3], process.argv[4]))

/** `ctl ACTION NAME`, run on the node (KUBELAB_ROOT = the node's root); returns the exit code. */
async function ctl(action, name) {
  const runDir = join(process.env.KUBELAB_ROOT || '/', 'run', 'kubelab')
  const say = (m) => console.log(m)
  if (!['stop', 'start', 'status'].includes(action) || !name) {
    console.error('usage: supervisor.mjs ctl stop|start|status COMPONENT')
    return 2
  }
  const readStatus = () => {
    try {
      return JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'))
    } catch {
      return undefined
    }
  }
  const st = readStatus()
  if (!st) {
    console.error(`no supervisor runs on this node (${join(runDir, 'status.json')} is missing): start the node (kubelab start CLUSTER)`)
    return 3
  }
  if (!(name in st.components)) {
    console.error(`this node runs no component ${name}; it runs: ${Object.keys(st.components).join(', ')}`)
    return 2
  }
  if (action === 'status') {
    const c = st.components[name]
    say(c.up ? 'active' : c.stopped ? 'inactive' : 'activating')
    return c.up ? 0 : 3
  }
  mkdirSync(join(runDir, 'stopped'), { recursive: true })
  if (action === 'stop') writeFileSync(join(runDir, 'stopped', name), `${new Date().toISOString()}\n`)
  else rmSync(join(runDir, 'stopped', name), { force: true })
  process.kill(st.pid, 'SIGUSR2')
  // Wait (bounded) until the supervisor reports the component in the wanted state.
  for (let i = 0; i < 150; i++) {
    const c = readStatus()?.components?.[name]
    if (c && (action === 'stop' ? !c.up : c.up)) {
      say(`${name} ${action === 'stop' ? 'stopped' : 'started'}`)
      return 0
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  console.error(`${name} did not ${action} within 15 s: see ${join(process.env.KUBELAB_ROOT || '/', 'var', 'log', 'kubelab', `${name}.log`)}`)
  return 1
}

const confPath = process.argv[2]
if (!confPath) {
  console.error('usage: supervisor.mjs COMPONENTS.json | supervisor.mjs ctl stop|start|status COMPONENT')
  process.exit(2)
}
let conf = JSON.parse(readFileSync(confPath, 'utf8'))
mkdirSync(conf.logDir, { recursive: true })
mkdirSync(conf.runDir, { recursive: true })
const pidFile = join(conf.runDir, 'supervisor.pid')
const statusFile = join(conf.runDir, 'status.json')
const stoppedDir = join(conf.runDir, 'stopped')
const markedStopped = (name) => existsSync(join(stoppedDir, name))
rmSync(stoppedDir, { recursive: true, force: true })

const log = (line) => console.log(`${new Date().toISOString()} supervisor: ${line}`)
/** name -> { child, restarts, startedAt, backoff, timer, wanted } */
const running = new Map()
let stopping = false

/** part name -> { of: component name, up } */
const parts = new Map()

function writeStatus() {
  const s = {}
  for (const [name, r] of running) {
    s[name] = { pid: r.child?.pid ?? null, restarts: r.restarts, up: !!r.child, stopped: !r.wanted }
    for (const [pn, p] of parts) {
      if (p.of === name) s[pn] = { pid: r.child?.pid ?? null, restarts: r.restarts, up: !!r.child && p.up, stopped: markedStopped(pn), partOf: name }
    }
  }
  try {
    // Temp + rename: `ctl` (another process) never reads a half-written file.
    writeFileSync(`${statusFile}.tmp`, JSON.stringify({ pid: process.pid, components: s }, null, 2))
    renameSync(`${statusFile}.tmp`, statusFile)
  } catch {
    // the status file is written again on the next change
  }
}

function start(c) {
  const r = running.get(c.name) ?? { restarts: 0, backoff: 1000, wanted: true }
  running.set(c.name, r)
  r.wanted = true
  r.spec = c
  const logFile = join(conf.logDir, `${c.name}.log`)
  const fd = openSync(logFile, 'a')
  // A component is a kubelab-node subcommand, or another program (`command`, e.g. etcd).
  // KUBELAB_NODE_NAME: a local node shares the host's hostname, so components that name
  // themselves after the machine (leader election identities) use this instead.
  // nodeEnv: what every kubelab-node process gets (MALLOC_ARENA_MAX), as the systemd units set it.
  const env = { ...process.env, KUBELAB_NODE_NAME: conf.node }
  const child = c.command
    ? spawn(c.command, c.args, { stdio: ['ignore', fd, fd], env })
    : spawn(conf.nodeBinary, [...(conf.nodeFlags ?? []), conf.program, c.name, ...c.args], {
        stdio: ['ignore', fd, fd],
        env: { ...(conf.nodeEnv ?? {}), ...env },
      })
  closeSync(fd)
  r.child = child
  r.startedAt = Date.now()
  log(`started ${c.name} (pid ${child.pid})`)
  for (const pn of c.parts ?? []) parts.set(pn, { of: c.name, up: false })
  if (c.parts?.length) void watchParts(c, child)
  child.on('exit', (code, sig) => {
    r.child = undefined
    for (const p of parts.values()) if (p.of === c.name) p.up = false
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

/** One request to an agent's control socket; resolves with the HTTP status and parsed body. */
function agentCall(socketPath, method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        try {
          resolve({ code: res.statusCode, body: JSON.parse(body) })
        } catch (e) {
          reject(e)
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Until every part the agent should run runs, ask it which do (it retries a part that cannot start). */
async function watchParts(c, child) {
  const r = running.get(c.name)
  if (!r || r.watching === child) return
  r.watching = child
  try {
    while (running.get(c.name)?.child === child) {
      try {
        const res = await agentCall(c.controlSocket, 'GET', '/parts')
        for (const [pn, st] of Object.entries(res.body)) {
          const p = parts.get(pn)
          if (p) p.up = st.state === 'running'
        }
        writeStatus()
        if (Object.values(res.body).every((st) => st.state === 'running' || !st.wanted)) return
      } catch {
        // not listening yet
      }
      await new Promise((res) => setTimeout(res, 500))
    }
  } finally {
    if (r.watching === child) r.watching = undefined
  }
}

/** ctl stop|start of a part: ask the agent that runs it (both are idempotent there). */
async function togglePart(pn, want) {
  const p = parts.get(pn)
  const r = running.get(p.of)
  if (!r?.child) return
  if (p.up !== want) log(`${want ? 'starting' : 'stopping'} ${pn} in ${p.of} (ctl ${want ? 'start' : 'stop'})`)
  try {
    const res = await agentCall(r.spec.controlSocket, 'POST', `/parts/${pn}/${want ? 'start' : 'stop'}`)
    if (res.code !== 200) log(`${p.of} could not ${want ? 'start' : 'stop'} ${pn}: ${res.body.error}`)
    else p.up = res.body.state === 'running'
    // A part that could not start yet is retried by the agent: follow it.
    if (want && !p.up) void watchParts(r.spec, r.child)
  } catch (e) {
    log(`${p.of} did not answer on ${r.spec.controlSocket}: ${e.message}`)
  }
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
  // etcd last: the API server's clean shutdown still writes to it (it leaves the `kubernetes`
  // Endpoints and releases its leases); stopped together, that write finds no etcd.
  const all = [...running.values()].reverse()
  await Promise.all(all.filter((r) => r.spec.name !== 'etcd').map(stopOne))
  await Promise.all(all.filter((r) => r.spec.name === 'etcd').map(stopOne))
}

process.on('SIGHUP', async () => {
  log('SIGHUP: reloading components')
  await stopAll()
  running.clear()
  conf = JSON.parse(readFileSync(confPath, 'utf8'))
  for (const c of conf.components) markedStopped(c.name) ? remember(c) : start(c)
})

/** A component known but held stopped (ctl stop): listed in the status, not running. */
function remember(c) {
  for (const pn of c.parts ?? []) parts.set(pn, { of: c.name, up: false })
  const r = running.get(c.name) ?? { restarts: 0, backoff: 1000 }
  r.wanted = false
  r.spec = c
  running.set(c.name, r)
  writeStatus()
}

process.on('SIGUSR2', async () => {
  for (const [pn, p] of parts) {
    const r = running.get(p.of)
    if (!r?.child) continue
    // Asked even when our view says it is so already: the agent may be retrying a part.
    await togglePart(pn, !markedStopped(pn))
  }
  for (const c of conf.components) {
    const r = running.get(c.name)
    if (markedStopped(c.name)) {
      if (r?.wanted) {
        log(`stopping ${c.name} (ctl stop)`)
        await stopOne(r)
      }
      remember(c)
    } else if (!r?.wanted) {
      log(`starting ${c.name} (ctl start)`)
      if (r) r.backoff = 1000
      start(c)
    }
  }
  writeStatus()
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
