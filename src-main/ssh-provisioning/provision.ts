// Provisioning one node over SSH, as steps: wait for SSH → look at the node (its root, Node.js,
// init system) → upload the bundle, certificates, configuration and installer into the staging
// folder → run install-node.sh (idempotent) which installs and (re)starts the services.
// Identical for VMs and local nodes; a re-run after any failure converges.
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import type { NodeBundle } from '../../provisioning/bundle'
import { INSTALL_SCRIPT } from '../../provisioning/bundle'
import {
  manifest,
  agentLayout,
  agentPartUnit,
  etcHostsBlock,
  nodeComponents,
  runsNodeApiLb,
  nodeEnvFile,
  nodePaths,
  shutdownUnit,
  supervisorConfig,
  systemdUnit,
  type NodePlanInput,
  type PlanNode,
  type ServiceMode,
  type StagedFile,
  type StoreKind,
} from './node-plan'
import { importImageOnNode, tagSandboxImageCommand, type ImageTarball } from './images'
import { nodeArchOf, runtimeDirOnNode, runtimeInstallScript, runtimeInstalledCheck, type NodeArch, type NodeRuntime } from './node-runtime'
import { componentKubeconfig, type ClusterPki } from './pki'
import { kubectlInstallScript, type NodeKubectl } from './node-kubectl'
import { etcdPkiPaths, type EtcdPkiPaths } from '../../src-cluster/store/etcd-member'
import { SshSession, type SshLogin } from './ssh'
import type { StepRunner } from './steps'

export interface ProvisionInput {
  readonly cluster: string
  readonly node: PlanNode
  readonly masterIp: string
  /** CIDR for LoadBalancer Services, when the provider routes one. */
  readonly loadBalancerPool?: string
  /** Where the API server keeps objects (default: its embedded store). */
  readonly store?: StoreKind
  /** Every control-plane node, when there are several (each runs an etcd member and an API server). */
  readonly controlPlanes?: readonly PlanNode[]
  /**
   * host:port every node's kubelet and proxy reach the API server at: the stable endpoint of
   * several control planes. Default: the master's address. Control-plane components (scheduler,
   * controller manager, DNS) talk to their own node's API server.
   */
  readonly apiEndpoint?: string
  /** Extra addresses in the API servers' certificate (the stable endpoint's). */
  readonly apiSans?: readonly string[]
  /**
   * VM providers with several control planes: the node runs its own API balancer (kubelab-api-lb
   * on 127.0.0.1:6444; give `apiEndpoint` 127.0.0.1:6444) and gets the /etc/hosts block naming
   * every control-plane node (etcd peers by name). See node-plan.ts `nodeApiLb`.
   */
  readonly nodeApiLb?: boolean
  readonly login: SshLogin
  readonly bundle: NodeBundle
  readonly pki: ClusterPki
  readonly runner: StepRunner
  /** Image tarballs every node's containerd gets (the sandbox image first). */
  readonly images?: readonly ImageTarball[]
  /** How long to wait for SSH to answer (default 120 s). */
  readonly sshWaitMs?: number
  /**
   * VMs: gives the Linux Node.js runtime tarball for the node's architecture (fetched once on
   * the host, node-runtime.ts); it is uploaded and installed unless the node has that version.
   * Absent (local nodes): the node's own Node.js runs the agents.
   */
  readonly nodeRuntime?: (arch: NodeArch, progress: (line: string) => void) => Promise<NodeRuntime>
  /**
   * VMs: gives a Linux kubectl for the node's architecture (node-kubectl.ts), installed as
   * /usr/local/bin/kubectl; the control plane also gets /etc/kubernetes/admin.conf and
   * /root/.kube/config (as kubeadm leaves them) with `nodeAdminKubeconfig`.
   */
  readonly nodeKubectl?: (arch: NodeArch, progress: (line: string) => void) => Promise<NodeKubectl>
  /** The admin kubeconfig as seen from inside the cluster (server = the master's address). */
  readonly nodeAdminKubeconfig?: string
  /**
   * Awaited before the install step: workers upload in parallel with the control plane and
   * start their services only once its API server is installed.
   */
  readonly beforeInstall?: () => Promise<void>
  /**
   * Multiplies every remote command's time limit: an emulated (TCG) VM runs everything several
   * times slower than the hardware it pretends to be (default 1).
   */
  readonly timeoutScale?: number
  /** Called with the live session (tests drop it mid-install). */
  readonly onSession?: (s: SshSession) => void
}

export interface NodeFacts {
  readonly root: string
  readonly nodeBinary: string
  readonly serviceMode: ServiceMode
  /** `uname -m`: picks the Node.js runtime a VM gets. */
  readonly machine: string
}

/** Asks the node where its root is, which Node.js to use, whether systemd runs it, its CPU. */
async function nodeFacts(s: SshSession, signal?: AbortSignal, scale = 1): Promise<NodeFacts> {
  const r = await s.run(
    'printf "%s\\n" "${KUBELAB_ROOT:-/}" "${KUBELAB_NODE_BINARY:-$(command -v node || echo none)}"; if [ -z "${KUBELAB_ROOT:-}" ] && [ -d /run/systemd/system ]; then echo systemd; else echo supervisor; fi; uname -m',
    { timeoutMs: 30_000 * scale, signal },
  )
  const [root, nodeBinary, mode, machine] = r.stdout.trim().split('\n')
  return {
    root: root || '/',
    nodeBinary: nodeBinary && nodeBinary !== 'none' ? nodeBinary : 'node',
    serviceMode: mode === 'systemd' ? 'systemd' : 'supervisor',
    machine: machine ?? '',
  }
}

/** Puts the host's Node.js runtime on the node (unless it has that version); returns its node binary. */
async function installNodeRuntime(
  s: SshSession,
  facts: NodeFacts,
  get: NonNullable<ProvisionInput['nodeRuntime']>,
  ctx: { line(l: string): void; signal: AbortSignal },
  scale = 1,
): Promise<string> {
  const rt = await get(nodeArchOf(facts.machine), (l) => ctx.line(l))
  const dir = runtimeDirOnNode(facts.root, rt.version)
  const bin = `${dir}/bin/node`
  if ((await s.exec(runtimeInstalledCheck(dir, rt.version), { timeoutMs: 30_000 * scale, signal: ctx.signal })).code === 0) {
    ctx.line(`Node.js ${rt.version} (${rt.arch}) already on the node`)
    return bin
  }
  const staging = nodePaths(facts.root).staging
  const tarball = posix.join(staging, `node-runtime.tar.${rt.compression}`)
  await s.run(`mkdir -p ${staging} && chmod 0700 ${staging}`, { timeoutMs: 30_000 * scale, signal: ctx.signal })
  ctx.line(`uploading ${posix.basename(rt.file)} (${rt.source === 'env' ? 'KUBELAB_NODE_RUNTIME' : rt.source})`)
  await s.upload([{ remote: tarball, local: rt.file, mode: 0o600 }], {
    signal: ctx.signal,
    onFile: (_r, n) => ctx.line(`${(n / 1024 / 1024).toFixed(1)} MiB uploaded`),
  })
  const res = await s.exec(runtimeInstallScript(tarball, dir, rt.version, rt.compression), {
    onLine: (l) => ctx.line(l),
    timeoutMs: 300_000 * scale,
    signal: ctx.signal,
  })
  if (res.code !== 0)
    throw new Error(
      `installing Node.js ${rt.version} on the node failed (exit ${res.code ?? res.signal})${res.stderr.trim() ? `: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
    )
  return bin
}

/**
 * Installs kubectl (skipped when the same binary is there) and, on the control plane, the admin
 * kubeconfig. A host that cannot get kubectl warns instead of failing the create: the cluster
 * works, only kubectl on the nodes (and labs that run it there) does not.
 */
async function installKubectl(
  s: SshSession,
  facts: NodeFacts,
  i: ProvisionInput,
  get: NonNullable<ProvisionInput['nodeKubectl']>,
  ctx: { line(l: string): void; signal: AbortSignal },
): Promise<void> {
  const scale = i.timeoutScale ?? 1
  let k: NodeKubectl
  try {
    k = await get(nodeArchOf(facts.machine), (l) => ctx.line(l))
  } catch (e) {
    ctx.line(
      `WARNING: kubectl is not installed on this node: ${(e as Error).message}. The cluster works; kubectl on the node and labs that run it there do not until you run create again with KUBELAB_KUBECTL set`,
    )
    return
  }
  // Under the node's root: a local node (or a test double) is a folder on the host.
  const root = facts.root.replace(/\/+$/, '')
  const bin = `${root}/usr/local/bin`
  const staging = nodePaths(facts.root).staging
  const stamp = posix.join(nodePaths(facts.root).lib, 'kubectl.source')
  const id = posix.basename(k.gz)
  await s.run(`mkdir -p ${staging} && chmod 0700 ${staging}`, { timeoutMs: 30_000 * scale, signal: ctx.signal })
  if ((await s.exec(`[ -x ${bin}/kubectl ] && [ "$(cat ${stamp} 2>/dev/null)" = '${id}' ]`, { timeoutMs: 30_000 * scale, signal: ctx.signal })).code === 0) {
    ctx.line('kubectl already on the node')
  } else {
    const gz = posix.join(staging, 'kubectl.gz')
    ctx.line(`uploading kubectl (${k.source === 'env' ? 'KUBELAB_KUBECTL' : k.source})`)
    await s.upload([{ remote: gz, local: k.gz, mode: 0o600 }], {
      signal: ctx.signal,
      onFile: (_r, n) => ctx.line(`${(n / 1024 / 1024).toFixed(1)} MiB uploaded`),
    })
    const res = await s.exec(`${kubectlInstallScript(gz, bin)}\necho '${id}' > ${stamp}`, {
      onLine: (l) => ctx.line(l),
      timeoutMs: 120_000 * scale,
      signal: ctx.signal,
    })
    if (res.code !== 0)
      throw new Error(
        `installing kubectl on the node failed (exit ${res.code ?? res.signal})${res.stderr.trim() ? `: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
      )
  }
  if (i.node.role === 'control-plane' && i.nodeAdminKubeconfig) {
    await s.run(`mkdir -p ${root}/etc/kubernetes ${root}/root/.kube && chmod 0700 ${root}/root/.kube`, { timeoutMs: 30_000 * scale, signal: ctx.signal })
    await s.upload(
      [
        { remote: `${root}/etc/kubernetes/admin.conf`, content: i.nodeAdminKubeconfig, mode: 0o600 },
        { remote: `${root}/root/.kube/config`, content: i.nodeAdminKubeconfig, mode: 0o600 },
      ],
      { signal: ctx.signal },
    )
    ctx.line('admin kubeconfig in /etc/kubernetes/admin.conf and /root/.kube/config')
  }
}

/** Everything the node gets, as staged files with their destinations. */
export function nodeFiles(
  input: Pick<
    ProvisionInput,
    | 'cluster'
    | 'node'
    | 'masterIp'
    | 'bundle'
    | 'pki'
    | 'loadBalancerPool'
    | 'store'
    | 'controlPlanes'
    | 'apiEndpoint'
    | 'apiSans'
    | 'timeoutScale'
    | 'nodeApiLb'
  >,
  facts: NodeFacts,
): { files: StagedFile[]; components: string[]; missing: string[]; etcHosts?: string } {
  const plan: NodePlanInput = {
    cluster: input.cluster,
    node: input.node,
    masterIp: input.masterIp,
    root: facts.root,
    nodeBinary: facts.nodeBinary,
    serviceMode: facts.serviceMode,
    available: new Set(input.bundle.components),
    kubeletFlags: new Set(input.bundle.kubeletFlags),
    loadBalancerPool: input.loadBalancerPool,
    store: input.store,
    controlPlanes: input.controlPlanes,
    apiSans: input.apiSans,
    timeScale: input.timeoutScale ?? 1,
    nodeApiLb: input.nodeApiLb,
  }
  const agentServer = input.apiEndpoint ?? input.masterIp
  const d = nodePaths(facts.root)
  const { components, missing } = nodeComponents(plan)
  const files: StagedFile[] = []
  const add = (name: string, dest: string, content: string | Buffer, mode = 0o644): void => {
    files.push({ name, dest, content, mode })
  }
  for (const f of input.bundle.files)
    add(f.name, posix.join(d.bin, f.name), readFileSync(f.path), f.name.endsWith('.js') || f.name.endsWith('.mjs') ? 0o755 : 0o644)
  add('node.env', posix.join(d.etc, 'node.env'), nodeEnvFile(plan))
  add('ca.crt', posix.join(d.etc, 'pki', 'ca.crt'), input.pki.ca.certPem)
  const nc = input.pki.node(input.node.name)
  add('kubelet.crt', posix.join(d.etc, 'pki', 'kubelet.crt'), nc.kubeletServing.certPem)
  add('kubelet.key', posix.join(d.etc, 'pki', 'kubelet.key'), nc.kubeletServing.keyPem, 0o600)
  add(
    'kubelet.kubeconfig',
    posix.join(d.etc, 'kubelet.kubeconfig'),
    componentKubeconfig(input.pki, agentServer, `system:node:${input.node.name}`, nc.kubeletClient),
    0o600,
  )
  add('proxy.kubeconfig', posix.join(d.etc, 'proxy.kubeconfig'), componentKubeconfig(input.pki, agentServer, 'system:kube-proxy', nc.proxyClient), 0o600)
  if (input.node.role === 'control-plane') {
    // The API server finds its PKI in DATA/pki and reuses it instead of making its own.
    const apki = posix.join(d.lib, 'apiserver', 'pki')
    add('apiserver-ca.crt', posix.join(apki, 'ca.crt'), input.pki.ca.certPem)
    add('apiserver-ca.key', posix.join(apki, 'ca.key'), input.pki.ca.keyPem, 0o600)
    add('apiserver.crt', posix.join(apki, 'apiserver.crt'), input.pki.apiserver.certPem)
    add('apiserver.key', posix.join(apki, 'apiserver.key'), input.pki.apiserver.keyPem, 0o600)
    add('apiserver.names', posix.join(apki, 'apiserver.names'), input.pki.apiserverNames)
    add('sa.key', posix.join(apki, 'sa.key'), input.pki.serviceAccountKeyPem, 0o600)
    add('sa.pub', posix.join(apki, 'sa.pub'), input.pki.serviceAccountPubPem)
    add('admin.crt', posix.join(apki, 'admin.crt'), input.pki.admin.certPem)
    add('admin.key', posix.join(apki, 'admin.key'), input.pki.admin.keyPem, 0o600)
    for (const c of ['scheduler', 'controller-manager', 'dns'] as const) {
      const user = c === 'dns' ? 'system:kube-dns' : `system:kube-${c}`
      add(`${c}.kubeconfig`, posix.join(d.etc, `${c}.kubeconfig`), componentKubeconfig(input.pki, input.node.ip, user, input.pki.component(c)), 0o600)
    }
    if (input.store === 'etcd') {
      // Where kubeadm keeps them, so etcdctl works on the node as in the usual exercises.
      const e = input.pki.etcdMember(input.node.name)
      const p = etcdPkiPaths(d.kubernetesPki)
      add('etcd-ca.crt', p.caFile, e.ca.certPem)
      add('etcd-server.crt', p.serverCert, e.server.certPem)
      add('etcd-server.key', p.serverKey, e.server.keyPem, 0o600)
      add('etcd-peer.crt', p.peerCert, e.peer.certPem)
      add('etcd-peer.key', p.peerKey, e.peer.keyPem, 0o600)
      add('etcd-healthcheck-client.crt', p.healthcheckCert, e.healthcheckClient.certPem)
      add('etcd-healthcheck-client.key', p.healthcheckKey, e.healthcheckClient.keyPem, 0o600)
      add('apiserver-etcd-client.crt', p.clientCert, e.apiserverClient.certPem)
      add('apiserver-etcd-client.key', p.clientKey, e.apiserverClient.keyPem, 0o600)
      // `. etcdctl.env` on the node, then plain `etcdctl endpoint health` / `snapshot save F`.
      add('etcdctl.env', posix.join(d.etc, 'etcdctl.env'), etcdctlEnv(p), 0o600)
    }
  }
  // The node's agents run in one `kubelab-node agent` process (when the build has it).
  const layout = agentLayout(plan, components)
  const agent = layout.processes.find((c) => c.parts)
  if (layout.agentConfig) add('agent.json', posix.join(d.etc, 'agent.json'), layout.agentConfig)
  if (facts.serviceMode === 'systemd') {
    for (const c of layout.processes) add(`kubelab-${c.name}.service`, `/etc/systemd/system/kubelab-${c.name}.service`, systemdUnit(plan, c))
    for (const c of layout.parts) add(`kubelab-${c.name}.service`, `/etc/systemd/system/kubelab-${c.name}.service`, agentPartUnit(plan, c, agent!))
    add('kubelab-shutdown.service', '/etc/systemd/system/kubelab-shutdown.service', shutdownUnit(plan))
  } else {
    add('components.json', posix.join(d.etc, 'components.json'), supervisorConfig(plan, layout.processes))
  }
  const etcHosts = runsNodeApiLb(plan) ? `${etcHostsBlock(plan.controlPlanes!)}\n` : undefined
  if (etcHosts) add('etc-hosts.kubelab', posix.join(d.etc, 'etc-hosts.kubelab'), etcHosts)
  // Units (or supervisor entries) by name: the processes, then the agent's parts.
  const names = [...layout.processes.map((c) => c.name), ...layout.parts.map((c) => c.name)]
  return { files, components: names, missing, ...(etcHosts ? { etcHosts } : {}) }
}

/** Environment for etcdctl (3.4 reads ETCDCTL_*) pointing at the node's own member with the healthcheck client certificate. */
export function etcdctlEnv(etcdPkiPaths: EtcdPkiPaths): string {
  return (
    [
      'export ETCDCTL_API=3',
      'export ETCDCTL_ENDPOINTS=https://127.0.0.1:2379',
      `export ETCDCTL_CACERT=${etcdPkiPaths.caFile}`,
      `export ETCDCTL_CERT=${etcdPkiPaths.healthcheckCert}`,
      `export ETCDCTL_KEY=${etcdPkiPaths.healthcheckKey}`,
    ].join('\n') + '\n'
  )
}

/** Provisions one node; every wait is bounded and every step reported. */
export async function provisionNode(input: ProvisionInput): Promise<void> {
  const r = input.runner
  const node = input.node.name
  const scale = input.timeoutScale ?? 1
  const s = await r.run('wait for SSH', node, async (ctx) => {
    ctx.hint(`check that node ${node} runs and its sshd listens on ${input.login.host}:${input.login.port}; kubelab list shows its state`)
    return SshSession.connect(input.login, {
      deadline: Date.now() + (input.sshWaitMs ?? 120_000),
      node,
      onAttempt: (n, e) => ctx.line(`attempt ${n}: ${e}`),
      cancelled: () => ctx.signal.aborted,
    })
  })
  input.onSession?.(s)
  try {
    let facts = await r.run('inspect node', node, async (ctx) => {
      const f = await nodeFacts(s, ctx.signal, scale)
      ctx.line(`root ${f.root}, ${input.nodeRuntime ? '' : `Node.js ${f.nodeBinary}, `}services by ${f.serviceMode}, ${f.machine}`)
      return f
    })
    if (input.nodeRuntime) {
      const get = input.nodeRuntime
      const current = facts
      const nodeBinary = await r.run('node runtime', node, async (ctx) => {
        ctx.hint(`set KUBELAB_NODE_RUNTIME to a node-vX.Y.Z-linux-ARCH.tar.gz from nodejs.org if the host cannot download it, and run create again`)
        return installNodeRuntime(s, current, get, ctx, scale)
      })
      facts = { ...facts, nodeBinary }
      if (input.nodeKubectl) {
        const getKubectl = input.nodeKubectl
        await r.run('kubectl', node, async (ctx) => installKubectl(s, current, input, getKubectl, ctx))
      }
    }
    const d = nodePaths(facts.root)
    const plan = nodeFiles(input, facts)
    if (plan.missing.length)
      r.run('check components', node, async (ctx) =>
        ctx.line(`this kubelab-node build has no ${plan.missing.join(', ')}: those components are left out`),
      ).catch(() => {})
    await r.run('upload', node, async (ctx) => {
      ctx.hint('check free disk space on the node and run create again (uploads are atomic and resume cleanly)')
      await s.run(`mkdir -p ${d.staging} && chmod 0700 ${d.staging}`, { timeoutMs: 30_000 * scale, signal: ctx.signal })
      const staged = [
        ...plan.files.map((f) => ({ remote: posix.join(d.staging, f.name), content: f.content, mode: 0o600 })),
        { remote: posix.join(d.staging, 'manifest.txt'), content: manifest(plan.files), mode: 0o600 },
        { remote: posix.join(d.staging, 'components.txt'), content: `${plan.components.join(' ')}\n`, mode: 0o600 },
        { remote: posix.join(d.staging, 'install-node.sh'), content: readFileSync(INSTALL_SCRIPT), mode: 0o700 },
        // install-node.sh puts this block into the node's /etc/hosts (empty: it removes one left there).
        ...(plan.etcHosts ? [] : [{ remote: posix.join(d.staging, 'etc-hosts.kubelab'), content: '', mode: 0o600 }]),
      ]
      let bytes = 0
      // Names and sizes only: file contents (keys, kubeconfigs) never reach a log.
      await s.upload(staged, {
        signal: ctx.signal,
        onFile: (remote, n) => {
          bytes += n
          ctx.line(`${posix.basename(remote)} (${n} bytes)`)
        },
      })
      ctx.line(`${staged.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB`)
    })
    const loadImages = async (): Promise<void> => {
      if (!input.images?.length) return
      // Importing again on a re-run is harmless (same digests), so this step converges like the others.
      await r.run('load images', node, async (ctx) => {
        ctx.hint(`check containerd on node ${node} (its log under var/log) and run create again`)
        if (facts.serviceMode === 'systemd')
          await s.run('[ -S /run/containerd/containerd.sock ] || systemctl enable --now containerd', { timeoutMs: 60_000 * scale, signal: ctx.signal })
        for (const img of input.images!) {
          const names = await importImageOnNode(s, facts.root, img.path, { timeoutMs: 300_000 * scale, signal: ctx.signal })
          ctx.line(`${img.name}: imported ${names.join(', ') || posix.basename(img.path)}`)
        }
        // Local nodes run containerd with our config (sandbox image = ours); a VM's is the distribution's.
        if (facts.serviceMode === 'systemd')
          ctx.line((await s.run(tagSandboxImageCommand(input.images![0]!.name), { timeoutMs: 60_000 * scale, signal: ctx.signal })).stdout.trim())
      })
    }
    // A VM (systemd) imports its images before the agents start: once they run, they share its
    // CPU with ctr, which under emulation made an import of the small pause image take minutes.
    // Local nodes (supervisor) get containerd from the installer, so they import after it.
    if (facts.serviceMode === 'systemd') await loadImages()
    if (input.beforeInstall) await input.beforeInstall()
    await r.run('install', node, async (ctx) => {
      ctx.hint(`read the lines above; fix what they name on node ${node} (kubelab ssh CLUSTER ${node}) and run create again`)
      // A cancel kills the installer's process group; what it installed is whole (temp + rename)
      // and the next run converges from there.
      const env = input.nodeRuntime ? `KUBELAB_NODE_BINARY='${facts.nodeBinary}' ` : ''
      const res = await s.exec(`${env}sh ${posix.join(d.staging, 'install-node.sh')}`, {
        onLine: (l) => ctx.line(l),
        timeoutMs: 300_000 * scale,
        signal: ctx.signal,
      })
      if (res.code !== 0) throw new Error(`install-node.sh exited ${res.code ?? res.signal}`)
    })
    if (facts.serviceMode !== 'systemd') await loadImages()
  } finally {
    s.close()
  }
}
