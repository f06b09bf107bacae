// The kubelet's CRI client's own CPU per call, without containerd: a gRPC server in a child
// process answers runtime.v1 from our proto (Version; ContainerStatus; ListContainers and
// ListPodSandbox with N pods' worth of entries, labels and annotations as the kubelet sets them),
// and this process makes the calls one after another through CriClient, measuring its own
// CPU (user + system) per call. Needs nothing but Node.js.
// Run: node --import tsx bench/cri-client.bench.ts   (CALLS=2000 PODS=100)
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { CriClient } from '../src-cluster/kubelet/cri/client'
import { atCleanup, benchTempDir } from './lib/cleanup'
import { writeResults } from './lib/results'
import { round } from './lib/stats'
import { formatTable } from './lib/table'

const CALLS = Number(process.env.CALLS ?? 2000)
const PODS = Number(process.env.PODS ?? 100)
const PROTO = fileURLToPath(new URL('../src-cluster/kubelet/cri/runtime-v1.proto', import.meta.url))

/** The child: a CRI server with PODS pods of one container each. */
function serve(socket: string): void {
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true })
  const v1 = (grpc.loadPackageDefinition(def).runtime as grpc.GrpcObject).v1 as grpc.GrpcObject
  const labels = (i: number): Record<string, string> => ({
    'io.kubernetes.pod.name': `burst-${i}`,
    'io.kubernetes.pod.namespace': 'default',
    'io.kubernetes.pod.uid': `0c6f8f1e-6a55-4b8e-9d55-${String(i).padStart(12, '0')}`,
    'io.kubernetes.container.name': 'c',
  })
  const annotations = { 'io.kubernetes.container.restartCount': '0', 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log' }
  const id = (i: number, k: string): string => `${k}${String(i).padStart(8, '0')}`.padEnd(64, 'a')
  const now = Date.now() * 1e6
  const container = (i: number) => ({
    id: id(i, 'c'),
    podSandboxId: id(i, 's'),
    metadata: { name: 'c', attempt: 0 },
    image: { image: 'docker.io/library/busybox:1.36' },
    imageRef: 'sha256:'.padEnd(71, 'b'),
    state: 'CONTAINER_RUNNING',
    createdAt: now,
    labels: labels(i),
    annotations,
  })
  const sandbox = (i: number) => ({
    id: id(i, 's'),
    metadata: { name: `burst-${i}`, uid: labels(i)['io.kubernetes.pod.uid'], namespace: 'default', attempt: 0 },
    state: 'SANDBOX_READY',
    createdAt: now,
    labels: labels(i),
    annotations: {},
  })
  const containers = Array.from({ length: PODS }, (_, i) => container(i))
  const sandboxes = Array.from({ length: PODS }, (_, i) => sandbox(i))
  const server = new grpc.Server()
  const unary =
    (fn: (req: Record<string, unknown>) => unknown) => (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, fn(call.request))
  server.addService((v1.RuntimeService as unknown as { service: grpc.ServiceDefinition }).service, {
    version: unary(() => ({ version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6.20', runtimeApiVersion: 'v1' })),
    containerStatus: unary(() => ({ status: { ...container(0), startedAt: now, logPath: '/var/log/pods/x/c/0.log' }, info: {} })),
    listContainers: unary(() => ({ containers })),
    listPodSandbox: unary(() => ({ items: sandboxes })),
  })
  server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) throw err
    process.send?.('ready')
  })
}

if (process.argv[2] === 'serve') serve(process.argv[3]!)
else {
  const socket = join(benchTempDir('kubelab-cri-bench-'), 'cri.sock')
  let child: ChildProcess | undefined
  let client: CriClient | undefined
  // Also on Ctrl-C: the server process (the folder goes with benchTempDir).
  const teardown = atCleanup(() => {
    client?.close()
    child?.kill()
  })
  try {
    child = fork(fileURLToPath(import.meta.url), ['serve', socket], { execArgv: ['--import', 'tsx'], env: { ...process.env, PODS: String(PODS) } })
    await new Promise<void>((ok, fail) => {
      child!.once('message', () => ok())
      child!.once('exit', (code) => fail(new Error(`the CRI server exited ${code}`)))
    })
    client = new CriClient(socket)
    const cid = 'c'.padEnd(9, '0').padEnd(64, 'a')
    const measure = async (n: number, call: () => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < Math.min(200, n); i++) await call()
      const t0 = process.cpuUsage()
      for (let i = 0; i < n; i++) await call()
      const d = process.cpuUsage(t0)
      return round((d.user + d.system) / n, 0)
    }
    const rows: [string, number][] = [
      ['Version', await measure(CALLS, () => client!.version())],
      ['ContainerStatus', await measure(CALLS, () => client!.containerStatus(cid))],
      [`ListContainers (${PODS})`, await measure(Math.ceil(CALLS / 10), () => client!.listContainers())],
      [`ListPodSandbox (${PODS})`, await measure(Math.ceil(CALLS / 10), () => client!.listPodSandbox())],
    ]
    console.log(`CRI client CPU per call, one call at a time (${CALLS} calls; lists ${Math.ceil(CALLS / 10)})`)
    console.log(formatTable(['call', 'µs CPU'], rows))
    console.log(`results: ${await writeResults('cri-client', Object.fromEntries(rows))}`)
  } finally {
    await teardown()
  }
}
