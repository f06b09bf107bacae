// iptables rules of the node's pod network: masquerade traffic from this node's pods to anything
// outside the cluster's pod network, and let the pod CIDR be forwarded. Each lives in a chain
// of ours (KUBELAB-POSTROUTING in nat, KUBELAB-FORWARD in filter) entered by one jump rule, so
// applying is idempotent (the chain is rewritten whole) and removal is exact.
import type { HostCommands } from '../../kit/host'

export const MASQ_CHAIN = 'KUBELAB-POSTROUTING'
export const FORWARD_CHAIN = 'KUBELAB-FORWARD'

export interface PodNetworkRulesInput {
  readonly podCIDR: string
  readonly clusterCIDR: string
}

interface Jump {
  readonly table: 'nat' | 'filter'
  readonly from: string
  readonly chain: string
  readonly comment: string
}

const JUMPS: readonly Jump[] = [
  { table: 'nat', from: 'POSTROUTING', chain: MASQ_CHAIN, comment: 'kubelab pod network masquerade' },
  { table: 'filter', from: 'FORWARD', chain: FORWARD_CHAIN, comment: 'kubelab pod network forwarding' },
]

/** iptables-restore text (for --noflush) that rewrites both chains. Pure. */
export function podNetworkRules(input: PodNetworkRulesInput): string {
  return [
    '*nat',
    `:${MASQ_CHAIN} - [0:0]`,
    // Pod to pod (any node) keeps its source address; multicast is never rewritten.
    `-A ${MASQ_CHAIN} -d ${input.clusterCIDR} -j RETURN`,
    `-A ${MASQ_CHAIN} -d 224.0.0.0/4 -j RETURN`,
    `-A ${MASQ_CHAIN} -s ${input.podCIDR} -m comment --comment "pods leaving the cluster network" -j MASQUERADE`,
    'COMMIT',
    '*filter',
    `:${FORWARD_CHAIN} - [0:0]`,
    `-A ${FORWARD_CHAIN} -s ${input.podCIDR} -j ACCEPT`,
    `-A ${FORWARD_CHAIN} -d ${input.podCIDR} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n')
}

/** Ensure `-I from -j chain` exists exactly once (inserted first so other rules cannot shadow it). */
export async function ensureJump(cmd: HostCommands, table: string, from: string, chain: string, comment: string): Promise<void> {
  const spec = ['-m', 'comment', '--comment', comment, '-j', chain]
  const has = await cmd.run('iptables', ['-w', '-t', table, '-C', from, ...spec])
  if (has.code === 0) return
  await cmd.must('iptables', ['-w', '-t', table, '-I', from, ...spec])
}

/** Remove every copy of the jump rule, then flush and delete the chain; absent pieces are fine. */
export async function removeChain(cmd: HostCommands, table: string, from: string | undefined, chain: string, comment: string): Promise<void> {
  if (from) {
    const spec = ['-m', 'comment', '--comment', comment, '-j', chain]
    for (let i = 0; i < 10; i++) {
      const r = await cmd.run('iptables', ['-w', '-t', table, '-D', from, ...spec])
      if (r.code !== 0) break
    }
  }
  const exists = await cmd.run('iptables', ['-w', '-t', table, '-n', '-L', chain])
  if (exists.code !== 0) return
  await cmd.must('iptables', ['-w', '-t', table, '-F', chain])
  await cmd.must('iptables', ['-w', '-t', table, '-X', chain])
}

export async function applyPodNetworkRules(cmd: HostCommands, input: PodNetworkRulesInput): Promise<void> {
  // Chains first (restore creates them), then the jumps into them.
  await cmd.must('iptables-restore', ['-w', '--noflush'], podNetworkRules(input))
  for (const j of JUMPS) await ensureJump(cmd, j.table, j.from, j.chain, j.comment)
}

export async function removePodNetworkRules(cmd: HostCommands): Promise<void> {
  for (const j of JUMPS) await removeChain(cmd, j.table, j.from, j.chain, j.comment)
}
