import { existsSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { importImageOnNode } from '../../ssh-provisioning/images'
import { loginFor, SshSession } from '../../ssh-provisioning/ssh'
import { usageExitCode } from '../command'
import { clusterCommand } from './cluster-util'

const usage = ['kubelab image load CLUSTER FILE.tar', '  loads an OCI or docker-archive image tarball into the containerd of every node'].join('\n')

function bar(done: number, total: number): string {
  const w = 24
  const n = Math.round((done / Math.max(1, total)) * w)
  return `[${'#'.repeat(n)}${'.'.repeat(w - n)}] ${done}/${total}`
}

/** `kubelab image load NAME FILE.tar`: upload over SFTP, then `ctr images import` on each node. */
export const imageCommand = clusterCommand({
  name: 'image',
  summary: 'Load an image tarball into every node of a cluster',
  usage,
  flags: {},
  positional: 3,
  async run(manager, { positional }, io) {
    const [action, cluster, file] = positional as [string, string, string]
    if (action !== 'load') {
      io.err(`kubelab image: unknown action ${action}: use load\n\nUsage: ${usage}`)
      return usageExitCode
    }
    if (!existsSync(file) || !statSync(file).isFile())
      throw new Error(`${file} is not a file: give an OCI or docker-archive .tar (e.g. from docker save or our image builder)`)
    const nodes = manager.nodeNames(cluster)
    const steps = nodes.length * 2
    let done = 0
    const tick = (what: string): void => io.out(`${bar(++done, steps)} ${what}`)
    for (const node of nodes) {
      const t = await manager.sshTarget(cluster, node)
      const s = await SshSession.connect(loginFor(t), { deadline: Date.now() + 30_000, node })
      try {
        const root = (await s.run('printf %s "${KUBELAB_ROOT:-/}"')).stdout || '/'
        tick(`${node}: uploading ${basename(file)} (${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB)`)
        // The same upload + ctr import provisioning uses for the standard images.
        const names = await importImageOnNode(s, root, file, { timeoutMs: 600_000 })
        tick(`${node}: imported ${names.join(', ') || basename(file)}`)
      } finally {
        s.close()
      }
    }
    return 0
  },
})
