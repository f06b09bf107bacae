// Applying the proxy's ruleset to the kernel: jump rules from the built-in chains into ours
// (added once, idempotently), then the whole ruleset in one `iptables-restore --noflush`
// transaction so no packet ever sees half an update; cleanup removes every chain we own.
import type { HostCommands } from '../kit/host'
import { DYNAMIC_CHAIN, FILTER_BASE_CHAINS, NAT_BASE_CHAINS } from './rules'

interface Jump {
  readonly table: 'nat' | 'filter'
  readonly from: string
  readonly to: string
  readonly match: readonly string[]
  readonly comment: string
}

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW']

export const PROXY_JUMPS: readonly Jump[] = [
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', match: [], comment: 'kubernetes service portals' },
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', match: [], comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', match: [], comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', match: [], comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-SERVICES', match: NEW, comment: 'kubernetes service portals' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-SERVICES', match: NEW, comment: 'kubernetes service portals' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-EXTERNAL-SERVICES', match: NEW, comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-EXTERNAL-SERVICES', match: NEW, comment: 'kubernetes externally-visible service portals' },
]

const jumpSpec = (j: Jump): string[] => [...j.match, '-m', 'comment', '--comment', j.comment, '-j', j.to]

/** Names of the chains in one table (from iptables-save's ":NAME POLICY [counters]" lines). */
export async function listChains(cmd: HostCommands, table: 'nat' | 'filter'): Promise<string[]> {
  const text = await cmd.must('iptables-save', ['-t', table])
  const out: string[] = []
  for (const line of text.split('\n')) {
    const m = /^:(\S+) /.exec(line)
    if (m) out.push(m[1]!)
  }
  return out
}

export async function ensureProxyJumps(cmd: HostCommands): Promise<void> {
  for (const j of PROXY_JUMPS) {
    const has = await cmd.run('iptables', ['-w', '-t', j.table, '-C', j.from, ...jumpSpec(j)])
    if (has.code !== 0) await cmd.must('iptables', ['-w', '-t', j.table, '-I', j.from, ...jumpSpec(j)])
  }
}

/** One atomic transaction over our chains; built-in chains and other tools' rules are untouched. */
export async function restoreRules(cmd: HostCommands, text: string): Promise<void> {
  await cmd.must('iptables-restore', ['-w', '--noflush'], text)
}

/** Remove the jumps and every chain the proxy made (base and per-service), in both tables. */
export async function removeProxyRules(cmd: HostCommands): Promise<void> {
  for (const j of PROXY_JUMPS) {
    for (let i = 0; i < 10; i++) {
      const r = await cmd.run('iptables', ['-w', '-t', j.table, '-D', j.from, ...jumpSpec(j)])
      if (r.code !== 0) break
    }
  }
  const lines: string[] = []
  const natHave = await listChains(cmd, 'nat')
  const nat = natHave.filter((c) => (NAT_BASE_CHAINS as readonly string[]).includes(c) || DYNAMIC_CHAIN.test(c))
  const filterHave = await listChains(cmd, 'filter')
  const filter = filterHave.filter((c) => (FILTER_BASE_CHAINS as readonly string[]).includes(c))
  // Flush all (declaring flushes) before deleting any, since they reference each other.
  if (filter.length) lines.push('*filter', ...filter.map((c) => `:${c} - [0:0]`), ...filter.map((c) => `-X ${c}`), 'COMMIT')
  if (nat.length) lines.push('*nat', ...nat.map((c) => `:${c} - [0:0]`), ...nat.map((c) => `-X ${c}`), 'COMMIT')
  if (lines.length) await restoreRules(cmd, lines.join('\n') + '\n')
}
