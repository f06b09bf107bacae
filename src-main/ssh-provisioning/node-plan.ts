// What runs on one node and the files that say so, rendered on the host: the component list
// (master: apiserver, scheduler, controller-manager, dns; every node: kubelet, proxy, netpol, ingress), the
// node's environment file, systemd units (VMs) or the supervisor's component list (local
// nodes), and the manifest install-node.sh installs from the staging folder. All paths are
// under the node's root (`/` on a VM; the node's folder for a local node), which the node
// reports itself over SSH.
import { posix } from 'node:path'
import { etcdMemberArgs, etcdPkiPaths } from '../../src-cluster/store/etcd-member'
import { NODE_PROCESS_ENV, nodeProcessFlags } from '../../src-cluster/cmd/memory'

export type ServiceMode = 'systemd' | 'supervisor'

export interface PlanNode {
  readonly name: string
  readonly role: 'control-plane' | 'worker'
  readonly ip: string
}

export interface NodePlanInput {
  readonly cluster: string
  readonly node: PlanNode
  readonly masterIp: string
  /** The node's filesystem root as it reports it ('/' on a VM). */
  readonly root: string
  /** Path of Node.js on the node. */
  readonly nodeBinary: string
  readonly serviceMode: ServiceMode
  /** Components the uploaded kubelab-node build has (from `kubelab-node help`). */
  readonly available: ReadonlySet<string>
  /** Flags the build's kubelet accepts (from `kubelab-node kubelet --help`); newer flags are passed only when listed. */
  readonly kubeletFlags?: ReadonlySet<string>
  readonly clusterCidr?: string
  /** CIDR LoadBalancer Services get addresses from (the provider routes it); absent: they stay <pending>. */
  readonly loadBalancerPool?: string
  /** Where the API server keeps objects: its embedded store (default) or an etcd member on the control-plane node. */
  readonly store?: StoreKind
  /**
   * Every control-plane node (several: each runs an etcd member of one cluster, an API server,
   * and a leader-elected scheduler and controller manager). Default: the master alone.
   */
  readonly controlPlanes?: readonly PlanNode[]
  /** Extra names/IPs in the API servers' serving certificate (the stable endpoint's address). */
  readonly apiSans?: readonly string[]
  /**
   * How many times slower than a normal machine the node runs (an emulated VM: 4). Periodic
   * work is spaced out by it (leader-election renewals, netpol's iptables re-check), so that
   * a slow CPU is not spent on bookkeeping, and a leader is not lost (and its process
   * restarted, which costs more) because one renewal took longer than 10 s.
   */
  readonly timeScale?: number
  /**
   * VM providers with several control planes: the node runs its own API balancer
   * (`kubelab-api-lb`: provisioning/api-lb.mjs on 127.0.0.1:NODE_API_LB_PORT over every control
   * plane's API server) that its kubelet, proxy and admin.conf use, as k3s's agents do; and etcd
   * peers are addressed by node name (the /etc/hosts block of `etcHostsBlock`), so members keep
   * finding each other when a VM comes back with another address.
   */
  readonly nodeApiLb?: boolean
}

/** Port of a VM node's own API balancer on 127.0.0.1 (k3s's agents use the same). */
export const NODE_API_LB_PORT = 6444

/** Whether this node runs its own API balancer (VM providers, several control planes). */
export function runsNodeApiLb(input: Pick<NodePlanInput, 'nodeApiLb' | 'controlPlanes'>): boolean {
  return input.nodeApiLb === true && (input.controlPlanes?.length ?? 0) > 1
}

/** Where an etcd member's peers reach it: its node name (VM HA, through /etc/hosts) or its address. */
export function etcdPeerHost(planNode: PlanNode, byName: boolean): string {
  return byName ? planNode.name : planNode.ip
}

/** The etcd members' `--initial-cluster` (name=https://ip-or-name:2380, ...), identical on every member. */
export function etcdInitialCluster(controlPlanes: readonly PlanNode[], byName = false): string {
  return controlPlanes.map((n) => `${n.name}=https://${etcdPeerHost(n, byName)}:2380`).join(',')
}

/**
 * The block install-node.sh keeps in the node's /etc/hosts (rewritten in place on every
 * provisioning, so a repair after an address change updates it): one line per control-plane node.
 */
export function etcHostsBlock(controlPlanes: readonly PlanNode[]): string {
  return [
    '# BEGIN kubelab: control-plane nodes (etcd peers by name); kubelab create/start rewrites this block',
    ...controlPlanes.map((n) => `${n.ip} ${n.name}`),
    '# END kubelab',
  ].join('\n')
}

export type StoreKind = 'embedded' | 'etcd'

/** The distribution's etcd (Debian/Ubuntu `etcd-server`; the local provider's nodes use the host's). */
export const ETCD_BINARY = '/usr/bin/etcd'

export interface Component {
  readonly name: string
  readonly args: readonly string[]
  /** A program other than kubelab-node (etcd); absent: `kubelab-node NAME ARGS`. */
  readonly command?: string
  /** The node agent: the components it runs as parts (the supervisor lists each on its own). */
  readonly parts?: readonly string[]
  /** The node agent's control socket (stop/start of one part). */
  readonly controlSocket?: string
  /** systemd units: a command run before every start (ExecStartPre). */
  readonly preStart?: readonly string[]
}

/** Components `kubelab-node agent` runs in one process (its AGENT_PARTS). */
export const AGENT_PARTS: ReadonlySet<string> = new Set(['apiserver', 'scheduler', 'controller-manager', 'kubelet', 'proxy', 'netpol', 'ingress', 'dns'])

export interface AgentLayout {
  /** What runs as its own process (a systemd unit each, or the supervisor's children). */
  readonly processes: readonly Component[]
  /** The agent's --config file (absent: a build without `agent`, every component its own process). */
  readonly agentConfig?: string
  /** The components the agent runs. */
  readonly parts: readonly Component[]
}

/**
 * The node's components (kubelet, proxy, netpol, ingress, dns; on a control-plane node also the
 * API server, scheduler and controller manager) in one `kubelab-node agent` process, when the
 * build has it; etcd (the distribution's program) stays a process of its own.
 */
export function agentLayout(input: NodePlanInput, components: readonly Component[]): AgentLayout {
  const parts = components.filter((c) => !c.command && AGENT_PARTS.has(c.name))
  if (!input.available.has('agent') || parts.length === 0) return { processes: components, parts: [] }
  const d = nodePaths(input.root)
  const controlSocket = posix.join(d.run, 'agent.sock')
  const agent: Component = {
    name: 'agent',
    args: ['--config', posix.join(d.etc, 'agent.json'), '--control-socket', controlSocket, '--stopped-dir', posix.join(d.run, 'stopped')],
    parts: parts.map((c) => c.name),
    controlSocket,
  }
  const first = components.findIndex((c) => parts.includes(c))
  const rest = components.filter((c) => !parts.includes(c))
  const processes = [...rest.slice(0, first), agent, ...rest.slice(first)]
  return { processes, parts, agentConfig: `${JSON.stringify({ parts: parts.map((c) => ({ name: c.name, args: c.args })) }, null, 2)}\n` }
}

export interface NodePaths {
  readonly etc: string
  readonly lib: string
  readonly bin: string
  readonly logs: string
  readonly run: string
  readonly staging: string
  readonly containerdSocket: string
  /** containerd's CNI conf_dir (the local provider's config and Debian's default agree). */
  readonly cniConfDir: string
  /** Container log files (the CRI log paths), as upstream's /var/log/pods. */
  readonly podLogs: string
  /** containerd's config file (its CRI snapshotter is read from it when loading images). */
  readonly containerdConfig: string
  /** Certificates where kubeadm keeps them (etcd/ca.crt, etcd/server.crt, apiserver-etcd-client.crt, ...). */
  readonly kubernetesPki: string
  /** etcd's data directory, as kubeadm's. */
  readonly etcdData: string
}

export function nodePaths(root: string): NodePaths {
  const r = (p: string): string => posix.join(root || '/', p)
  return {
    etc: r('etc/kubelab'),
    lib: r('var/lib/kubelab'),
    bin: r('var/lib/kubelab/bin'),
    logs: r('var/log/kubelab'),
    run: r('run/kubelab'),
    staging: r('var/lib/kubelab/staging'),
    containerdSocket: r('run/containerd/containerd.sock'),
    cniConfDir: r('etc/cni/net.d'),
    podLogs: r('var/log/pods'),
    containerdConfig: r('etc/containerd/config.toml'),
    kubernetesPki: r('etc/kubernetes/pki'),
    etcdData: r('var/lib/etcd'),
  }
}

/** Components for a node, in start order. Those missing from the build are returned apart. */
export function nodeComponents(input: NodePlanInput): { components: Component[]; missing: string[] } {
  const d = nodePaths(input.root)
  const kc = (n: string): string => posix.join(d.etc, `${n}.kubeconfig`)
  const all: Component[] = []
  const scale = Math.max(1, input.timeScale ?? 1)
  // Upstream's defaults (15 s / 10 s / 2 s), stretched on slow nodes.
  const leaderElection =
    scale > 1
      ? ['--leader-elect-lease-duration', `${15 * scale}s`, '--leader-elect-renew-deadline', `${10 * scale}s`, '--leader-elect-retry-period', `${2 * scale}s`]
      : []
  if (runsNodeApiLb(input)) {
    // First: the node's agents reach the API through it.
    all.push({
      name: 'api-lb',
      command: input.nodeBinary,
      args: [
        posix.join(d.bin, 'api-lb.mjs'),
        '--listen',
        `127.0.0.1:${NODE_API_LB_PORT}`,
        ...input.controlPlanes!.flatMap((n) => ['--backend', `${n.ip}:6443`]),
        '--status-file',
        posix.join(d.run, 'api-lb.json'),
      ],
    })
  }
  if (input.node.role === 'control-plane') {
    const etcd = input.store === 'etcd'
    const epki = etcdPkiPaths(d.kubernetesPki)
    if (etcd) {
      const members = input.controlPlanes?.length ? input.controlPlanes : [input.node]
      all.push({
        name: 'etcd',
        command: ETCD_BINARY,
        args: etcdMemberArgs({
          name: input.node.name,
          dataDir: d.etcdData,
          ip: input.node.ip,
          ...(runsNodeApiLb(input) ? { peerHost: input.node.name } : {}),
          pki: epki,
          clusterToken: `kubelab-${input.cluster}`,
          initialCluster: etcdInitialCluster(members, runsNodeApiLb(input)),
        }),
        // The peers' names, again before every start: cloud-init may rewrite /etc/hosts at boot.
        ...(runsNodeApiLb(input)
          ? {
              preStart: [
                input.nodeBinary,
                posix.join(d.bin, 'etc-hosts.mjs'),
                posix.join(d.etc, 'etc-hosts.kubelab'),
                posix.join(input.root || '/', 'etc/hosts'),
              ],
            }
          : {}),
      })
    }
    const storeArgs = etcd
      ? [
          '--store',
          'etcd',
          '--etcd-servers',
          'https://127.0.0.1:2379',
          '--etcd-cafile',
          epki.caFile,
          '--etcd-certfile',
          epki.clientCert,
          '--etcd-keyfile',
          epki.clientKey,
        ]
      : []
    all.push(
      {
        name: 'apiserver',
        args: [
          '--data-dir',
          posix.join(d.lib, 'apiserver'),
          '--bind-address',
          '0.0.0.0',
          '--secure-port',
          '6443',
          '--advertise-address',
          input.node.ip,
          ...apiserverSanArgs(input),
          ...((input.controlPlanes?.length ?? 1) > 1 ? ['--apiserver-count', String(input.controlPlanes!.length)] : []),
          ...storeArgs,
        ],
      },
      { name: 'scheduler', args: ['--kubeconfig', kc('scheduler'), ...leaderElection] },
      {
        name: 'controller-manager',
        args: [
          '--kubeconfig',
          kc('controller-manager'),
          // The CSR signer issues from the API server's CA (same node), as kubeadm configures it.
          '--cluster-signing-cert-file',
          posix.join(d.lib, 'apiserver', 'pki', 'ca.crt'),
          '--cluster-signing-key-file',
          posix.join(d.lib, 'apiserver', 'pki', 'ca.key'),
          ...(input.loadBalancerPool ? ['--lb-pool', input.loadBalancerPool] : []),
          ...leaderElection,
        ],
      },
      { name: 'dns', args: ['--kubeconfig', kc('dns'), '--bind', `${input.node.ip}:53`, '--advertise-address', input.node.ip, '--node-name', input.node.name] },
    )
  }
  all.push(
    {
      name: 'kubelet',
      args: [
        '--kubeconfig',
        kc('kubelet'),
        '--node-name',
        input.node.name,
        '--node-ip',
        input.node.ip,
        '--container-runtime-endpoint',
        `unix://${d.containerdSocket}`,
        '--root-dir',
        posix.join(d.lib, 'kubelet'),
        '--tls-cert-file',
        posix.join(d.etc, 'pki', 'kubelet.crt'),
        '--tls-private-key-file',
        posix.join(d.etc, 'pki', 'kubelet.key'),
        '--client-ca-file',
        posix.join(d.etc, 'pki', 'ca.crt'),
        '--pod-log-dir',
        d.podLogs,
        // Where the node's containerd reads CNI configs (its CRI plugin's conf_dir); the kubelet
        // writes the bridge config there once the Node has a podCIDR.
        '--cni-conf-dir',
        d.cniConfDir,
        '--cluster-cidr',
        input.clusterCidr ?? '10.244.0.0/16',
        ...(input.node.role === 'control-plane' ? ['--register-with-taints', 'node-role.kubernetes.io/control-plane=:NoSchedule'] : []),
        // No role label here: NodeRestriction forbids a kubelet to set node-role.kubernetes.io/*
        // on itself. The host labels the control plane with admin credentials once it registers
        // (kubeadm's mark-control-plane; src-main/clusters/wait.ts).
      ],
    },
    { name: 'proxy', args: ['--kubeconfig', kc('proxy'), '--node-name', input.node.name, '--cluster-cidr', input.clusterCidr ?? '10.244.0.0/16'] },
    // NetworkPolicy enforcement runs with the proxy's credentials (it only reads the API).
    { name: 'netpol', args: ['--kubeconfig', kc('proxy'), '--node-name', input.node.name, ...(scale > 1 ? ['--resync', String(10 * scale)] : [])] },
    // Ingress controller on the node's address, ports 80 and 443, with the proxy's credentials.
    {
      name: 'ingress',
      args: ['--kubeconfig', kc('proxy'), '--node-name', input.node.name, '--address', input.node.ip, '--http-port', '80', '--https-port', '443'],
    },
  )
  const present = (c: Component): boolean => c.command !== undefined || input.available.has(c.name)
  return { components: all.filter(present), missing: all.filter((c) => !present(c)).map((c) => c.name) }
}

/** `--tls-san` for the master's address (one control plane) or every control plane's and the stable endpoint's. */
function apiserverSanArgs(p: NodePlanInput): string[] {
  const sans = [...new Set([p.masterIp, ...(p.controlPlanes ?? []).map((n) => n.ip), ...(p.apiSans ?? [])])]
  return sans.flatMap((s) => ['--tls-san', s])
}

/** Quotes one word for a POSIX shell / systemd ExecStart (both accept single quotes). */
export function shQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

export function nodeEnvFile(input: NodePlanInput): string {
  const lines = {
    KUBELAB_CLUSTER: input.cluster,
    KUBELAB_NODE_NAME: input.node.name,
    KUBELAB_NODE_ROLE: input.node.role,
    KUBELAB_NODE_IP: input.node.ip,
    KUBELAB_MASTER_IP: input.masterIp,
    KUBELAB_SERVICE_MODE: input.serviceMode,
    KUBELAB_NODE_BINARY: input.nodeBinary,
    KUBELAB_STORE: input.store ?? 'embedded',
  }
  return (
    Object.entries(lines)
      .map(([k, v]) => `${k}=${shQuote(v)}`)
      .join('\n') + '\n'
  )
}

/** One systemd unit per component; Restart=always as the supervisor does for local nodes. */
export function systemdUnit(input: NodePlanInput, component: Component): string {
  const d = nodePaths(input.root)
  const exec = (
    component.command
      ? [component.command, ...component.args]
      : [
          input.nodeBinary,
          ...nodeProcessFlags([component.name, ...(component.parts ?? [])]),
          posix.join(d.bin, 'kubelab-node.js'),
          component.name,
          ...component.args,
        ]
  )
    .map(shQuote)
    .join(' ')
  // The agent starts its parts' units with it (each part unit asks it to run that part).
  const wants = ['network-online.target', ...(component.parts ?? []).map((n) => `kubelab-${n}.service`)].join(' ')
  // An agent that runs the API server on an etcd member starts after etcd and, going down,
  // stops before it (its API server closes while etcd still answers).
  const after = [
    'network-online.target',
    'containerd.service',
    ...(component.parts?.includes('apiserver') && input.store === 'etcd' ? ['kubelab-etcd.service'] : []),
  ]
  return `# Written by KubeLab install-node.sh; re-running create rewrites it.
[Unit]
Description=KubeLab ${component.name} (cluster ${input.cluster}, node ${input.node.name})
After=${after.join(' ')}
Wants=${wants}

[Service]
${
  component.command
    ? ''
    : Object.entries(NODE_PROCESS_ENV)
        .map(([k, v]) => `Environment=${k}=${v}\n`)
        .join('')
}${component.preStart ? `ExecStartPre=${component.preStart.map(shQuote).join(' ')}\n` : ''}ExecStart=${exec}
Restart=always
RestartSec=2
KillMode=mixed
TimeoutStopSec=15
StandardOutput=append:${posix.join(d.logs, `${component.name}.log`)}
StandardError=inherit

[Install]
WantedBy=multi-user.target
`
}

/**
 * A part of the node agent as a unit of its own, so that `systemctl stop kubelab-kubelet` still
 * means "the kubelet is down" (the node goes NotReady) and `systemctl start` brings it back:
 * starting the unit asks the agent to run the part, stopping it asks the agent to stop it and
 * leaves a mark in run/kubelab/stopped so that a restarted agent keeps it stopped.
 * `systemctl is-active kubelab-kubelet` follows. The agent's own restart (PartOf) restarts
 * the part units with it.
 */
export function agentPartUnit(input: NodePlanInput, part: Component, agent: Component): string {
  const d = nodePaths(input.root)
  const ctl = (action: 'start' | 'stop'): string =>
    [
      input.nodeBinary,
      posix.join(d.bin, 'kubelab-node.js'),
      'agent-ctl',
      `--${action}`,
      part.name,
      '--control-socket',
      agent.controlSocket!,
      '--stopped-dir',
      posix.join(d.run, 'stopped'),
    ]
      .map(shQuote)
      .join(' ')
  return `# Written by KubeLab install-node.sh; re-running create rewrites it.
[Unit]
Description=KubeLab ${part.name}, a part of kubelab-agent (cluster ${input.cluster}, node ${input.node.name})
Requires=kubelab-agent.service
After=kubelab-agent.service
PartOf=kubelab-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${ctl('start')}
ExecStop=${ctl('stop')}
TimeoutStartSec=120
TimeoutStopSec=30
StandardOutput=append:${posix.join(d.logs, `${part.name}.log`)}
StandardError=inherit

[Install]
WantedBy=multi-user.target
`
}

/**
 * Stops the pods through the CRI while the machine powers off (`kubelab-node shutdown-pods`).
 * Ordered between containerd and the kubelet so that, going down, the kubelet stops first (it
 * would restart the containers) and containerd last; a plain `systemctl stop` of the unit does
 * nothing, so labs that restart components never lose pods.
 */
export function shutdownUnit(input: NodePlanInput): string {
  const d = nodePaths(input.root)
  const words = [
    input.nodeBinary,
    posix.join(d.bin, 'kubelab-node.js'),
    'shutdown-pods',
    '--container-runtime-endpoint',
    `unix://${d.containerdSocket}`,
    '--grace-period',
    '5',
  ]
  // Inside sh -c '…' (and systemd's own quoting): plain words only.
  const odd = words.find((w) => shQuote(w) !== w)
  if (odd) throw new Error(`node ${input.node.name}: path ${JSON.stringify(odd)} has characters the shutdown unit cannot quote; use a plain install root`)
  const exec = words.join(' ')
  return `# Written by KubeLab install-node.sh; re-running create rewrites it.
[Unit]
Description=KubeLab: stop the pods when the machine shuts down (cluster ${input.cluster}, node ${input.node.name})
After=containerd.service
Before=kubelab-kubelet.service kubelab-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/bin/sh -c 'case "$$(systemctl is-system-running)" in stopping) exec ${exec} ;; esac'
TimeoutStopSec=60
StandardOutput=append:${posix.join(d.logs, 'shutdown-pods.log')}
StandardError=inherit

[Install]
WantedBy=multi-user.target
`
}

/** The supervisor's configuration (local nodes). */
export function supervisorConfig(input: NodePlanInput, components: readonly Component[]): string {
  const d = nodePaths(input.root)
  // nodeEnv and nodeFlags: environment and Node.js flags of kubelab-node processes, as the
  // systemd units pass them (for nodeFlags, a node that runs any control-plane component gets
  // the control plane's: one agent process on such a node).
  const conf = {
    node: input.node.name,
    nodeBinary: input.nodeBinary,
    nodeEnv: NODE_PROCESS_ENV,
    nodeFlags: nodeProcessFlags(components.flatMap((c) => (c.command ? [] : [c.name, ...(c.parts ?? [])]))),
    program: posix.join(d.bin, 'kubelab-node.js'),
    logDir: d.logs,
    runDir: d.run,
    components,
  }
  return `${JSON.stringify(conf, null, 2)}\n`
}

export interface StagedFile {
  /** File name in the staging folder. */
  readonly name: string
  readonly content: string | Buffer
  /** Where install-node.sh puts it. */
  readonly dest: string
  readonly mode: number
}

/** The manifest install-node.sh reads: `MODE DEST SOURCE` per line (octal mode). */
export function manifest(files: readonly StagedFile[]): string {
  for (const f of files)
    if (/\s/.test(f.dest) || /\s/.test(f.name)) throw new Error(`staged file ${f.name} → ${f.dest}: paths with spaces are not supported on nodes`)
  return files.map((f) => `${f.mode.toString(8).padStart(4, '0')} ${f.dest} ${f.name}`).join('\n') + '\n'
}
