// Pod-level cgroups. The kubelet names `<cgroupRoot>/pod<uid>` as each sandbox's cgroup parent;
// runc removes every container's own cgroup but never that parent, so without this the host's
// cgroup tree keeps one empty folder per pod that ever ran (upstream's pod container manager
// deletes it once the pod is gone).
import { readFileSync } from 'node:fs'
import { readdir, rmdir } from 'node:fs/promises'
import { join } from 'node:path'

/** The cgroup of one pod, relative to each hierarchy's root. */
export const podCgroup = (cgroupRoot: string, uid: string): string => `${cgroupRoot}/pod${uid}`

let mounts: string[] | undefined

/**
 * Mount points of the cgroup hierarchies here: each v1 controller's, and the v2 unified one.
 * Read once (a node's mountinfo lists every pod's mounts; the cgroup hierarchies stay put).
 */
export function cgroupMounts(): string[] {
  if (mounts?.length) return mounts
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
  mounts = [...out]
  return mounts
}

/**
 * Removes a cgroup and what is below it in every hierarchy, leaves first. A cgroup that still has
 * processes stays (rmdir refuses it). Off the event loop: the kernel takes its time destroying a
 * cgroup, and a node deleting 100 pods at once spent seconds of its main thread in rmdir.
 */
export async function removeCgroup(path: string): Promise<void> {
  const rel = path.replace(/^\/+/, '')
  if (!rel || rel.split('/').includes('..')) return
  await Promise.all(cgroupMounts().map((m) => removeTree(join(m, rel))))
}

async function removeTree(dir: string): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name))
  try {
    await rmdir(dir)
  } catch {
    // Busy (processes still in it) or already gone: nothing to do.
  }
}
