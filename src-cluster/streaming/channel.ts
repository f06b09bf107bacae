// The Kubernetes WebSocket channel protocol (exec/attach): every binary message starts with a
// channel byte. v4 and v5 share the channel numbers; v5 adds channel 255 ("close"), whose
// one-byte payload names the channel the client will no longer write (stdin EOF).

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const

export const WS_V5 = 'v5.channel.k8s.io'
export const WS_V4 = 'v4.channel.k8s.io'
/** Subprotocols we accept for exec/attach, best first. */
export const WS_EXEC_PROTOCOLS: readonly string[] = [WS_V5, WS_V4]
/** The subprotocol kubectl uses for port-forward: a SPDY/3.1 byte stream inside binary messages. */
export const WS_PORTFORWARD_TUNNEL = 'SPDY/3.1+portforward.k8s.io'
/** X-Stream-Protocol-Version values over SPDY. */
export const SPDY_EXEC_PROTOCOLS: readonly string[] = [WS_V4, 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']
export const SPDY_PORTFORWARD = 'portforward.k8s.io'

export interface ChannelFrame {
  readonly channel: number
  readonly data: Buffer
}

export function encodeFrame(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const out = Buffer.allocUnsafe(body.length + 1)
  out[0] = channel
  body.copy(out, 1)
  return out
}

/** Splits a binary message; an empty message is a protocol error. */
export function decodeFrame(msg: Buffer): ChannelFrame {
  if (msg.length === 0) throw new Error('empty WebSocket message: every message must start with a channel byte')
  return { channel: msg[0]!, data: msg.subarray(1) }
}

export interface TerminalSize {
  readonly width: number
  readonly height: number
}

/** The resize channel carries `{"Width":W,"Height":H}` (possibly several, newline-separated). */
export function parseResize(data: Buffer | string): TerminalSize[] {
  const out: TerminalSize[] = []
  for (const line of String(data).split('\n')) {
    const t = line.trim()
    if (!t) continue
    const v = JSON.parse(t) as { Width?: unknown; Height?: unknown }
    if (typeof v.Width !== 'number' || typeof v.Height !== 'number') throw new Error(`resize message needs numeric Width and Height: ${t}`)
    out.push({ width: v.Width, height: v.Height })
  }
  return out
}

export function encodeResize(size: TerminalSize): string {
  return JSON.stringify({ Width: size.width, Height: size.height }) + '\n'
}

/** The Status a v4/v5 server writes on the error channel when the command ends. */
export interface ExitStatus {
  readonly metadata: Record<string, never>
  readonly status: 'Success' | 'Failure'
  readonly message?: string
  readonly reason?: string
  readonly details?: { readonly causes: readonly { readonly reason: string; readonly message: string }[] }
}

/** Success for exit code 0, NonZeroExitCode with the code as a cause otherwise. */
export function exitStatus(code: number): ExitStatus {
  if (code === 0) return { metadata: {}, status: 'Success' }
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  }
}

/** A failure that is not an exit code (the command could not start, the container vanished). */
export function errorStatus(message: string): ExitStatus {
  return { metadata: {}, status: 'Failure', message }
}

/** Reads the exit code from an error-channel Status: 0 for Success, undefined when it is another failure. */
export function exitCodeOf(status: ExitStatus): number | undefined {
  if (status.status === 'Success') return 0
  if (status.reason !== 'NonZeroExitCode') return undefined
  const cause = status.details?.causes.find((c) => c.reason === 'ExitCode')
  const n = cause ? Number(cause.message) : NaN
  return Number.isInteger(n) ? n : undefined
}
