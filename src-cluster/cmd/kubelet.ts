// `kubelab-node kubelet`: the node agent, flags named as upstream's kubelet names them. It
// assembles the node: the pod lifecycle, node status and lease (Kubelet), the pod network once
// the Node has a podCIDR (CNI conf for containerd, routes to other nodes, masquerade), and the
// authenticated HTTPS server for logs, exec, attach, port-forward and usage.
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { resolve } from 'node:path'
import { loadKubeconfig, type ClosableClient } from '../client'
import { Kubelet, type KubeletOptions } from '../kubelet'
import { defaultNodeName } from '../kubelet/node'
import { setupNodeNetwork, type NodeNetwork } from '../kubelet/network'
import { startKubeletServer, type KubeletServer } from '../kubelet/server'
import { criStreamingRuntime } from '../kubelet/streaming-runtime'
import { componentUserAgent } from '../client/user-agent'
import { kubeletMaySetLabel } from '../apiserver/admission/node-restriction'
import { ALONE, defineComponent, parseFlags, type FlagValues, type RunContext, type Stop } from './component'
import { KUBECONFIG_FLAG, portNumber } from './flags'

export function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  throw new Error('no non-loopback IPv4 address found; pass --node-ip')
}

export interface NodeAssembly {
  readonly tls?: { certFile: string; keyFile: string; caFile?: string }
  readonly cniConfDir?: string
  readonly clusterCIDR: string
}

/** `key=value:Effect,key:Effect` as upstream's --register-with-taints. */
export function parseTaints(text: string | undefined): { key: string; value?: string; effect: string }[] {
  if (!text) return []
  return text.split(',').map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t.trim())
    if (!m) throw new Error(`--register-with-taints: ${JSON.stringify(t)} is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`)
    return m[2] ? { key: m[1]!, value: m[2], effect: m[3]! } : { key: m[1]!, effect: m[3]! }
  })
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** `key=value,key2=` as upstream's --node-labels (a value may be empty; keys may carry a DNS prefix). */
export function parseNodeLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!text) return out
  for (const item of text.split(',')) {
    const t = item.trim()
    if (!t) continue
    const eq = t.indexOf('=')
    if (eq < 0) throw new Error(`--node-labels: ${JSON.stringify(t)} is not key=value (write key= for an empty value)`)
    const key = t.slice(0, eq)
    const value = t.slice(eq + 1)
    const slash = key.lastIndexOf('/')
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined
    const name = slash >= 0 ? key.slice(slash + 1) : key
    if (!LABEL_NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix)))) {
      throw new Error(`--node-labels: ${JSON.stringify(key)} is not a valid label key ([prefix/]name, name up to 63 of [A-Za-z0-9-_.])`)
    }
    if (value && !LABEL_NAME.test(value))
      throw new Error(
        `--node-labels: value ${JSON.stringify(value)} of ${key} is not a valid label value (up to 63 of [A-Za-z0-9-_.], alphanumeric at both ends)`,
      )
    out[key] = value
  }
  // Upstream's kubelet refuses labels NodeRestriction would refuse anyway (roles such as
  // node-role.kubernetes.io/control-plane are set by whoever holds admin credentials).
  const refused = Object.keys(out)
    .filter((k) => !kubeletMaySetLabel(k))
    .sort()
  if (refused.length) {
    throw new Error(
      `unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${refused.join(' ')}]\n--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set (beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone); labels under node-restriction.kubernetes.io are set by the cluster's administrators`,
    )
  }
  return out
}

const KUBELET_FLAGS = {
  kubeconfig: KUBECONFIG_FLAG,
  'node-name': { type: 'string', arg: 'NAME', help: "the Node to register (default: this host's name)" },
  'container-runtime-endpoint': {
    type: 'string',
    arg: 'URL',
    default: 'unix:///run/containerd/containerd.sock',
    help: 'CRI socket (default unix:///run/containerd/containerd.sock)',
  },
  'root-dir': { type: 'string', arg: 'DIR', default: '/var/lib/kubelab/kubelet', help: 'pod volumes and state (default /var/lib/kubelab/kubelet)' },
  'pod-log-dir': { type: 'string', arg: 'DIR', default: '/var/log/pods', help: 'container log files (default /var/log/pods)' },
  'node-ip': { type: 'string', arg: 'IP', help: "the node's InternalIP (default: first non-loopback IPv4)" },
  'cluster-dns': { type: 'string', arg: 'IP', multiple: true, help: 'DNS server for pods, repeatable (default 10.96.0.10)' },
  'cluster-domain': { type: 'string', arg: 'DOMAIN', default: 'cluster.local', help: 'cluster domain for pod search paths (default cluster.local)' },
  port: { type: 'string', arg: 'N', default: '10250', help: "port of the kubelet's HTTPS server, published in the Node (default 10250)" },
  'cgroup-root': { type: 'string', arg: 'PATH', default: '/kubelab', help: 'cgroup parent of all pods (default /kubelab)' },
  'tls-cert-file': { type: 'string', arg: 'FILE', help: 'serving certificate of the HTTPS server (from the cluster CA)' },
  'tls-private-key-file': { type: 'string', arg: 'FILE', help: 'its key' },
  'client-ca-file': { type: 'string', arg: 'FILE', help: "CA that signs callers' certificates (default: the kubeconfig's CA)" },
  'cni-conf-dir': {
    type: 'string',
    arg: 'DIR',
    help: "where this node's containerd reads CNI configs; with it the\nkubelet sets up the pod network once the Node has a podCIDR",
  },
  'cluster-cidr': { type: 'string', arg: 'CIDR', default: '10.244.0.0/16', help: 'the whole pod network (default 10.244.0.0/16)' },
  'register-with-taints': { type: 'string', arg: 'K=V:EFFECT', help: 'taints to register the Node with (comma-separated)' },
  'node-labels': {
    type: 'string',
    arg: 'K=V,...',
    help: 'labels of the Node, set at registration and put back on every\nstart (e.g. node-role.kubernetes.io/control-plane=)',
  },
} as const

export interface KubeletConfig {
  readonly kubeconfig: string
  readonly opts: Omit<KubeletOptions, 'client'>
  readonly node: NodeAssembly
}

/** The kubelet's options from its parsed flags. */
export function kubeletConfig(values: FlagValues<typeof KUBELET_FLAGS>): KubeletConfig {
  const port = portNumber('port', values.port, 1)
  if (!!values['tls-cert-file'] !== !!values['tls-private-key-file']) throw new Error('--tls-cert-file and --tls-private-key-file go together')
  return {
    kubeconfig: resolve(values.kubeconfig),
    node: {
      tls: values['tls-cert-file']
        ? {
            certFile: resolve(values['tls-cert-file']),
            keyFile: resolve(values['tls-private-key-file']!),
            caFile: values['client-ca-file'] ? resolve(values['client-ca-file']) : undefined,
          }
        : undefined,
      cniConfDir: values['cni-conf-dir'] ? resolve(values['cni-conf-dir']) : undefined,
      clusterCIDR: values['cluster-cidr'],
    },
    opts: {
      registerWithTaints: parseTaints(values['register-with-taints']),
      labels: parseNodeLabels(values['node-labels']),
      nodeName: values['node-name'] ?? defaultNodeName(),
      runtimeEndpoint: values['container-runtime-endpoint'],
      rootDir: resolve(values['root-dir']),
      podLogDir: resolve(values['pod-log-dir']),
      nodeIP: values['node-ip'] ?? firstIPv4(),
      clusterDns: values['cluster-dns'] ?? ['10.96.0.10'],
      clusterDomain: values['cluster-domain'],
      kubeletPort: port,
      cgroupRoot: values['cgroup-root'],
    },
  }
}

/** The kubelet's options from its command line (tests). */
export function kubeletOptionsFromArgs(args: string[]): KubeletConfig {
  return kubeletConfig(parseFlags(kubelet, args))
}

export interface RunningKubelet {
  readonly kubelet: Kubelet
  readonly client: ClosableClient
  readonly server?: KubeletServer
  stop(): Promise<void>
}

/** Starts a kubelet with its pod network and HTTPS server; `extra` adds options (tests). */
export async function startKubelet(parsed: KubeletConfig, extra: Partial<KubeletOptions> = {}, ctx: RunContext = ALONE): Promise<RunningKubelet> {
  const cfg = loadKubeconfig(parsed.kubeconfig)
  const client = ctx.client(parsed.kubeconfig, componentUserAgent('kubelet', parsed.opts.nodeName))
  const log = extra.log ?? ((l: string) => console.log(l))
  // The pod network comes up once the node controller has given this Node its podCIDR.
  let net: NodeNetwork | undefined
  let netFor = ''
  const cniConfDir = parsed.node.cniConfDir
  const onNodesChanged: KubeletOptions['onNodesChanged'] = cniConfDir
    ? async (self, nodes) => {
        const podCIDR = self?.spec?.podCIDR
        if (!podCIDR) return
        if (!net || netFor !== podCIDR) {
          net = await setupNodeNetwork({
            podCIDR,
            nodeIP: parsed.opts.nodeIP,
            cniConfDir,
            clusterCIDR: parsed.node.clusterCIDR,
            ipamDataDir: `${parsed.opts.rootDir}/cni-ipam`,
            log,
          })
          netFor = podCIDR
          log(`kubelet: pod network ${podCIDR} ready (CNI config in ${cniConfDir})`)
        }
        await net.syncRoutes(nodes)
      }
    : extra.onNodesChanged
  const kubelet = new Kubelet({ ...parsed.opts, informers: ctx.informers(client), ...extra, onNodesChanged, client })
  let server: KubeletServer | undefined
  try {
    if (parsed.node.tls) {
      const t = parsed.node.tls
      server = await startKubeletServer({
        port: parsed.opts.kubeletPort ?? 10250,
        host: parsed.opts.nodeIP,
        tls: {
          certPem: readFileSync(t.certFile, 'utf8'),
          keyPem: readFileSync(t.keyFile, 'utf8'),
          caPem: t.caFile ? readFileSync(t.caFile, 'utf8') : cfg.caPem,
        },
        runtime: criStreamingRuntime(kubelet.cri),
        statsSummary: () => kubelet.statsSummary(),
        log,
      })
    }
    await kubelet.start()
  } catch (e) {
    // Leave nothing behind (the port, the client): in the node agent the kubelet is started again.
    await server?.close().catch(() => undefined)
    await kubelet.stop().catch(() => undefined)
    client.close()
    throw e
  }
  log(
    `kubelet: node ${parsed.opts.nodeName} (${parsed.opts.nodeIP}) on ${parsed.opts.runtimeEndpoint}, API server ${cfg.server}${server ? `, serving on :${server.port}` : ''}`,
  )
  return {
    kubelet,
    client,
    server,
    async stop() {
      await server?.close()
      await kubelet.stop()
      client.close()
    },
  }
}

export const kubelet = defineComponent({
  name: 'kubelet',
  about: 'node agent: pods on containerd through the CRI, pod network, logs/exec/port-forward server',
  flags: KUBELET_FLAGS,
  async run(values, ctx): Promise<Stop> {
    const started = await startKubelet(kubeletConfig(values), {}, ctx)
    return async () => {
      console.log('kubelet: pods keep running')
      await started.stop()
    }
  },
})
