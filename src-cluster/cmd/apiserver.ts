// `kubelab-node apiserver`: flags named as upstream's kube-apiserver names them.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { hostname } from 'node:os'
import { startApiServer } from '../apiserver/server'
import { ENDPOINT_RECONCILER_TYPES, type EndpointReconcilerType } from '../apiserver/endpoint-reconciler'
import { openEtcdStore, type EtcdStore } from '../store/etcd'
import { defineComponent } from './component'
import { durationMs, portNumber, wholeNumber } from './flags'

export const apiserver = defineComponent({
  name: 'apiserver',
  about: 'the Kubernetes API server with its embedded store',
  flags: {
    'data-dir': { type: 'string', arg: 'DIR', required: true, help: 'store, certificates and tokens live here (required)' },
    'bind-address': { type: 'string', arg: 'ADDR', default: '127.0.0.1', help: 'address to listen on (default 127.0.0.1)' },
    'secure-port': { type: 'string', arg: 'PORT', default: '6443', help: 'HTTPS port (default 6443; 0 picks a free one)' },
    'advertise-address': { type: 'string', arg: 'ADDR', help: 'address other nodes and pods use to reach this server' },
    'admin-kubeconfig': { type: 'string', arg: 'FILE', help: 'write an admin kubeconfig here (mode 0600)' },
    'service-cluster-ip-range': { type: 'string', arg: 'CIDR', default: '10.96.0.0/12', help: 'Service IPs (default 10.96.0.0/12)' },
    'service-node-port-range': { type: 'string', arg: 'A-B', default: '30000-32767', help: 'NodePort range (default 30000-32767)' },
    'default-toleration-seconds': {
      type: 'string',
      arg: 'N',
      default: '300',
      help: 'how long new pods tolerate an unreachable/not-ready node (default 300)',
    },
    'apiserver-count': {
      type: 'string',
      arg: 'N',
      default: '1',
      help: 'API servers sharing the store; with --endpoint-reconciler-type master-count, Service kubernetes lists that many (default 1)',
    },
    'endpoint-reconciler-type': {
      type: 'string',
      arg: 'TYPE',
      default: 'lease',
      help: 'how Service kubernetes lists the API servers: lease (the live ones; default), master-count, none',
    },
    'tls-san': { type: 'string', arg: 'NAME', multiple: true, help: 'extra name or IP for the serving certificate (repeatable)' },
    store: { type: 'string', arg: 'embedded|etcd', help: 'where objects live (default embedded: DIR/store; etcd needs --etcd-servers)' },
    'etcd-servers': { type: 'string', arg: 'URLS', help: 'etcd client URLs, comma-separated (https://127.0.0.1:2379); implies --store etcd' },
    'etcd-cafile': { type: 'string', arg: 'FILE', help: "CA that signed the etcd servers' certificates" },
    'etcd-certfile': { type: 'string', arg: 'FILE', help: 'client certificate for etcd' },
    'etcd-keyfile': { type: 'string', arg: 'FILE', help: 'key of that certificate' },
    'etcd-compaction-interval': { type: 'string', arg: 'D', default: '5m', help: "how often to compact etcd's history (default 5m; 0 turns it off)" },
  },
  async run(values) {
    const port = portNumber('secure-port', values['secure-port'])
    const range = /^(\d+)-(\d+)$/.exec(values['service-node-port-range'])
    if (!range || Number(range[1]) > Number(range[2]))
      throw new Error(`--service-node-port-range must look like 30000-32767, got ${values['service-node-port-range']}`)
    const apiserverCount = wholeNumber('apiserver-count', values['apiserver-count'], 1)!
    const reconciler = values['endpoint-reconciler-type']
    if (!(ENDPOINT_RECONCILER_TYPES as readonly string[]).includes(reconciler))
      throw new Error(`--endpoint-reconciler-type must be one of ${ENDPOINT_RECONCILER_TYPES.join(', ')}, got ${JSON.stringify(reconciler)}`)
    const storage = await openStorage(values)
    const server = await startApiServer({
      storage,
      dataDir: resolve(values['data-dir']),
      bindAddress: values['bind-address'],
      securePort: port,
      advertiseAddress: values['advertise-address'],
      adminKubeconfig: values['admin-kubeconfig'] ? resolve(values['admin-kubeconfig']) : undefined,
      serviceClusterIPRange: values['service-cluster-ip-range'],
      nodePortRange: { min: Number(range[1]), max: Number(range[2]) },
      extraSANs: values['tls-san'],
      defaultTolerationSeconds: Number(values['default-toleration-seconds']),
      apiserverCount,
      endpointReconcilerType: reconciler as EndpointReconcilerType,
      // Local nodes share the host's hostname; their supervisor names the node in KUBELAB_NODE_NAME.
      hostname: process.env.KUBELAB_NODE_NAME || hostname(),
    })
    if (values['admin-kubeconfig']) console.log(`apiserver: admin kubeconfig written to ${resolve(values['admin-kubeconfig'])}`)
    return async () => {
      await server.close()
      await storage?.close()
    }
  },
})

/** The etcd backend when asked for (--store etcd or --etcd-servers); undefined = embedded store. */
async function openStorage(v: {
  store?: string
  'etcd-servers'?: string
  'etcd-cafile'?: string
  'etcd-certfile'?: string
  'etcd-keyfile'?: string
  'etcd-compaction-interval'?: string
}): Promise<EtcdStore | undefined> {
  const kind = v.store ?? (v['etcd-servers'] ? 'etcd' : 'embedded')
  if (kind !== 'embedded' && kind !== 'etcd') throw new Error(`--store must be embedded or etcd, got ${JSON.stringify(kind)}`)
  if (kind === 'embedded') {
    if (v['etcd-servers']) throw new Error('--etcd-servers was given with --store embedded: drop one of them')
    return undefined
  }
  const servers = (v['etcd-servers'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (servers.length === 0) throw new Error('--store etcd needs --etcd-servers https://HOST:2379[,...]')
  const bad = servers.find((s) => !/^https?:\/\/[^/]+$/.test(s))
  if (bad) throw new Error(`--etcd-servers: ${JSON.stringify(bad)} is not a URL like https://127.0.0.1:2379`)
  const file = (flag: 'etcd-cafile' | 'etcd-certfile' | 'etcd-keyfile'): Buffer | undefined => {
    const f = v[flag]
    if (!f) return undefined
    try {
      return readFileSync(resolve(f))
    } catch (e) {
      throw new Error(`--${flag} ${f}: cannot read it (${e instanceof Error ? e.message : String(e)})`)
    }
  }
  const ca = file('etcd-cafile')
  const cert = file('etcd-certfile')
  const key = file('etcd-keyfile')
  if ((cert === undefined) !== (key === undefined)) throw new Error('--etcd-certfile and --etcd-keyfile go together: give both or neither')
  if (!ca && (cert || servers.some((s) => s.startsWith('https://')))) throw new Error('https etcd servers need --etcd-cafile')
  const interval = durationMs('etcd-compaction-interval', v['etcd-compaction-interval'] ?? '5m')!
  const store = await openEtcdStore({ endpoints: servers, tls: ca ? { ca, cert, key } : undefined, compactionIntervalMs: interval })
  console.log(`apiserver: storing objects in etcd at ${servers.join(',')} (revision ${store.revision()})`)
  return store
}
