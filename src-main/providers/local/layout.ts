// Names and places of a local cluster: the per-cluster /24 (10.231.N.0/24, N chosen free on
// this host), the bridge kl-<cluster>, netns kl-<cluster>-<node>, host-side veths, the iptables
// chain, and each node's folder (its filesystem root: etc/, var/, run/ as a VM would have).
// Recorded in CLUSTER/local.json so every later call (and a restarted app) finds the same ones.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { hostIpv4Text } from './host'

export interface LocalLayout {
  /** Third octet N of 10.231.N.0/24. */
  readonly subnet: number
  readonly bridge: string
  readonly chain: string
  /** Node name → last octet of its address (2..254); the host's bridge address is .1. */
  readonly hosts: Record<string, number>
}

export const SUBNET_PREFIX = '10.231'
const FILE = 'local.json'

export function layoutFile(clusterDir: string): string {
  return join(clusterDir, FILE)
}

export function readLayout(clusterDir: string): LocalLayout | undefined {
  const f = layoutFile(clusterDir)
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LocalLayout) : undefined
}

function short(s: string, n: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n)
}

/** Interface names are at most 15 characters: long cluster names use a hash. */
export function bridgeName(cluster: string): string {
  return `kl-${cluster}`.length <= 15 ? `kl-${cluster}` : `kl-${short(cluster, 12)}`
}

export function netnsName(cluster: string, node: string): string {
  return `kl-${cluster}-${node}`
}

export function vethName(layout: LocalLayout, node: string): string {
  return `klv${layout.subnet}-${layout.hosts[node] ?? 0}`
}

export function nodeIp(layout: LocalLayout, node: string): string {
  const h = layout.hosts[node]
  if (h === undefined) throw new Error(`node ${node} has no address in this local cluster's layout (local.json)`)
  return `${SUBNET_PREFIX}.${layout.subnet}.${h}`
}

/** Last-octet start of the /28 that LoadBalancer Services get addresses from. */
const LB_POOL_FIRST = 240

/** The cluster's LoadBalancer pool: the top /28 of its /24, routed from the host via the master. */
export function loadBalancerPool(layout: LocalLayout): string {
  return `${SUBNET_PREFIX}.${layout.subnet}.${LB_POOL_FIRST}/28`
}

export function hostIp(layout: LocalLayout): string {
  return `${SUBNET_PREFIX}.${layout.subnet}.1`
}

export function nodeDir(clusterDir: string, node: string): string {
  return join(clusterDir, 'nodes', node)
}

/** Subnets other local clusters (under the same clusters folder) already hold. */
function claimedSubnets(clusterDir: string): Set<number> {
  const parent = dirname(clusterDir)
  const out = new Set<number>()
  if (!existsSync(parent)) return out
  for (const name of readdirSync(parent)) {
    const other = join(parent, name)
    if (other === clusterDir) continue
    const l = readLayout(other)
    if (l) out.add(l.subnet)
  }
  return out
}

/**
 * Host-wide claims on the /24s: one file per claimed N naming the cluster folder that holds it.
 * Two clusters in different KUBELAB_HOMEs (two users, or parallel tests) that are created at the
 * same moment would otherwise both pick the first /24 without an address on the host yet.
 */
export const SUBNET_CLAIMS_DIR = process.env.KUBELAB_LOCAL_CLAIMS ?? '/run/kubelab/local-subnets'

/** Runs `f` holding the host-wide claims lock (a directory; one a crashed process left is broken after 30 s). */
function withClaimsLock<T>(f: () => T): T {
  mkdirSync(SUBNET_CLAIMS_DIR, { recursive: true, mode: 0o700 })
  const lock = join(SUBNET_CLAIMS_DIR, '.lock')
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 30_000) rmSync(lock, { recursive: true, force: true })
      else if (i > 600)
        throw new Error(`the local-cluster subnet claims (${SUBNET_CLAIMS_DIR}) stay locked: remove ${lock} if no kubelab is creating a cluster`)
      else Atomics.wait(pause, 0, 0, 50)
    }
  }
  try {
    return f()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** /24s claimed by local clusters in any folder whose layout still names them (others are stale). */
function hostClaims(clusterDir: string): Set<number> {
  const out = new Set<number>()
  for (const f of readdirSync(SUBNET_CLAIMS_DIR)) {
    const n = Number(f)
    if (!Number.isInteger(n)) continue
    const owner = readFileSync(join(SUBNET_CLAIMS_DIR, f), 'utf8')
    if (owner !== clusterDir && readLayout(owner)?.subnet === n) out.add(n)
  }
  return out
}

/** Gives back the /24 claim of a cluster whose layout goes (its last node deleted). */
export function releaseSubnet(clusterDir: string, layout: LocalLayout): void {
  const f = join(SUBNET_CLAIMS_DIR, String(layout.subnet))
  if (existsSync(f) && readFileSync(f, 'utf8') === clusterDir) rmSync(f, { force: true })
}

/** The cluster's layout, chosen on first use (a free /24) and extended for new nodes. */
export function ensureLayout(clusterDir: string, cluster: string, nodes: readonly string[]): LocalLayout {
  const existing = readLayout(clusterDir)
  if (existing) return extendLayout(clusterDir, cluster, existing, nodes)
  // Choose and record under the claims lock, so a cluster created at the same moment elsewhere
  // on this host sees the claim.
  return withClaimsLock(() => {
    const used = hostIpv4Text()
    const claimed = new Set([...claimedSubnets(clusterDir), ...hostClaims(clusterDir)])
    let subnet: number | undefined
    for (let n = 10; n < 250; n++) {
      if (claimed.has(n)) continue
      if (used.includes(`${SUBNET_PREFIX}.${n}.`)) continue
      subnet = n
      break
    }
    if (subnet === undefined)
      throw new Error(`no free /24 in ${SUBNET_PREFIX}.0.0/16 on this host for a local cluster: delete unused local clusters (kubelab list)`)
    const l = extendLayout(clusterDir, cluster, { subnet, bridge: bridgeName(cluster), chain: `KUBELAB-${subnet}`, hosts: {} }, nodes)
    writeFileSync(join(SUBNET_CLAIMS_DIR, String(subnet)), clusterDir, { mode: 0o600 })
    return l
  })
}

/** Gives nodes without an address the lowest free one and records the layout. */
function extendLayout(clusterDir: string, cluster: string, layout: LocalLayout, nodes: readonly string[]): LocalLayout {
  const hosts = { ...layout.hosts }
  for (const n of nodes) {
    if (hosts[n] !== undefined) continue
    const taken = new Set(Object.values(hosts))
    let h = 2
    while (taken.has(h)) h++
    // .240-.255 are the LoadBalancer pool (loadBalancerPool).
    if (h >= LB_POOL_FIRST) throw new Error(`local cluster ${cluster} has no address left for node ${n}`)
    hosts[n] = h
  }
  const l = { ...layout, hosts }
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 })
  writeFileSync(layoutFile(clusterDir), `${JSON.stringify(l, null, 2)}\n`, { mode: 0o600 })
  return l
}
