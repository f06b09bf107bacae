// A minimal QMP client (QEMU Machine Protocol: newline-delimited JSON on a unix socket):
// greeting → qmp_capabilities → one command → close. QEMU serves one client at a time, so each
// call opens, uses and closes its own connection (QEMU.md §5).
import { createConnection } from 'node:net'

export interface QmpReply {
  readonly return?: unknown
  readonly error?: { class: string; desc: string }
}

export function qmpCommand(socket: string, execute: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket)
    let buf = ''
    let stage: 'greeting' | 'caps' | 'cmd' = 'greeting'
    const timer = setTimeout(() => {
      conn.destroy()
      reject(new Error(`QMP ${execute} on ${socket}: no answer within ${timeoutMs / 1000} s (is the VM's QEMU process hung?)`))
    }, timeoutMs)
    const done = (e: Error | undefined, v?: unknown) => {
      clearTimeout(timer)
      conn.destroy()
      if (e) reject(e)
      else resolve(v)
    }
    conn.on('error', (e) => done(new Error(`QMP socket ${socket}: ${e.message}`)))
    conn.on('data', (d) => {
      buf += d.toString()
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim()
        buf = buf.slice(nl + 1)
        if (!line) continue
        const msg = JSON.parse(line) as QmpReply & { QMP?: unknown; event?: string }
        if (msg.event) continue
        if (stage === 'greeting' && msg.QMP) {
          stage = 'caps'
          conn.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`)
        } else if (stage === 'caps') {
          if (msg.error) return done(new Error(`QMP qmp_capabilities: ${msg.error.desc}`))
          stage = 'cmd'
          conn.write(`${JSON.stringify({ execute, ...(args ? { arguments: args } : {}) })}\n`)
        } else if (stage === 'cmd') {
          if (msg.error) return done(new Error(`QMP ${execute}: ${msg.error.desc}`))
          return done(undefined, msg.return)
        }
      }
    })
    conn.on('close', () => done(new Error(`QMP socket ${socket} closed before ${execute} was answered`)))
  })
}

/** HMP through QMP (hostfwd_add has no QMP command); errors come back as text in a success. */
export async function humanMonitor(socket: string, commandLine: string): Promise<string> {
  const out = String((await qmpCommand(socket, 'human-monitor-command', { 'command-line': commandLine })) ?? '')
  if (out.trim()) throw new Error(`QEMU monitor "${commandLine}": ${out.trim()}`)
  return out
}
