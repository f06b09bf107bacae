// SSH host-key pinning for nodes. Each cluster folder holds `known_hosts` in OpenSSH's format
// with the node name as the host (OpenSSH's HostKeyAlias), so `ssh -o UserKnownHostsFile=…
// -o HostKeyAlias=NODE` reads the same pins. The first key a node shows while its cluster is
// created is recorded (create forgets earlier pins, as it makes the machines); from then on a
// different key is refused with what to do, rather than sending the cluster's keys to it.
// Local nodes' sshd keys are made by KubeLab, so they are pinned as they are made
// (`pinKnownHostKey`), never learnt.
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface HostKeyPin {
  /** The cluster's known_hosts file. */
  readonly file: string
  /** The name the key is recorded under: the node's name. */
  readonly alias: string
}

export function hostKeyPin(clusterDir: string, node: string): HostKeyPin {
  return { file: join(clusterDir, 'known_hosts'), alias: node }
}

/** OpenSSH's fingerprint of a key blob (the SSH wire encoding): SHA256:base64, unpadded. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type a wire-encoded public key starts with (a length-prefixed string). */
function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const n = blob.readUInt32BE(0)
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown'
}

function pinnedLines(pin: HostKeyPin): { type: string; b64: string }[] {
  if (!existsSync(pin.file)) return []
  const out: { type: string; b64: string }[] = []
  for (const line of readFileSync(pin.file, 'utf8').split('\n')) {
    const [hosts, type, b64] = line.trim().split(/\s+/)
    if (!hosts || !type || !b64 || hosts.startsWith('#')) continue
    if (hosts.split(',').includes(pin.alias)) out.push({ type, b64 })
  }
  return out
}

export class HostKeyChangedError extends Error {
  constructor(pin: HostKeyPin, was: { type: string; b64: string }, now: Buffer) {
    super(
      `the SSH host key of node ${pin.alias} has changed (recorded ${was.type} ${fingerprint(Buffer.from(was.b64, 'base64'))}, offered ${keyType(now)} ${fingerprint(now)}), ` +
        'so KubeLab did not send it anything: either the machine was re-created outside KubeLab, or something else answers at its address. ' +
        `If you re-created the machine yourself, forget the old key with \`ssh-keygen -R ${pin.alias} -f ${pin.file}\` (or delete that line) and connect again; otherwise do not`,
    )
    this.name = 'HostKeyChangedError'
  }
}

/**
 * Checks a key a node offers against its pin: no pin yet → records it (trust on first use);
 * the same key → fine; another key → HostKeyChangedError.
 */
export function checkHostKey(pin: HostKeyPin, blob: Buffer): void {
  const b64 = blob.toString('base64')
  const pinned = pinnedLines(pin)
  if (pinned.some((p) => p.b64 === b64)) return
  if (pinned.length) throw new HostKeyChangedError(pin, pinned[0]!, blob)
  appendFileSync(pin.file, `${pin.alias} ${keyType(blob)} ${b64}\n`, { mode: 0o600 })
}

/**
 * Pins a key KubeLab made itself (a local node's sshd key, from its `.pub` line): no first-use
 * trust needed. `replace` drops an earlier pin (the key was just made anew); otherwise an existing
 * pin is kept, so a key file changed behind KubeLab's back is still refused at connect.
 */
export function pinKnownHostKey(pin: HostKeyPin, publicKeyLine: string, replace: boolean): void {
  const [type, b64] = publicKeyLine.trim().split(/\s+/)
  if (!type || !b64) throw new Error(`not an OpenSSH public key line: ${publicKeyLine.slice(0, 80)}`)
  if (replace) forgetHostKey(pin)
  else if (isPinned(pin)) return
  appendFileSync(pin.file, `${pin.alias} ${type} ${b64}\n`, { mode: 0o600 })
}

/** Whether a node's key is recorded (an interactive ssh then insists on it). */
export function isPinned(pin: HostKeyPin): boolean {
  return pinnedLines(pin).length > 0
}

/** Drops a node's pin: its machine is about to be made anew. */
export function forgetHostKey(pin: HostKeyPin): void {
  if (!existsSync(pin.file)) return
  const keep = readFileSync(pin.file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !(l.trim().split(/\s+/)[0] ?? '').split(',').includes(pin.alias))
  writeFileSync(pin.file, keep.length ? `${keep.join('\n')}\n` : '', { mode: 0o600 })
}
