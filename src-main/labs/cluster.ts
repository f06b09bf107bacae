// A LabCluster for a cluster the ClusterManager knows: admin kubeconfig from its folder,
// progress in clusters/NAME/labs/, scripts on the host shell (simulated) or over SSH on the
// step's node (providers with machines), reusing one SSH session per node.
import { join } from 'node:path'
import type { ClusterManager } from '../backend/cluster-manager'
import { loginFromKeyFile, SshSession } from '../provisioning/ssh'
import { kubectlFor, type Kubectl } from './kubectl'
import { readNodes } from './needs'
import { ProgressStore } from './progress'
import type { LabCluster } from './runner'
import { hostExecutor, sshExecutor } from './scripts'

export interface ManagedLabCluster extends LabCluster {
  /** Closes SSH sessions opened for scripts. */
  close(): void
}

export function labsProgressDir(clusterDir: string): string {
  return join(clusterDir, 'labs')
}

export async function managedLabCluster(manager: ClusterManager, name: string): Promise<ManagedLabCluster> {
  const rec = (await manager.list()).find((c) => c.name === name)
  if (!rec) throw new Error(`no cluster named ${name}; see: kubelab list`)
  const provider = rec.provider ?? 'simulated'
  const kubeconfig = manager.kubeconfigPath(name)
  const kubectl = kubectlFor(kubeconfig)
  const progress = new ProgressStore(labsProgressDir(manager.dir(name)))
  if (provider === 'simulated') return { name, provider, kubectl, executor: hostExecutor(kubeconfig), progress, close: () => {} }
  const sessions = new Map<string, SshSession>()
  const aliasToNode = async (alias: string): Promise<string> => {
    const nodes = await nodeNamesByAlias(kubectl)
    const real = nodes.get(alias)
    if (!real) throw new Error(`lab scripts asked for node ${alias}, but cluster ${name} has only ${[...nodes.keys()].join(', ')}`)
    return real
  }
  const open = async (alias: string): Promise<SshSession> => {
    const have = sessions.get(alias)
    if (have && !have.isClosed) return have
    const node = await aliasToNode(alias)
    const t = await manager.sshTarget(name, node)
    const s = await SshSession.connect(loginFromKeyFile(t.host, t.port, t.user, t.privateKeyFile), { deadline: Date.now() + 20_000, node })
    sessions.set(alias, s)
    return s
  }
  return {
    name,
    provider,
    kubectl,
    executor: sshExecutor(open, kubeconfig),
    progress,
    async images() {
      // Images present on every node, as containerd names them.
      let common: Set<string> | undefined
      for (const alias of (await nodeNamesByAlias(kubectl)).keys()) {
        const s = await open(alias)
        const r = await s.exec('ctr -a "${KUBELAB_ROOT:-}/run/containerd/containerd.sock" -n k8s.io images ls -q 2>/dev/null || sudo -n ctr -n k8s.io images ls -q', { timeoutMs: 20_000 })
        if (r.code !== 0) return undefined
        const here = new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean))
        common = common ? new Set([...common].filter((i) => here.has(i))) : here
      }
      return common
    },
    close() {
      for (const s of sessions.values()) s.close()
      sessions.clear()
    },
  }
}

/** alias → machine name, from the API's nodes. */
async function nodeNamesByAlias(k: Kubectl): Promise<Map<string, string>> {
  return new Map((await readNodes(k)).map((n) => [n.alias, n.name]))
}
