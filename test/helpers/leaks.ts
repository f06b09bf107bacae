// Scoped leak checks: what a test file could leave on the host, looked up by the names it gave
// its own resources (its cluster name, its temp folder, its subnet's chain and veths, its pods'
// UIDs), never as a host-wide before/after diff. Test files run two at a time (test/run.mjs):
// another file's cluster coming or going must not change this file's answer, and this file's
// own leftovers must still fail it ("tests leave nothing behind").
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cgroupMounts, podCgroup } from '../../src-cluster/kubelet/pod-cgroup'
import { SUBNET_CLAIMS_DIR } from '../../src-main/providers/local/layout'

/** A substring of a line, or a pattern it matches. */
export type Mark = string | RegExp

export interface Leftovers {
  netns: string[]
  links: string[]
  iptables: string[]
  mounts: string[]
  processes: string[]
}

/** What `leftovers` returns when nothing is left. */
export const NOTHING: Leftovers = { netns: [], links: [], iptables: [], mounts: [], processes: [] }

const out = (cmd: string, args: string[]): string => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? ''

/** Whether a line carries one of the marks. */
export const marked =
  (marks: readonly Mark[]) =>
  (line: string): boolean =>
    line !== '' && marks.some((m) => (typeof m === 'string' ? line.includes(m) : m.test(line)))

/** Network namespaces, links, iptables lines (every table), mounts and processes carrying one of `marks`. */
export function leftovers(marks: readonly Mark[]): Leftovers {
  const mine = marked(marks)
  return {
    netns: out('ip', ['netns', 'list']).split('\n').filter(mine),
    links: out('ip', ['-o', 'link'])
      .split('\n')
      .map((l) => l.split(':')[1]?.trim() ?? '')
      .filter(mine),
    iptables: out('iptables-save', [])
      .split('\n')
      .filter((l) => !l.startsWith('#') && mine(l)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(mine),
    // Not this process's own command line (vitest's), which may name a marked file.
    processes: out('ps', ['-eo', 'pid=,args='])
      .split('\n')
      .filter((l) => Number(l.trim().split(/\s+/)[0]) !== process.pid)
      .map((l) => l.trim().replace(/^\d+\s+/, ''))
      .filter(mine),
  }
}

/**
 * The marks of a `local` cluster: its netns, bridge and paths (`kl-NAME`, its folder) and, from
 * its layout, its iptables chain `KUBELAB-N` and host-side veths `klvN-*` (which carry no name).
 */
export function localClusterMarks(cluster: string, dir: string, subnet?: number): Mark[] {
  return [`kl-${cluster}`, dir, ...(subnet === undefined ? [] : [new RegExp(`KUBELAB-${subnet}\\b`), `klv${subnet}-`])]
}

/** The UIDs of the pods a local cluster's kubelets still have on disk (read them before delete). */
export function localPodUids(clusterDir: string): string[] {
  const nodes = join(clusterDir, 'nodes')
  if (!existsSync(nodes)) return []
  return readdirSync(nodes).flatMap((n) => {
    const pods = join(nodes, n, 'var', 'lib', 'kubelab', 'kubelet', 'pods')
    return existsSync(pods) ? readdirSync(pods).filter((u) => /^[0-9a-f-]{36}$/.test(u)) : []
  })
}

/** Pod cgroups (`CGROUP_ROOT/pod<uid>` in every hierarchy) of these pods that still exist. */
export function podCgroupsLeft(uids: readonly string[], cgroupRoot = '/kubelab'): string[] {
  return cgroupMounts().flatMap((m) => uids.map((u) => join(m, podCgroup(cgroupRoot, u))).filter((d) => existsSync(d)))
}

/** The host-wide /24 claims (src-main/providers/local/layout.ts) that name a cluster folder under `dir`. */
export function subnetClaimsUnder(dir: string): string[] {
  if (!existsSync(SUBNET_CLAIMS_DIR)) return []
  return readdirSync(SUBNET_CLAIMS_DIR).filter((f) => /^\d+$/.test(f) && readFileSync(join(SUBNET_CLAIMS_DIR, f), 'utf8').startsWith(dir))
}
