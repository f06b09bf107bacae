// Pod-level cgroups. The kubelet names `<cgroupRoot>/pod<uid>` as each sandbox's cgroup parent;
// runc removes every container's own cgroup but never that parent, so without this the host's
// cgroup tree keeps one empty folder per pod that ever ran (upstream's pod container manager
// deletes it once the pod is gone).
import { readdirSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'

/** The cgroup of one pod, relative to each hierarchy's root. */
export const podCgroup = (cgroupRoot: string, uid: string): string => `${cgroupRoot}/pod${uid}`

/** Mount points of the cgroup hierarchies here: each v1 controller's, and the v2 unified one. */
export function cgroupMounts(): string[] {
  let info: string
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return []
  }
  const out = new Set<string>()
  for (const line of info.split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    const fstype = line.slice(sep + 3).split(' ')[0]
    const mountPoint = line.split(' ')[4]
    if ((fstype === 'cgroup' || fstype === 'cgroup2') && mountPoint) out.add(mountPoint.replace(/\\040/g, ' '))
  }
  return [...out]
}

/** Removes a cgroup and what is below it in every hierarchy, leaves first. A cgroup that still has processes stays (rmdir refuses it). */
export function removeCgroup(path: string): void {
  const rel = path.replace(/^\/+/, '')
  if (!rel || rel.split('/').includes('..')) return
  for (const m of cgroupMounts()) removeTree(join(m, rel))
}

function removeTree(dir: string): void {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) if (e.isDirectory()) removeTree(join(dir, e.name))
  try {
    rmdirSync(dir)
  } catch {
    // Busy (processes still in it) or already gone: nothing to do.
  }
}
