// The node's pod network: what the kubelet sets up on start (CNI config for its podCIDR,
// forwarding, masquerade) and keeps current while nodes come and go (routes to the other
// nodes' pod CIDRs). teardownNodeNetwork() removes every piece again.
import { mkdir, rm, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { CNI_CONFLIST_NAME, cniConflistText } from './cni-config'
import { hostCommands, type HostCommands } from '../../kit/host'
import { parseCidr, ipToNumber } from '../../kit/ipv4'
import { applyPodNetworkRules, removePodNetworkRules } from './masquerade'
import { applyRoutes, currentRoutes, desiredRoutes, ROUTE_PROTO, type NodeLike } from './routes'

export { CNI_CONFLIST_NAME, cniConflist, cniConflistText, type CniConflist, type CniConfigOptions } from './cni-config'
export { podNetworkRules, MASQ_CHAIN, FORWARD_CHAIN } from './masquerade'
export { desiredRoutes, internalIP, ROUTE_PROTO, type NodeLike, type NodeRoute } from './routes'

export const DEFAULT_BRIDGE = 'kubelab0'

export interface NodeNetworkOptions {
  /** This node's slice of the pod network (its Node's spec.podCIDR). */
  readonly podCIDR: string
  /** This node's InternalIP (routes never point at ourselves). */
  readonly nodeIP: string
  /** Where this node's containerd reads CNI configs (its CRI plugin's `conf_dir`). */
  readonly cniConfDir: string
  /** The whole pod network, e.g. 10.244.0.0/16: traffic to it is never masqueraded. */
  readonly clusterCIDR: string
  readonly bridge?: string
  /** host-local's lease directory; default /var/lib/kubelab/cni/networks. Keep one per node. */
  readonly ipamDataDir?: string
  /** Run ip/iptables/sysctl in this named network namespace instead of our own (tests). */
  readonly netns?: string
  readonly log?: (line: string) => void
}

export interface NodeNetwork {
  readonly options: NodeNetworkOptions
  /** Routes to every other node's podCIDR via its InternalIP; routes of vanished nodes go. */
  syncRoutes(nodes: readonly NodeLike[]): Promise<void>
  /** Remove the conflist, our iptables chains, our routes and the bridge. */
  teardown(): Promise<void>
}

function validate(o: NodeNetworkOptions): void {
  parseCidr(o.podCIDR)
  parseCidr(o.clusterCIDR)
  if (ipToNumber(o.nodeIP) === undefined) throw new Error(`node IP ${JSON.stringify(o.nodeIP)} is not an IPv4 address`)
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(o.bridge ?? DEFAULT_BRIDGE))
    throw new Error(`bridge name ${JSON.stringify(o.bridge)} must be 1-15 letters, digits, '.', '-' or '_'`)
}

/**
 * Write the CNI conflist, enable forwarding and apply the masquerade/forward rules. Safe to call
 * again (e.g. after a restart): every step replaces what an earlier call made.
 */
export async function setupNodeNetwork(opts: NodeNetworkOptions): Promise<NodeNetwork> {
  validate(opts)
  const cmd = hostCommands(opts.netns)
  const log = opts.log ?? (() => {})
  const bridge = opts.bridge ?? DEFAULT_BRIDGE
  const ipamDataDir = opts.ipamDataDir ?? '/var/lib/kubelab/cni/networks'
  await mkdir(opts.cniConfDir, { recursive: true })
  await mkdir(ipamDataDir, { recursive: true })
  // Write-then-rename: containerd watches the directory and must never read half a file.
  const file = join(opts.cniConfDir, CNI_CONFLIST_NAME)
  await writeFile(`${file}.tmp`, cniConflistText({ podCIDR: parseCidr(opts.podCIDR).text, bridge, ipamDataDir }))
  await rename(`${file}.tmp`, file)
  await cmd.must('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'])
  // Pod-to-service traffic answered by a pod on the same bridge must pass iptables to be un-NATed.
  const brnf = await cmd.run('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'])
  if (brnf.code !== 0)
    log(
      `node network: cannot enable bridge-nf-call-iptables (load br_netfilter): ${brnf.stderr.trim()}; services reached from a pod on the same node may not answer`,
    )
  await applyPodNetworkRules(cmd, { podCIDR: parseCidr(opts.podCIDR).text, clusterCIDR: parseCidr(opts.clusterCIDR).text })
  log(`node network: CNI config ${file} for ${opts.podCIDR} on bridge ${bridge}; masquerading ${opts.podCIDR} outside ${opts.clusterCIDR}`)
  return {
    options: opts,
    async syncRoutes(nodes) {
      const { added, removed } = await applyRoutes(cmd, desiredRoutes(nodes, opts))
      for (const a of added) log(`node network: route ${a}`)
      for (const r of removed) log(`node network: removed route ${r}`)
    },
    teardown: () => teardownNodeNetwork(opts),
  }
}

/** Remove everything setupNodeNetwork and syncRoutes made; pieces already gone are skipped. */
export async function teardownNodeNetwork(opts: Pick<NodeNetworkOptions, 'cniConfDir' | 'bridge' | 'netns'>): Promise<void> {
  const cmd = hostCommands(opts.netns)
  await rm(join(opts.cniConfDir, CNI_CONFLIST_NAME), { force: true })
  await removePodNetworkRules(cmd)
  await removeOurRoutes(cmd)
  const bridge = opts.bridge ?? DEFAULT_BRIDGE
  const link = await cmd.run('ip', ['link', 'show', bridge])
  if (link.code === 0) await cmd.must('ip', ['link', 'del', bridge])
}

async function removeOurRoutes(cmd: HostCommands): Promise<void> {
  for (const r of await currentRoutes(cmd)) await cmd.run('ip', ['route', 'del', r.dst, 'proto', ROUTE_PROTO])
}

/** What watchNodeRoutes needs of a Node informer (the client's Informer fits). */
export interface NodeSource {
  list(): NodeLike[]
  addHandler(h: { add?: (n: NodeLike) => void; update?: (a: NodeLike, b: NodeLike) => void; delete?: (n: NodeLike) => void }): void
}

/**
 * Keep routes in step with a Node informer: any node change re-syncs (coalesced, one at a time).
 * Returns a function that stops reacting. Call after the informer has synced.
 */
export function watchNodeRoutes(net: NodeNetwork, nodes: NodeSource, log: (line: string) => void = () => {}): () => void {
  let running = false
  let again = false
  let stopped = false
  const kick = (): void => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = true
    void (async () => {
      do {
        again = false
        try {
          await net.syncRoutes(nodes.list())
        } catch (e) {
          log(`node network: route sync failed: ${(e as Error).message}`)
        }
      } while (again && !stopped)
      running = false
    })()
  }
  nodes.addHandler({ add: kick, update: kick, delete: kick })
  kick()
  return () => {
    stopped = true
  }
}
