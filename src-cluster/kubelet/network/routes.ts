// Routes to the other nodes' pod CIDRs through their InternalIP. Our routes carry their own
// routing protocol number, so a restarted kubelet finds them again and removes the ones of
// nodes that are gone without touching anybody else's routes.
import type { HostCommands } from '../../kit/host'
import { ipToNumber, parseCidr } from '../../kit/ipv4'

/** Routing protocol id marking KubeLab's pod routes (`ip route ... proto 231`). */
export const ROUTE_PROTO = '231'

export interface NodeRoute {
  /** The other node's pod CIDR, normalised (10.244.2.0/24). */
  readonly dst: string
  /** The other node's InternalIP. */
  readonly via: string
  readonly node: string
}

/** The Node fields routes depend on (a subset of a v1 Node). */
export interface NodeLike {
  readonly metadata?: { readonly name?: string }
  readonly spec?: { readonly podCIDR?: string; readonly podCIDRs?: readonly string[] }
  readonly status?: { readonly addresses?: readonly { readonly type?: string; readonly address?: string }[] }
}

export function internalIP(node: NodeLike): string | undefined {
  const a = node.status?.addresses?.find((x) => x.type === 'InternalIP' && x.address && ipToNumber(x.address) !== undefined)
  return a?.address
}

/** One route per other node with an IPv4 podCIDR and InternalIP. Pure. */
export function desiredRoutes(nodes: readonly NodeLike[], self: { readonly podCIDR: string; readonly nodeIP: string }): NodeRoute[] {
  const own = parseCidr(self.podCIDR).text
  const out = new Map<string, NodeRoute>()
  for (const n of nodes) {
    const via = internalIP(n)
    const cidr = n.spec?.podCIDRs?.find((c) => c.includes('.')) ?? n.spec?.podCIDR
    if (!via || !cidr || via === self.nodeIP) continue
    let dst: string
    try {
      dst = parseCidr(cidr).text
    } catch {
      continue
    }
    if (dst === own) continue
    out.set(dst, { dst, via, node: n.metadata?.name ?? '' })
  }
  return [...out.values()].sort((a, b) => a.dst.localeCompare(b.dst))
}

interface IpRouteJson {
  dst?: string
  gateway?: string
}

/** Our routes as the kernel has them now. */
export async function currentRoutes(cmd: HostCommands): Promise<{ dst: string; via: string }[]> {
  const text = await cmd.must('ip', ['-j', '-4', 'route', 'show', 'proto', ROUTE_PROTO])
  const rows = (text.trim() ? JSON.parse(text) : []) as IpRouteJson[]
  return rows.filter((r) => r.dst).map((r) => ({ dst: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, via: r.gateway ?? '' }))
}

/** Make the kernel's routes equal `want`: replace changed/new ones, delete ours that are not wanted. */
export async function applyRoutes(cmd: HostCommands, want: readonly NodeRoute[]): Promise<{ added: string[]; removed: string[] }> {
  const have = await currentRoutes(cmd)
  const haveBy = new Map(have.map((r) => [r.dst, r.via]))
  const added: string[] = []
  const removed: string[] = []
  for (const r of want) {
    if (haveBy.get(r.dst) === r.via) continue
    await cmd.must('ip', ['route', 'replace', r.dst, 'via', r.via, 'proto', ROUTE_PROTO])
    added.push(`${r.dst} via ${r.via}`)
  }
  const wanted = new Set(want.map((r) => r.dst))
  for (const r of have) {
    if (wanted.has(r.dst)) continue
    const res = await cmd.run('ip', ['route', 'del', r.dst, 'proto', ROUTE_PROTO])
    if (res.code === 0) removed.push(r.dst)
  }
  return { added, removed }
}
