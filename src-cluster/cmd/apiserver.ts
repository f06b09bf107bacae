// `kubelab-node apiserver`: flags named as upstream's kube-apiserver names them.
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { startApiServer } from '../apiserver/server'
import { openEtcdStore, type EtcdStore } from '../store/etcd'
import { parseDurationMs } from '../simulated/duration'

const HELP = `usage: kubelab-node apiserver --data-dir DIR [flags]

  --data-dir DIR                    store, certificates and tokens live here (required)
  --bind-address ADDR               address to listen on (default 127.0.0.1)
  --secure-port PORT                HTTPS port (default 6443; 0 picks a free one)
  --advertise-address ADDR          address other nodes and pods use to reach this server
  --admin-kubeconfig FILE           write an admin kubeconfig here (mode 0600)
  --service-cluster-ip-range CIDR   Service IPs (default 10.96.0.0/12)
  --service-node-port-range A-B     NodePort range (default 30000-32767)
  --default-toleration-seconds N    how long new pods tolerate an unreachable/not-ready node (default 300)
  --apiserver-count N               API servers sharing the store; Service kubernetes lists that many (default 1)
  --tls-san NAME                    extra name or IP for the serving certificate (repeatable)
  --store embedded|etcd             where objects live (default embedded: DIR/store; etcd needs --etcd-servers)
  --etcd-servers URLS               etcd client URLs, comma-separated (https://127.0.0.1:2379); implies --store etcd
  --etcd-cafile FILE                CA that signed the etcd servers' certificates
  --etcd-certfile FILE              client certificate for etcd
  --etcd-keyfile FILE               key of that certificate
  --etcd-compaction-interval D      how often to compact etcd's history (default 5m; 0 turns it off)`

export async function runApiserver(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1' },
      'secure-port': { type: 'string', default: '6443' },
      'advertise-address': { type: 'string' },
      'admin-kubeconfig': { type: 'string' },
      'service-cluster-ip-range': { type: 'string', default: '10.96.0.0/12' },
      'service-node-port-range': { type: 'string', default: '30000-32767' },
      'tls-san': { type: 'string', multiple: true },
      'default-toleration-seconds': { type: 'string', default: '300' },
      'apiserver-count': { type: 'string', default: '1' },
      store: { type: 'string' },
      'etcd-servers': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'etcd-compaction-interval': { type: 'string', default: '5m' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (!values['data-dir']) throw new Error(`--data-dir is required\n\n${HELP}`)
  const port = Number(values['secure-port'])
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--secure-port must be a port number, got ${values['secure-port']}`)
  const range = /^(\d+)-(\d+)$/.exec(values['service-node-port-range']!)
  if (!range || Number(range[1]) > Number(range[2]))
    throw new Error(`--service-node-port-range must look like 30000-32767, got ${values['service-node-port-range']}`)
  const apiserverCount = Number(values['apiserver-count'])
  if (!Number.isInteger(apiserverCount) || apiserverCount < 1)
    throw new Error(`--apiserver-count must be a whole number from 1, got ${values['apiserver-count']}`)
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
  })
  if (values['admin-kubeconfig']) console.log(`apiserver: admin kubeconfig written to ${resolve(values['admin-kubeconfig'])}`)
  const stop = (sig: string) => {
    console.log(`apiserver: ${sig}, shutting down`)
    server.close().then(
      async () => {
        await storage?.close()
        process.exit(0)
      },
      (e: unknown) => {
        console.error(`apiserver: shutdown failed: ${String(e)}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

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
  let interval: number
  try {
    interval = parseDurationMs(v['etcd-compaction-interval'] ?? '5m')
  } catch (e) {
    throw new Error(`--etcd-compaction-interval: ${e instanceof Error ? e.message : String(e)}`)
  }
  const store = await openEtcdStore({ endpoints: servers, tls: ca ? { ca, cert, key } : undefined, compactionIntervalMs: interval })
  console.log(`apiserver: storing objects in etcd at ${servers.join(',')} (revision ${store.revision()})`)
  return store
}
