#!/usr/bin/env node
// The NAT port forward of a VirtualBox double's VM (tests only): listens on HOST:PORT and pipes
// each connection to TARGET:TPORT (the node's sshd), as `--natpf1 "ssh,tcp,HOST,PORT,,22"` does.
import { createConnection, createServer } from 'node:net'

const [host, port, target, tport] = process.argv.slice(2)
const server = createServer((c) => {
  const up = createConnection({ host: target, port: Number(tport) })
  c.pipe(up).pipe(c)
  const close = () => {
    c.destroy()
    up.destroy()
  }
  c.on('error', close)
  up.on('error', close)
})
server.on('error', (e) => {
  console.error(`forward ${host}:${port} -> ${target}:${tport}: ${e.message}`)
  process.exit(1)
})
server.listen(Number(port), host)
