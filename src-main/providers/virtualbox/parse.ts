// Parsers for VBoxManage output. Only `--machinereadable` and the fixed-format `list` outputs
// are read (PROVIDERS.md §3.7); VBoxManage is always run with LANG=C so words do not change.

export type VBoxVmState =
  'running' | 'poweroff' | 'saved' | 'aborted' | 'paused' | 'starting' | 'stopping' | 'saving' | 'restoring' | 'gurumeditation' | 'unknown'

/** `VBoxManage --version` → "7.0.14r161095" (possibly after a kernel-module warning). */
export function parseVBoxVersion(stdout: string): { version: string; revision?: number } {
  for (const line of stdout.split(/\r?\n/).reverse()) {
    const m = /^(\d+\.\d+\.\d+)(?:_[A-Za-z]+)?(?:r(\d+))?\s*$/.exec(line.trim())
    if (m) return { version: m[1]!, ...(m[2] ? { revision: Number(m[2]) } : {}) }
  }
  throw new Error(`VBoxManage --version printed no version (${JSON.stringify(stdout.trim().slice(0, 80))}): reinstall VirtualBox`)
}

/** `key="value"` / `key=value` / `"key"="value"` lines into a map (last one wins). */
export function parseMachineReadable(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line) continue
    const m = /^("(?:[^"\\]|\\.)*"|[^=]+)=(.*)$/.exec(line)
    if (!m) continue
    const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(["\\])/g, '$1') : s)
    out[unquote(m[1]!)] = unquote(m[2]!)
  }
  return out
}

const STATES: ReadonlySet<string> = new Set([
  'running',
  'poweroff',
  'saved',
  'aborted',
  'paused',
  'starting',
  'stopping',
  'saving',
  'restoring',
  'gurumeditation',
])

export function vmStateOf(info: Readonly<Record<string, string>>): VBoxVmState {
  const s = info.VMState ?? ''
  return STATES.has(s) ? (s as VBoxVmState) : 'unknown'
}

/** Port forwards from showvminfo: Forwarding(0)="ssh,tcp,127.0.0.1,22012,,22". */
export function forwards(
  info: Readonly<Record<string, string>>,
): { name: string; proto: string; hostIp: string; hostPort: number; guestIp: string; guestPort: number }[] {
  return Object.entries(info)
    .filter(([k]) => /^Forwarding\(\d+\)$/.test(k))
    .map(([, v]) => {
      const [name = '', proto = '', hostIp = '', hostPort = '0', guestIp = '', guestPort = '0'] = v.split(',')
      return { name, proto, hostIp, hostPort: Number(hostPort), guestIp, guestPort: Number(guestPort) }
    })
}

/** `list vms` / `list runningvms`: `"name" {uuid}` per line. */
export function parseVmList(stdout: string): { name: string; uuid: string }[] {
  const out: { name: string; uuid: string }[] = []
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^"(.*)" \{([0-9a-fA-F-]+)\}\s*$/.exec(line.trim())
    if (m) out.push({ name: m[1]!, uuid: m[2]! })
  }
  return out
}

/** Blank-line separated "Key:   value" blocks (list hostonlyifs, list hostonlynets, ...). */
export function parseBlocks(stdout: string): Record<string, string>[] {
  const blocks: Record<string, string>[] = []
  let cur: Record<string, string> = {}
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([A-Za-z][\w ]*?):\s*(.*)$/.exec(line)
    if (m) {
      if (m[1]! in cur) {
        blocks.push(cur)
        cur = {}
      }
      cur[m[1]!] = m[2]!.trim()
    } else if (line.trim() === '' && Object.keys(cur).length && 'Name' in cur && Object.keys(cur).length > 2) {
      blocks.push(cur)
      cur = {}
    }
  }
  if (Object.keys(cur).length) blocks.push(cur)
  return blocks
}

export interface HostOnlyIf {
  readonly name: string
  readonly ip: string
  readonly netmask: string
  readonly dhcp: boolean
  readonly up: boolean
}

export function parseHostOnlyIfs(stdout: string): HostOnlyIf[] {
  return parseBlocks(stdout)
    .filter((b) => b.Name)
    .map((b) => ({ name: b.Name!, ip: b.IPAddress ?? '', netmask: b.NetworkMask ?? '', dhcp: b.DHCP === 'Enabled', up: b.Status === 'Up' }))
}

export interface HostOnlyNet {
  readonly name: string
  readonly netmask: string
  readonly lowerIp: string
  readonly upperIp: string
  readonly enabled: boolean
}

export function parseHostOnlyNets(stdout: string): HostOnlyNet[] {
  return parseBlocks(stdout)
    .filter((b) => b.Name)
    .map((b) => ({ name: b.Name!, netmask: b.NetworkMask ?? '', lowerIp: b.LowerIP ?? '', upperIp: b.UpperIP ?? '', enabled: b.State === 'Enabled' }))
}

/** `guestproperty get`: "Value: x", or undefined for "No value set!" (no Guest Additions). */
export function parseGuestProperty(stdout: string): string | undefined {
  const m = /^Value: (.*)$/m.exec(stdout)
  return m ? m[1]!.trim() : undefined
}

/** `createvm … --register` prints the new machine's UUID. */
export function parseCreatedUuid(stdout: string): string | undefined {
  return /^UUID: ([0-9a-fA-F-]+)/m.exec(stdout)?.[1]
}

/** `startvm` sometimes exits 1 after printing this line; it still started (PROVIDERS.md §3.7). */
export function startedSuccessfully(stdout: string, vm: string): boolean {
  return stdout.includes(`VM "${vm}" has been successfully started.`)
}
