// `kubelab-node kubelet`: the node agent, flags named as upstream's kubelet names them. It
// assembles the node: the pod lifecycle, node status and lease (Kubelet), the pod network once
// the Node has a podCIDR (CNI conf for containerd, routes to other nodes, masquerade), and the
// authenticated HTTPS server for logs, exec, attach, port-forward and usage.
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createClient, loadKubeconfig, type ClosableClient } from '../client'
import { Kubelet, type KubeletOptions } from '../kubelet'
import { defaultNodeName } from '../kubelet/node'
import { setupNodeNetwork, type NodeNetwork } from '../kubelet/network'
import { startKubeletServer, type KubeletServer } from '../kubelet/server'
import { criStreamingRuntime } from '../kubelet/streaming-runtime'
import { componentUserAgent } from '../client/user-agent'

const HELP = `usage: kubelab-node kubelet --kubeconfig FILE [flags]

  --kubeconfig FILE                     how to reach and authenticate to the API server (required)
  --node-name NAME                      the Node to register (default: this host's name)
  --container-runtime-endpoint URL      CRI socket (default unix:///run/containerd/containerd.sock)
  --root-dir DIR                        pod volumes and state (default /var/lib/kubelab/kubelet)
  --pod-log-dir DIR                     container log files (default /var/log/pods)
  --node-ip IP                          the node's InternalIP (default: first non-loopback IPv4)
  --cluster-dns IP                      DNS server for pods, repeatable (default 10.96.0.10)
  --cluster-domain DOMAIN               cluster domain for pod search paths (default cluster.local)
  --port N                              port of the kubelet's HTTPS server, published in the Node (default 10250)
  --cgroup-root PATH                    cgroup parent of all pods (default /kubelab)
  --tls-cert-file FILE                  serving certificate of the HTTPS server (from the cluster CA)
  --tls-private-key-file FILE           its key
  --client-ca-file FILE                 CA that signs callers' certificates (default: the kubeconfig's CA)
  --cni-conf-dir DIR                    where this node's containerd reads CNI configs; with it the
                                        kubelet sets up the pod network once the Node has a podCIDR
  --cluster-cidr CIDR                   the whole pod network (default 10.244.0.0/16)
  --register-with-taints K=V:EFFECT     taints to register the Node with (comma-separated)
  --node-labels K=V,...                 labels of the Node, set at registration and put back on every
                                        start (e.g. node-role.kubernetes.io/control-plane=)`

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
export function parseTaints(s: string | undefined): { key: string; value?: string; effect: string }[] {
  if (!s) return []
  return s.split(',').map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t.trim())
    if (!m) throw new Error(`--register-with-taints: ${JSON.stringify(t)} is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`)
    return m[2] ? { key: m[1]!, value: m[2], effect: m[3]! } : { key: m[1]!, effect: m[3]! }
  })
}

import { kubeletMaySetLabel } from '../apiserver/admission/node-restriction'

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** `key=value,key2=` as upstream's --node-labels (a value may be empty; keys may carry a DNS prefix). */
export function parseNodeLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!s) return out
  for (const item of s.split(',')) {
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

export function kubeletOptionsFromArgs(args: string[]): { kubeconfig: string; opts: Omit<KubeletOptions, 'client'>; node: NodeAssembly } | undefined {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'container-runtime-endpoint': { type: 'string', default: 'unix:///run/containerd/containerd.sock' },
      'root-dir': { type: 'string', default: '/var/lib/kubelab/kubelet' },
      'pod-log-dir': { type: 'string', default: '/var/log/pods' },
      'node-ip': { type: 'string' },
      'cluster-dns': { type: 'string', multiple: true },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      port: { type: 'string', default: '10250' },
      'cgroup-root': { type: 'string', default: '/kubelab' },
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      'client-ca-file': { type: 'string' },
      'cni-conf-dir': { type: 'string' },
      'cluster-cidr': { type: 'string', default: '10.244.0.0/16' },
      'register-with-taints': { type: 'string' },
      'node-labels': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return undefined
  }
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required\n\n${HELP}`)
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a TCP port, got ${values.port}`)
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
      clusterCIDR: values['cluster-cidr']!,
    },
    opts: {
      registerWithTaints: parseTaints(values['register-with-taints']),
      labels: parseNodeLabels(values['node-labels']),
      nodeName: values['node-name'] ?? defaultNodeName(),
      runtimeEndpoint: values['container-runtime-endpoint']!,
      rootDir: resolve(values['root-dir']!),
      podLogDir: resolve(values['pod-log-dir']!),
      nodeIP: values['node-ip'] ?? firstIPv4(),
      clusterDns: values['cluster-dns'] ?? ['10.96.0.10'],
      clusterDomain: values['cluster-domain']!,
      kubeletPort: port,
      cgroupRoot: values['cgroup-root']!,
    },
  }
}

/** Starts a kubelet from flags with its pod network and HTTPS server; `extra` adds options (tests). */
export async function startKubelet(
  args: string[],
  extra: Partial<KubeletOptions> = {},
): Promise<{ kubelet: Kubelet; client: ClosableClient; server?: KubeletServer; stop(): Promise<void> } | undefined> {
  const parsed = kubeletOptionsFromArgs(args)
  if (!parsed) return undefined
  const cfg = loadKubeconfig(parsed.kubeconfig)
  const client = createClient({ ...cfg, userAgent: componentUserAgent('kubelet', parsed.opts.nodeName) })
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
  const kubelet = new Kubelet({ ...parsed.opts, ...extra, onNodesChanged, client })
  let server: KubeletServer | undefined
  if (parsed.node.tls) {
    const t = parsed.node.tls
    server = await startKubeletServer({
      port: parsed.opts.kubeletPort ?? 10250,
      host: parsed.opts.nodeIP,
      tls: { certPem: readFileSync(t.certFile, 'utf8'), keyPem: readFileSync(t.keyFile, 'utf8'), caPem: t.caFile ? readFileSync(t.caFile, 'utf8') : cfg.caPem },
      runtime: criStreamingRuntime(kubelet.cri),
      statsSummary: () => kubelet.statsSummary(),
      log,
    })
  }
  await kubelet.start()
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

export async function runKubelet(args: string[]): Promise<void> {
  const started = await startKubelet(args)
  if (!started) return
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`kubelet: ${sig}, shutting down (pods keep running)`)
      started.stop().then(
        () => done(),
        (e: unknown) => {
          console.error(`kubelet: shutdown failed: ${String(e)}`)
          process.exit(1)
        },
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
