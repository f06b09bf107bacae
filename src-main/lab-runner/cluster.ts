// A LabCluster for a cluster the ClusterManager knows: admin kubeconfig from its folder,
// progress in clusters/NAME/labs/, scripts on the host shell (simulated) or over SSH on the
// step's node (providers with machines), reusing one SSH session per node.
import { join } from 'node:path'
import type { ClusterManager } from '../clusters'
import { capabilitiesOf, DEFAULT_PROVIDER } from '../contract'
import { loginFor, SshSession } from '../ssh-provisioning/ssh'
import { importImageOnNode } from '../ssh-provisioning/images'
import { buildStandIns } from './images'
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
  const provider = rec.provider ?? DEFAULT_PROVIDER
  const kubeconfig = manager.kubeconfigPath(name)
  const kubectl = kubectlFor(kubeconfig)
  const progress = new ProgressStore(labsProgressDir(manager.dir(name)))
  if (!capabilitiesOf(provider).machines) return { name, provider, kubectl, executor: hostExecutor(kubeconfig), progress, close: () => {} }
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
    const s = await SshSession.connect(loginFor(t), { deadline: Date.now() + 60_000, node })
    sessions.set(alias, s)
    return s
  }
  return {
    name,
    provider,
    kubectl,
    executor: sshExecutor(open, manager.inClusterKubeconfigPath(name)),
    timeScale: manager.timeoutScale(name),
    progress,
    async images() {
      // Images present on every node, as containerd names them.
      let common: Set<string> | undefined
      for (const alias of (await nodeNamesByAlias(kubectl)).keys()) {
        const s = await open(alias)
        const r = await s.exec(
          'ctr -a "${KUBELAB_ROOT:-}/run/containerd/containerd.sock" -n k8s.io images ls -q 2>/dev/null || sudo -n ctr -n k8s.io images ls -q',
          { timeoutMs: 20_000 },
        )
        if (r.code !== 0) return undefined
        const here = new Set(
          r.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean),
        )
        common = common ? new Set([...common].filter((i) => here.has(i))) : here
      }
      return common
    },
    async nodeComponents() {
      // Local nodes: the supervisor's status file; VMs: the active kubelab-* systemd units.
      const out = new Map<string, ReadonlySet<string>>()
      for (const alias of (await nodeNamesByAlias(kubectl)).keys()) {
        const s = await open(alias)
        const r = await s.exec(COMPONENTS_SCRIPT, { timeoutMs: 20_000 })
        if (r.code !== 0) return undefined
        out.set(alias, parseComponents(r.stdout))
      }
      return out
    },
    async loadImages(refs, log) {
      const tars = await buildStandIns(refs, join(manager.home, 'cache', 'lab-images'))
      for (const [alias, node] of await nodeNamesByAlias(kubectl)) {
        const s = await open(alias)
        const root = (await s.run('printf %s "${KUBELAB_ROOT:-/}"', { timeoutMs: 20_000 })).stdout.trim() || '/'
        for (const t of tars) {
          await importImageOnNode(s, root, t.path, { timeoutMs: 120_000 })
          log(`${node}: loaded ${t.name} (KubeLab's offline stand-in for ${t.ref})`)
        }
      }
    },
    close() {
      for (const s of sessions.values()) s.close()
      sessions.clear()
    },
  }
}

// Also reports `lb-pool` when the controller manager is configured with an address pool for
// LoadBalancer Services (its flags are in the node agent's config, or — a build without the
// agent — the supervisor's config or the systemd unit).
const COMPONENTS_SCRIPT = [
  'r="${KUBELAB_ROOT:-}"; f="$r/run/kubelab/status.json"',
  'if grep -qs -- --lb-pool "$r/etc/kubelab/agent.json" "$r/etc/kubelab/components.json" /etc/systemd/system/kubelab-controller-manager.service; then lb=1; else lb=; fi',
  'if [ -f "$f" ]; then echo "supervisor${lb:+ lb-pool}"; cat "$f"',
  "else echo \"systemd${lb:+ lb-pool}\"; systemctl list-units 'kubelab-*.service' --state=active --no-legend --plain 2>/dev/null | awk '{print $1}'; fi",
].join('; ')

/** Components up on a node, from COMPONENTS_SCRIPT's output; plus `lb-pool` when configured. */
export function parseComponents(out: string): Set<string> {
  const [head, ...rest] = out.split('\n')
  const [kind, ...features] = (head ?? '').trim().split(/\s+/)
  const found = new Set<string>(features)
  if (kind === 'supervisor') {
    const st = JSON.parse(rest.join('\n')) as { components?: Record<string, { up?: boolean }> }
    for (const [n, c] of Object.entries(st.components ?? {})) if (c.up) found.add(n)
    return found
  }
  for (const l of rest) {
    const n = l.trim().match(/^kubelab-(.+)\.service$/)?.[1]
    if (n) found.add(n)
  }
  return found
}

/** alias → machine name, from the API's nodes. */
async function nodeNamesByAlias(k: Kubectl): Promise<Map<string, string>> {
  return new Map((await readNodes(k)).map((n) => [n.alias, n.name]))
}
