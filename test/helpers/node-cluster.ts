// The e2e cluster the node-agent tests share: an in-process control plane on the host, listening
// on a test bridge, and nodes that are network namespaces with their own containerd running OUR
// agents (`kubelab-node kubelet`, `proxy`, `netpol`, `ingress`, `dns`) as child processes, with
// the busybox and pause images loaded. Each test file names its own subnet, bridge and node
// names (parallel e2e tests use others). Everything started is removed by close(): pods first
// (so each kubelet stops its containers and releases their CNI addresses), then the agents, the
// containerds, the cgroups, the control plane, the bridge, routes added with addRoute and the
// temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll } from 'vitest'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage } from '../../provisioning/images'
import { issueCert, issueClientCert } from '../../src-cluster/kit/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src-cluster/cmd/control-plane'
import { KUBECTL, type KubectlResult } from './apiserver'
import { runCommand, stdoutOf } from './cli'
import { until as poll } from './wait'
import { createTestBridge, removeCgroupTree, startContainerdNode, type ContainerdNode, type TestBridge } from './containerd'

const repo = resolve(__dirname, '../..')

export const CLUSTER_CIDR = '10.244.0.0/16'

export interface NodeSpec {
  /** The Kubernetes node name. */
  readonly name: string
  /** Short name for the netns and veth (a few characters: interface names are at most 15). */
  readonly short: string
  /** The node's address on the bridge. */
  readonly ip: string
}

export interface NodeClusterOptions {
  /** Temp dir prefix and cgroup tag, e.g. `ingress` (one per test file). */
  readonly tag: string
  /** The bridge's name in the host namespace (at most 15 characters). */
  readonly bridge: string
  /** The host's address on the bridge; the API server listens there. */
  readonly hostIp: string
  readonly nodes: readonly NodeSpec[]
  readonly controllerOptions?: ControlPlaneOptions['controllerOptions']
  /** Kubelets authenticate as system:node:NAME (Node authorizer, NodeRestriction) instead of admin. */
  readonly nodeIdentity?: boolean
  /** Extra kubelet flags per node. */
  readonly kubeletArgs?: (node: NodeSpec) => string[]
  /** Agents to start beside each node's kubelet, as `kubelab-node` argument lists keyed by a label. */
  readonly agents?: (node: NodeSpec, c: NodeCluster) => Record<string, string[]>
  /** Called after the runtimes started and before the agents (folders, routes, ...). */
  readonly beforeAgents?: (c: NodeCluster) => Promise<void> | void
}

export interface Agent {
  /** A test that replaces an agent on purpose renames the old one `... (old)` so until() ignores its exit. */
  what: string
  readonly child: ChildProcess
  readonly log: string
}

export interface NodeCluster {
  readonly dir: string
  readonly kubeconfig: string
  /** kubectl's --cache-dir and environment, for kubectl processes a test spawns itself (streams, ptys). */
  readonly cacheDir: string
  readonly kubectlEnv: Record<string, string>
  /** The admin identity the node agents (proxy, netpol, ...) use: these tests check data paths, not RBAC. */
  readonly agentKubeconfig: string
  readonly controlPlane: ControlPlane
  readonly bridge: TestBridge
  readonly runtimes: ReadonlyMap<string, ContainerdNode>
  readonly agents: Agent[]
  /** The kubelet's command line per node (to restart it). */
  readonly kubeletArgs: ReadonlyMap<string, string[]>
  runtime(node: string): ContainerdNode
  kubectl(args: string[], o?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>
  /** kubectl that throws with its output when it fails. */
  k(...args: string[]): Promise<string>
  apply(yaml: string): Promise<string>
  getPod(name: string, namespace?: string): Promise<Pod | undefined>
  /** Polls `check` until it returns a value; fails at once when an agent exited, with every agent's log tail. */
  until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>
  /** Starts `kubelab-node ARGS` inside a node's network namespace (only the netns: the kubelet must see the host's cgroup and mount trees). */
  startAgent(netns: string, what: string, args: string[]): ChildProcess
  stopChild(child: ChildProcess, graceMs: number): Promise<void>
  agentLogs(): string
  /** A host route removed again by close(). */
  addRoute(cidr: string, via: string): void
  /** Waits until every node is Ready with a podCIDR. */
  nodesReady(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export const isReady = (pod: Pod | undefined): boolean =>
  pod?.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')

/** Starts the control plane, the nodes' containerds and kubelets (plus `agents`); close() undoes all of it, also after a failed start. */
export async function startNodeCluster(opts: NodeClusterOptions): Promise<NodeCluster> {
  const dir = mkdtempSync(join(tmpdir(), `kubelab-${opts.tag}-e2e-`))
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const agentKubeconfig = join(dir, 'agent.kubeconfig')
  const cacheDir = join(dir, 'kube-cache')
  const kubectlEnv = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } as Record<string, string>
  const cgroupRoot = (node: string): string => `/kubelab-${opts.tag}-${process.pid}-${node}`
  const runtimes = new Map<string, ContainerdNode>()
  const kubeletArgs = new Map<string, string[]>()
  const agents: Agent[] = []
  const routes: string[] = []
  let cp: ControlPlane | undefined
  let bridge: TestBridge | undefined

  const kubectl: NodeCluster['kubectl'] = (args, ko = {}) =>
    runCommand(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { env: kubectlEnv, timeoutMs: ko.timeoutMs, input: ko.input })
  const k = async (...args: string[]): Promise<string> => stdoutOf(`kubectl ${args.join(' ')}`, await kubectl(args))
  const agentLogs = (): string =>
    agents.map((a) => `--- ${a.what} (${a.log}):\n${existsSync(a.log) ? readFileSync(a.log, 'utf8').slice(-3000) : ''}`).join('\n')
  const until = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> =>
    poll(what, check, {
      timeoutMs,
      intervalMs: 300,
      context: agentLogs,
      // An agent replaced on purpose is labelled `(old)`: its exit is expected.
      stopIf: () => {
        const a = agents.find((x) => x.child.exitCode !== null && !x.what.endsWith('(old)'))
        return a && `${a.what} exited with ${a.child.exitCode}`
      },
    }) as Promise<T>

  const startAgent = (netns: string, what: string, args: string[]): ChildProcess => {
    const log = join(dir, `${what}.log`)
    const fd = openSync(log, 'a')
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, join(repo, 'bin/kubelab-node.mjs'), ...args], {
      cwd: repo,
      stdio: ['ignore', fd, fd],
    })
    closeSync(fd)
    agents.push({ what, child, log })
    return child
  }
  const stopChild = async (child: ChildProcess, graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  const close = async (): Promise<void> => {
    if (cp && agents.some((a) => a.what.startsWith('kubelet') && a.child.exitCode === null)) {
      await kubectl(['delete', 'deployments', '--all', '--all-namespaces', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 })
      await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
    }
    // dns removes its endpoint, the proxies and netpol their iptables chains, on SIGTERM.
    for (const a of [...agents].reverse()) await stopChild(a.child, 10_000)
    for (const rt of runtimes.values()) await rt.stop()
    for (const n of opts.nodes) removeCgroupTree(cgroupRoot(n.name))
    for (const r of routes) spawnSync('ip', ['route', 'del', r])
    await cp?.close()
    await bridge?.remove()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    bridge = await createTestBridge(opts.bridge, `${opts.hostIp}/24`)
    // The API server listens on the bridge's host address: the nodes reach it from their namespaces.
    cp = await startControlPlane({
      dataDir: join(dir, 'data'),
      bindAddress: opts.hostIp,
      securePort: 0,
      adminKubeconfig: kubeconfig,
      extraSANs: [opts.hostIp],
      controllerOptions: { clusterCIDR: CLUSTER_CIDR, ...opts.controllerOptions },
      log: () => {},
    })
    const api = cp.apiserver
    writeKubeconfig(agentKubeconfig, { server: api.url, caPem: api.pki.ca.certPem, user: 'kubelab-node', certPem: api.admin.certPem, keyPem: api.admin.keyPem })
    const images = await Promise.all(
      [busyboxImageSpec(), pauseImageSpec()].map(async (spec) => {
        const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
        await writeImage(spec, tar)
        return tar
      }),
    )
    const cluster: NodeCluster = {
      dir,
      kubeconfig,
      cacheDir,
      kubectlEnv,
      agentKubeconfig,
      controlPlane: cp,
      bridge,
      runtimes,
      agents,
      kubeletArgs,
      runtime: (node) => {
        const rt = runtimes.get(node)
        if (!rt) throw new Error(`no node ${node}`)
        return rt
      },
      kubectl,
      k,
      apply: async (yaml) => {
        const r = await kubectl(['apply', '-f', '-'], { input: yaml })
        if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
        return r.stdout
      },
      getPod: async (name, namespace = 'default') => {
        const r = await kubectl(['get', 'pod', '-n', namespace, name, '-o', 'json'])
        return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined
      },
      until,
      startAgent,
      stopChild,
      agentLogs,
      addRoute: (cidr, via) => {
        spawnSync('ip', ['route', 'del', cidr])
        const r = spawnSync('ip', ['route', 'add', cidr, 'via', via], { encoding: 'utf8' })
        if (r.status !== 0) throw new Error(`ip route add ${cidr} via ${via}: ${r.stderr}`)
        routes.push(cidr)
      },
      nodesReady: async (timeoutMs = 90_000) => {
        await until(
          `${opts.nodes.length === 1 ? 'the node' : 'every node'} Ready with a podCIDR`,
          async () => {
            const list = JSON.parse(await k('get', 'nodes', '-o', 'json')) as { items: Node[] }
            if (
              list.items.length === opts.nodes.length &&
              list.items.every((n) => n.spec?.podCIDR && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            )
              return true
            throw new Error(
              list.items
                .map(
                  (n) =>
                    `${n.metadata?.name} podCIDR=${n.spec?.podCIDR} ${(n.status?.conditions ?? []).map((c) => `${c.type}=${c.status} (${c.message ?? ''})`).join(', ')}`,
                )
                .join('; ') || 'no nodes',
            )
          },
          timeoutMs,
        )
      },
      close,
    }
    await Promise.all(
      opts.nodes.map(async (n) => {
        const rt = await startContainerdNode(n.short, { bridge: bridge!, ip: n.ip })
        runtimes.set(n.name, rt)
        for (const tar of images) await loadImage(tar, { socket: rt.socket, snapshotter: rt.snapshotter })
      }),
    )
    await opts.beforeAgents?.(cluster)
    for (const n of opts.nodes) {
      const rt = runtimes.get(n.name)!
      // The kubelet's serving certificate, from the cluster CA, for the address the API server dials.
      const serving = issueCert(api.pki.ca, { commonName: `system:node:${n.name}`, organizations: ['system:nodes'], server: true, ipAddresses: [n.ip] })
      const nodeDir = join(dir, n.name)
      mkdirSync(nodeDir, { recursive: true })
      writeFileSync(join(nodeDir, 'kubelet.crt'), serving.certPem)
      writeFileSync(join(nodeDir, 'kubelet.key'), serving.keyPem, { mode: 0o600 })
      let kubeletKubeconfig = agentKubeconfig
      if (opts.nodeIdentity) {
        // The kubelet runs as its node, as on a real cluster: held by the Node authorizer and NodeRestriction.
        kubeletKubeconfig = join(nodeDir, 'kubelet.kubeconfig')
        const client = issueClientCert(api.pki.ca, `system:node:${n.name}`, ['system:nodes'])
        writeKubeconfig(kubeletKubeconfig, {
          server: api.url,
          caPem: api.pki.ca.certPem,
          user: `system:node:${n.name}`,
          certPem: client.certPem,
          keyPem: client.keyPem,
        })
      }
      const args = [
        'kubelet',
        '--kubeconfig',
        kubeletKubeconfig,
        '--node-name',
        n.name,
        '--node-ip',
        n.ip,
        '--container-runtime-endpoint',
        `unix://${rt.socket}`,
        '--root-dir',
        join(nodeDir, 'kubelet'),
        '--pod-log-dir',
        join(nodeDir, 'pods'),
        '--tls-cert-file',
        join(nodeDir, 'kubelet.crt'),
        '--tls-private-key-file',
        join(nodeDir, 'kubelet.key'),
        '--cni-conf-dir',
        rt.cniConfDir,
        '--cluster-cidr',
        CLUSTER_CIDR,
        '--cgroup-root',
        cgroupRoot(n.name),
        '--port',
        '10250',
        ...(opts.kubeletArgs?.(n) ?? []),
      ]
      kubeletArgs.set(n.name, args)
      startAgent(rt.netns, opts.nodes.length === 1 ? 'kubelet' : `kubelet-${n.name}`, args)
      for (const [what, agentArgs] of Object.entries(opts.agents?.(n, cluster) ?? {})) startAgent(rt.netns, what, agentArgs)
    }
    return cluster
  } catch (e) {
    await close().catch(() => undefined)
    throw e
  }
}

const METHODS = new Set<string>([
  'runtime',
  'kubectl',
  'k',
  'apply',
  'getPod',
  'until',
  'startAgent',
  'stopChild',
  'agentLogs',
  'addRoute',
  'nodesReady',
  'close',
])

/**
 * Starts the cluster in a beforeAll and closes it in an afterAll of the calling file. The methods
 * of what it returns may be taken apart at once (`const { k, until } = useNodeCluster(...)`);
 * the fields (dir, runtimes, ...) are read once the cluster runs. Call it before the file's
 * own beforeAll, which then runs on the started cluster.
 */
export function useNodeCluster(opts: NodeClusterOptions, startTimeoutMs = 120_000): NodeCluster {
  let c: NodeCluster | undefined
  beforeAll(async () => {
    c = await startNodeCluster(opts)
  }, startTimeoutMs)
  afterAll(async () => {
    await c?.close()
  }, 150_000)
  const started = (): NodeCluster => {
    if (!c) throw new Error('the e2e cluster did not start (see the beforeAll failure)')
    return c
  }
  return new Proxy({} as NodeCluster, {
    get: (_t, prop: string) =>
      METHODS.has(prop)
        ? (...args: unknown[]) => (started()[prop as keyof NodeCluster] as (...a: unknown[]) => unknown)(...args)
        : started()[prop as keyof NodeCluster],
  })
}
