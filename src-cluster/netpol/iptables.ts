// Applying the agent's ruleset to the kernel: one `iptables-restore --noflush` transaction for
// every chain (no packet sees half an update), then jumps from FORWARD and INPUT into ours kept
// in FIRST position — the kubelet's and the proxy's chains ACCEPT pod traffic, so a jump after
// them would never see it. Cleanup removes the jumps and every KUBELAB-NP-* chain.
import type { HostCommands } from '../kit/host'
import { CHAIN_PREFIX, FORWARD_CHAIN, INPUT_CHAIN } from './rules'

interface Jump {
  readonly from: 'FORWARD' | 'INPUT'
  readonly to: string
  readonly comment: string
}

export const NETPOL_JUMPS: readonly Jump[] = [
  { from: 'FORWARD', to: FORWARD_CHAIN, comment: 'kubelab network policies' },
  { from: 'INPUT', to: INPUT_CHAIN, comment: 'kubelab network policies (pod to node)' },
]

const jumpSpec = (j: Jump): string[] => ['-m', 'comment', '--comment', j.comment, '-j', j.to]
/** How `iptables -S` prints the jump (quotes around comments with spaces). */
const jumpLine = (j: Jump): string => `-A ${j.from} -m comment --comment "${j.comment}" -j ${j.to}`

/** Names of the filter table's chains that belong to the agent. */
export async function listNetpolChains(cmd: HostCommands): Promise<string[]> {
  const text = await cmd.must('iptables-save', ['-t', 'filter'])
  const out: string[] = []
  for (const line of text.split('\n')) {
    const m = /^:(\S+) /.exec(line)
    if (m && m[1]!.startsWith(CHAIN_PREFIX)) out.push(m[1]!)
  }
  return out
}

export async function restoreNetpolRules(cmd: HostCommands, text: string): Promise<void> {
  await cmd.must('iptables-restore', ['-w', '--noflush'], text)
}

async function deleteJumps(cmd: HostCommands, j: Jump): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = await cmd.run('iptables', ['-w', '-t', 'filter', '-D', j.from, ...jumpSpec(j)])
    if (r.code !== 0) break
  }
}

/**
 * Make each jump the first rule of its built-in chain, exactly once. Returns the chains where
 * it had to (re)insert, so callers can tell when someone put a rule ahead of ours.
 */
export async function ensureFirstJumps(cmd: HostCommands): Promise<string[]> {
  const moved: string[] = []
  for (const j of NETPOL_JUMPS) {
    const rules = (await cmd.must('iptables', ['-w', '-t', 'filter', '-S', j.from])).split('\n').filter((l) => l.startsWith('-A '))
    const ours = rules.filter((l) => l === jumpLine(j)).length
    if (rules[0] === jumpLine(j) && ours === 1) continue
    await deleteJumps(cmd, j)
    await cmd.must('iptables', ['-w', '-t', 'filter', '-I', j.from, '1', ...jumpSpec(j)])
    moved.push(j.from)
  }
  return moved
}

/** Remove the jumps, then every KUBELAB-NP-* chain (flushed first: they reference each other). */
export async function removeNetpolRules(cmd: HostCommands): Promise<void> {
  for (const j of NETPOL_JUMPS) await deleteJumps(cmd, j)
  const chains = await listNetpolChains(cmd)
  if (!chains.length) return
  await restoreNetpolRules(cmd, ['*filter', ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n'))
}

/**
 * Pods on one node talk across the CNI bridge without being routed, so iptables only sees that
 * traffic when bridged IPv4 is passed to it (br_netfilter, net.bridge.bridge-nf-call-iptables,
 * a per-network-namespace switch). Without it, policies would hold across nodes but not
 * between pods of the same node. Turns it on (loading the module if needed); returns a warning
 * when that is impossible, undefined when all is well.
 */
export async function ensureBridgeNetfilter(cmd: HostCommands): Promise<string | undefined> {
  const key = 'net.bridge.bridge-nf-call-iptables'
  let cur = await cmd.run('sysctl', ['-n', key])
  if (cur.code !== 0) {
    await cmd.run('modprobe', ['br_netfilter'])
    cur = await cmd.run('sysctl', ['-n', key])
  }
  if (cur.code !== 0) return `cannot read ${key} (${cur.stderr.trim()}): load the br_netfilter module, or policies will not apply between pods of the same node`
  if (cur.stdout.trim() === '1') return undefined
  const set = await cmd.run('sysctl', ['-q', '-w', `${key}=1`])
  return set.code === 0 ? undefined : `cannot set ${key}=1 (${set.stderr.trim()}): policies will not apply between pods of the same node`
}
