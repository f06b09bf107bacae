// Restoring a cluster whose control plane runs on a node (local, qemu, multipass, virtualbox):
// over SSH to the control-plane node, copy the (already verified) backup there, stop the API
// server (and etcd), run `kubelab-node restore` (etcdctl snapshot restore underneath for etcd),
// start them again. If the restore step fails the old data is untouched and the components are
// started on it again. The rest of the cluster keeps running: kubelets, scheduler and
// controllers re-list when their watches get 410 and reconcile to the restored state.
import { posix } from 'node:path'
import type { Provider, ProviderContext, NodeRecord } from '../providers/types'
import { loginFor, SshSession } from '../ssh-provisioning/ssh'
import { etcdPeerHost, shQuote, nodePaths, type NodePaths } from '../ssh-provisioning/node-plan'

export interface NodeRestoreInput {
  readonly provider: Provider
  readonly ctx: ProviderContext
  readonly node: NodeRecord
  readonly store: 'embedded' | 'etcd'
  /** The verified backup file on the host. */
  readonly file: string
  /** The store's revision before the restore (clients may hold it). */
  readonly minRevision: number
  readonly progress: (line: string) => void
}

/** Start/stop one component: systemd on VMs, the supervisor on local nodes (as labs do). */
const SV = `sv() { if [ -z "\${KUBELAB_ROOT:-}" ] && [ -d /run/systemd/system ]; then systemctl "$1" "kubelab-$2"; else "\${KUBELAB_NODE_BINARY:-node}" "\${KUBELAB_ROOT:-}/var/lib/kubelab/bin/supervisor.mjs" ctl "$1" "$2"; fi; }`

/** An SSH session to a control-plane node, its address and the KubeLab paths under its root. */
interface NodeSession {
  readonly s: SshSession
  readonly ip: string
  readonly d: NodePaths
  /** Where the backup is uploaded on the node. */
  readonly remote: string
}

async function connectForRestore(provider: Provider, ctx: ProviderContext, node: NodeRecord, what: string): Promise<NodeSession> {
  const t = await provider.sshTarget(ctx, node)
  if (!t) throw new Error(`provider ${provider.name} gives node ${node.name} no SSH access, so kubelab restore cannot reach ${what}`)
  const ip = await provider.address(ctx, node)
  if (!ip) throw new Error(`provider ${provider.name} gave node ${node.name} no address: is it running? (kubelab list)`)
  const s = await SshSession.connect(loginFor(t), { deadline: Date.now() + 30_000, node: node.name })
  try {
    const root = (await s.run('printf %s "${KUBELAB_ROOT:-/}"', { timeoutMs: 20_000 })).stdout.trim() || '/'
    const d = nodePaths(root)
    return { s, ip, d, remote: posix.join(d.staging, 'restore.backup.tar.gz') }
  } catch (e) {
    s.close()
    throw e
  }
}

/** `kubelab-node restore ARGS` as the node's shell runs it (the node's own Node.js and bundle). */
const restoreCommand = (d: NodePaths, args: readonly string[]): string =>
  ['"${KUBELAB_NODE_BINARY:-node}"', shQuote(posix.join(d.bin, 'kubelab-node.js')), 'restore', ...args.map(shQuote)].join(' ')

/** The flags that restore a member's etcd data: its name, the cluster's members, token and peer URL as it runs with them. */
const etcdMemberArgs = (d: NodePaths, name: string, initialCluster: string, peer: string, clusterName: string, minRevision: number): string[] => [
  '--etcd-data-dir',
  d.etcdData,
  '--name',
  name,
  '--initial-cluster',
  initialCluster,
  '--initial-advertise-peer-urls',
  peer,
  '--initial-cluster-token',
  `kubelab-${clusterName}`,
  '--min-revision',
  String(minRevision),
]

export async function restoreOnNode(input: NodeRestoreInput): Promise<void> {
  const { s, ip, d, remote } = await connectForRestore(input.provider, input.ctx, input.node, 'its store')
  try {
    input.progress(`copying the backup to node ${input.node.name}`)
    await s.upload([{ remote, local: input.file, mode: 0o600 }], { timeoutMs: 600_000 })
    const components = input.store === 'etcd' ? ['apiserver', 'etcd'] : ['apiserver']
    const stop = components.map((c) => `sv stop ${c}`).join(' && ')
    const start = [...components]
      .reverse()
      .map((c) => `sv start ${c}`)
      .join(' && ')
    const peer = `https://${ip}:2380`
    const args =
      input.store === 'etcd'
        ? etcdMemberArgs(d, input.node.name, `${input.node.name}=${peer}`, peer, input.ctx.clusterName, input.minRevision)
        : ['--data-dir', posix.join(d.lib, 'apiserver')]
    const restore = restoreCommand(d, ['--from', remote, ...args])
    const line = (l: string) => input.progress(`${input.node.name}: ${l}`)
    input.progress(`stopping ${components.join(' and ')} on node ${input.node.name}`)
    await s.run(`${SV}; ${stop}`, { timeoutMs: 120_000, onLine: line })
    const r = await s.exec(`${restore}; rc=$?; rm -f ${shQuote(remote)}; exit $rc`, { timeoutMs: 900_000, onLine: line })
    input.progress(`starting ${[...components].reverse().join(' and ')} on node ${input.node.name}`)
    await s.run(`${SV}; ${start}`, { timeoutMs: 120_000, onLine: line })
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`
      throw new Error(`${why.replace(/^kubelab-node restore: /, '')} (on node ${input.node.name}; its components were started again on their unchanged data)`)
    }
  } finally {
    s.close()
  }
}

/**
 * Restart components on a node after a restore, as upstream's etcd restore procedure
 * recommends for kube-scheduler, kube-controller-manager and the kubelets: a kubelet that
 * already tore down a pod that the restore brought back would otherwise not run it again.
 */
export async function restartOnNode(
  provider: Provider,
  ctx: ProviderContext,
  node: NodeRecord,
  components: readonly string[],
  progress: (line: string) => void,
): Promise<void> {
  const t = await provider.sshTarget(ctx, node)
  if (!t) throw new Error(`provider ${provider.name} gives node ${node.name} no SSH access to restart ${components.join(', ')}`)
  const s = await SshSession.connect(loginFor(t), { deadline: Date.now() + 30_000, node: node.name })
  try {
    progress(`restarting ${components.join(', ')} on node ${node.name}`)
    await s.run(`${SV}; ${components.map((c) => `sv stop ${c} && sv start ${c}`).join(' && ')}`, {
      timeoutMs: 120_000,
      onLine: (l) => progress(`${node.name}: ${l}`),
    })
  } finally {
    s.close()
  }
}

export interface MembersRestoreInput {
  readonly provider: Provider
  readonly ctx: ProviderContext
  /** Every control-plane node (every etcd member), all running. */
  readonly nodes: readonly NodeRecord[]
  readonly file: string
  readonly minRevision: number
  readonly progress: (line: string) => void
}

interface MemberSession extends NodeSession {
  readonly node: NodeRecord
}

/**
 * Restores every etcd member of a cluster with several control-plane nodes, as upstream's
 * procedure for an HA cluster: stop every API server, then every etcd member; restore the same
 * snapshot on each member with the cluster's whole `--initial-cluster` (same names, peer URLs
 * and token as the members run with); start the members, then the API servers. In two phases
 * so that a failure on one member changes none: every member stages its restored data
 * (`kubelab-node restore --stage`) and only when all have, each swaps it in (`--commit`);
 * otherwise the staged data is removed (`--abort`) and the components start on their old data.
 */
export async function restoreEtcdMembers(input: MembersRestoreInput): Promise<void> {
  const sessions: MemberSession[] = []
  try {
    for (const node of input.nodes) sessions.push({ node, ...(await connectForRestore(input.provider, input.ctx, node, 'its etcd member')) })
    const all = (f: (m: MemberSession) => Promise<void>) => Promise.all(sessions.map(f))
    const line = (m: MemberSession) => (l: string) => input.progress(`${m.node.name}: ${l}`)
    const sv = (m: MemberSession, cmd: string) => m.s.run(`${SV}; ${cmd}`, { timeoutMs: 120_000, onLine: line(m) })
    input.progress(`copying the backup to ${sessions.map((m) => m.node.name).join(', ')}`)
    await all((m) => m.s.upload([{ remote: m.remote, local: input.file, mode: 0o600 }], { timeoutMs: 600_000 }))
    // Peer URLs as the members run with: by node name on VM providers (node-plan.ts etcdPeerHost).
    const byName = input.provider.nodeApiLb === true
    const peerOf = (m: MemberSession): string => `https://${etcdPeerHost({ name: m.node.name, role: 'control-plane', ip: m.ip }, byName)}:2380`
    const initialCluster = sessions.map((m) => `${m.node.name}=${peerOf(m)}`).join(',')
    // Every API server first (none may write to a member that is about to be replaced), then etcd.
    input.progress(`stopping the API server on every control-plane node, then every etcd member`)
    await all(async (m) => void (await sv(m, 'sv stop apiserver')))
    await all(async (m) => void (await sv(m, 'sv stop etcd')))
    const failures: string[] = []
    let committed = false
    try {
      input.progress(`restoring the snapshot on every member (${initialCluster})`)
      await all(async (m) => {
        const cmd = restoreCommand(m.d, [
          '--from',
          m.remote,
          ...etcdMemberArgs(m.d, m.node.name, initialCluster, peerOf(m), input.ctx.clusterName, input.minRevision),
          '--stage',
        ])
        const r = await m.s.exec(cmd, { timeoutMs: 900_000, onLine: line(m) })
        if (r.code !== 0)
          failures.push(
            `${
              r.stderr
                .trim()
                .split('\n')
                .filter(Boolean)
                .pop()
                ?.replace(/^kubelab-node restore: /, '') ?? `exit ${r.code}`
            } (on node ${m.node.name})`,
          )
      })
      if (failures.length === 0) {
        await all(async (m) => {
          const r = await m.s.exec(restoreCommand(m.d, ['--etcd-data-dir', m.d.etcdData, '--commit']), { timeoutMs: 120_000, onLine: line(m) })
          if (r.code !== 0) throw new Error(`swapping the restored data in failed on node ${m.node.name}: ${r.stderr.trim()}`)
        })
        committed = true
      }
    } finally {
      if (!committed) await all(async (m) => void (await m.s.exec(restoreCommand(m.d, ['--etcd-data-dir', m.d.etcdData, '--abort']), { timeoutMs: 120_000 })))
      await all(async (m) => void (await m.s.exec(`rm -f ${shQuote(m.remote)}`, { timeoutMs: 20_000 })))
      input.progress(`starting every etcd member, then every API server${committed ? '' : ' (on their unchanged data)'}`)
      await all(async (m) => void (await sv(m, 'sv start etcd')))
      await all(async (m) => void (await sv(m, 'sv start apiserver')))
    }
    if (failures.length) throw new Error(`${failures.join('; ')}; every member was started again on its unchanged data`)
  } finally {
    for (const m of sessions) m.s.close()
  }
}
