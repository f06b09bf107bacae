// Parsers for Multipass's `--format json` outputs and the one text line we read (`launch`).
// Shapes follow Multipass 1.16's JSON formatter; unreleased fields (zones) are accepted and
// ignored. Every parser throws a message naming the command when the shape is not what
// Multipass prints, so a changed format shows up as such instead of as "no VMs".

export type MpState = 'Running' | 'Stopped' | 'Deleted' | 'Starting' | 'Restarting' | 'Delayed Shutdown' | 'Suspending' | 'Suspended' | 'Unknown'

const STATES: ReadonlySet<string> = new Set<MpState>([
  'Running',
  'Stopped',
  'Deleted',
  'Starting',
  'Restarting',
  'Delayed Shutdown',
  'Suspending',
  'Suspended',
  'Unknown',
])

export interface MpVersion {
  /** Client version without the platform suffix, e.g. "1.15.1". */
  readonly client: string
  /** Daemon version without suffix; undefined when the daemon is unreachable. */
  readonly daemon?: string
  /** "mac", "win" or undefined (snap on Linux). */
  readonly platform?: string
  /** Present when Multipass reports an available update. */
  readonly update?: { readonly title: string; readonly url: string }
}

export interface MpListEntry {
  readonly name: string
  readonly state: MpState
  readonly ipv4: readonly string[]
  readonly release: string
}

export interface MpInfo {
  readonly name: string
  readonly state: MpState
  /** Management address first; later entries are other interfaces in the guest (cni0, ...). */
  readonly ipv4: readonly string[]
  /** undefined when Stopped (Multipass prints ""). */
  readonly cpuCount?: number
  readonly memory: { readonly used?: number; readonly total?: number }
  readonly disks: Readonly<Record<string, { readonly used?: number; readonly total?: number }>>
  readonly release: string
  readonly imageRelease: string
  readonly snapshotCount?: number
}

export interface MpNetwork {
  readonly name: string
  readonly type: string
  readonly description: string
}

type Json = Record<string, unknown>

function parseObject(text: string, command: string): Json {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new Error(`multipass ${command} printed something that is not JSON (${JSON.stringify(text.slice(0, 80))}): check that multipass is ≥ 1.13`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`multipass ${command} printed JSON that is not an object`)
  return v as Json
}

function state(v: unknown): MpState {
  return typeof v === 'string' && STATES.has(v) ? (v as MpState) : 'Unknown'
}

/** Multipass prints "N/A" (VirtualBox driver) or nothing where there is no usable address. */
function addresses(v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.filter((a): a is string => typeof a === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(a))
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** Numbers arrive as strings in some fields and as numbers in others; "" means absent. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

function splitVersion(v: string): { version: string; platform?: string } {
  const [version, platform] = v.split('+', 2) as [string, string | undefined]
  return platform ? { version, platform } : { version }
}

/** `multipass version --format json`. `multipassd` is missing when the daemon is unreachable. */
export function parseVersion(text: string): MpVersion {
  const o = parseObject(text, 'version')
  if (typeof o.multipass !== 'string') throw new Error('multipass version printed no "multipass" field')
  const client = splitVersion(o.multipass)
  const daemon = typeof o.multipassd === 'string' ? splitVersion(o.multipassd).version : undefined
  const u = o.update as Json | undefined
  const update = u && typeof u === 'object' && typeof u.title === 'string' ? { title: u.title, url: str(u.url) } : undefined
  return { client: client.version, ...(daemon ? { daemon } : {}), ...(client.platform ? { platform: client.platform } : {}), ...(update ? { update } : {}) }
}

/** `multipass list --format json`. */
export function parseList(text: string): MpListEntry[] {
  const o = parseObject(text, 'list')
  if (!Array.isArray(o.list)) throw new Error('multipass list printed no "list" array')
  return o.list.map((e: unknown) => {
    const r = (e ?? {}) as Json
    return { name: str(r.name), state: state(r.state), ipv4: addresses(r.ipv4), release: str(r.release) }
  })
}

/** `multipass info <vm> --format json`: every instance in `info`, plus the `errors` array. */
export function parseInfo(text: string): { instances: MpInfo[]; errors: string[] } {
  const o = parseObject(text, 'info')
  const info = o.info
  if (typeof info !== 'object' || info === null) throw new Error('multipass info printed no "info" object')
  const instances = Object.entries(info as Json).map(([name, raw]): MpInfo => {
    const r = (raw ?? {}) as Json
    const mem = (r.memory ?? {}) as Json
    const disks: Record<string, { used?: number; total?: number }> = {}
    for (const [d, v] of Object.entries((r.disks ?? {}) as Json)) {
      const dv = (v ?? {}) as Json
      const used = num(dv.used)
      const total = num(dv.total)
      disks[d] = { ...(used !== undefined ? { used } : {}), ...(total !== undefined ? { total } : {}) }
    }
    const cpuCount = num(r.cpu_count)
    const snapshotCount = num(r.snapshot_count)
    const used = num(mem.used)
    const total = num(mem.total)
    return {
      name,
      state: state(r.state),
      ipv4: addresses(r.ipv4),
      ...(cpuCount !== undefined ? { cpuCount } : {}),
      memory: { ...(used !== undefined ? { used } : {}), ...(total !== undefined ? { total } : {}) },
      disks,
      release: str(r.release),
      imageRelease: str(r.image_release),
      ...(snapshotCount !== undefined ? { snapshotCount } : {}),
    }
  })
  const errors = Array.isArray(o.errors) ? o.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) : []
  return { instances, errors }
}

/** `multipass networks --format json`. */
export function parseNetworks(text: string): MpNetwork[] {
  const o = parseObject(text, 'networks')
  if (!Array.isArray(o.list)) throw new Error('multipass networks printed no "list" array')
  return o.list.map((e: unknown) => {
    const r = (e ?? {}) as Json
    return { name: str(r.name), type: str(r.type), description: str(r.description) }
  })
}

/** `multipass find --format json`: image name → aliases (blueprints are deprecated and skipped). */
export function parseFind(text: string): { name: string; aliases: string[]; release: string; remote: string }[] {
  const o = parseObject(text, 'find')
  const images = (o.images ?? {}) as Json
  return Object.entries(images).map(([name, raw]) => {
    const r = (raw ?? {}) as Json
    return {
      name,
      aliases: Array.isArray(r.aliases) ? r.aliases.filter((a): a is string => typeof a === 'string') : [],
      release: str(r.release),
      remote: str(r.remote),
    }
  })
}

/** `multipass list --snapshots --format json`: VM → snapshot names with their parents. */
export function parseSnapshots(text: string): Record<string, Record<string, { parent: string; comment: string }>> {
  const o = parseObject(text, 'list --snapshots')
  const out: Record<string, Record<string, { parent: string; comment: string }>> = {}
  for (const [vm, snaps] of Object.entries((o.info ?? {}) as Json)) {
    out[vm] = {}
    for (const [s, raw] of Object.entries((snaps ?? {}) as Json)) {
      const r = (raw ?? {}) as Json
      out[vm]![s] = { parent: str(r.parent), comment: str(r.comment) }
    }
  }
  return out
}

/** The instance name from `launch`'s last line: "Launched: NAME" (1.16) or "… in zone1" (main). */
export function parseLaunched(stdout: string): string | undefined {
  // Progress lines carry spinner control characters; only a line starting "Launched:" counts.
  for (const line of stdout.split(/\r?\n|\r/)) {
    const m = /^Launched: (\S+)/.exec(line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim())
    if (m) return m[1]
  }
  return undefined
}

/** Compares dotted versions: negative when a < b. Suffixes (+mac) must be stripped first. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** Multipass instance names: letters, digits, hyphen; starts with a letter, ends alphanumeric. */
export function isValidInstanceName(name: string): boolean {
  return /^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)
}
