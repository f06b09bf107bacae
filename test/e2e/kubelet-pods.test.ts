// The kubelet against an in-process API server and a real containerd test node: pods run with
// CNI IPs, crash loops back off, probes restart and gate readiness, ConfigMap/Secret data and
// resource limits reach the container, deletion stops everything and frees the IP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Pod } from 'kubernetes-types/core/v1'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage, BUSYBOX_IMAGE } from '../../provisioning/images'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { Kubelet } from '../../src-cluster/kubelet'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { createTestBridge, removeCgroupTree, startContainerdNode, writeBridgeCniConf, type ContainerdNode, type TestBridge } from '../helpers/containerd'

const POD_CIDR = '10.232.2.0/24'
const NODE = 'kl-node-1'
let api: TestApiServer
let client: ClosableClient
let bridge: TestBridge
let node: ContainerdNode
let kubelet: Kubelet
let dir: string
const kubeletLog: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-kubelet-'))
  api = await startTestApiServer()
  bridge = await createTestBridge(`klbkl${process.pid % 1000}`, '10.231.8.1/24')
  node = await startContainerdNode('kl1', { bridge, ip: '10.231.8.2', podCidr: POD_CIDR })
  writeBridgeCniConf(node, POD_CIDR)
  for (const spec of [busyboxImageSpec(), pauseImageSpec()]) {
    const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
    await writeImage(spec, tar)
    await loadImage(tar, { socket: node.socket, snapshotter: node.snapshotter })
  }
  client = createClient({ ...loadKubeconfig(api.kubeconfig), userAgent: 'kubelet-test' })
  kubelet = new Kubelet({
    client,
    nodeName: NODE,
    runtimeEndpoint: `unix://${node.socket}`,
    nodeIP: node.ip,
    rootDir: join(dir, 'kubelet'),
    podLogDir: join(dir, 'pods'),
    clusterDns: ['10.96.0.10'],
    clusterDomain: 'cluster.local',
    cgroupRoot: `/kubelab-test-${process.pid}`,
    log: (l) => kubeletLog.push(l),
  })
  await kubelet.start()
}, 180_000)

afterAll(async () => {
  // delete every pod so the kubelet stops containers before the runtime goes away
  if (api) await api.kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=60s'])
  await kubelet?.stop()
  client?.close()
  await node?.stop()
  await bridge?.remove()
  removeCgroupTree(`/kubelab-test-${process.pid}`)
  await api?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 180_000)

async function getPod(name: string): Promise<Pod | undefined> {
  const r = await api.kubectl(['get', 'pod', name, '-o', 'json'])
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined
}

async function waitPod(name: string, what: string, ok: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  const until = Date.now() + timeoutMs
  let last: Pod | undefined
  while (Date.now() < until) {
    last = await getPod(name)
    if (last && ok(last)) return last
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`pod ${name}: ${what} not reached in ${timeoutMs} ms; last status: ${JSON.stringify(last?.status, null, 1)}`)
}

function apply(yaml: string): Promise<string> {
  return api.kubectl(['apply', '-f', '-'], { input: yaml }).then((r) => {
    if (r.code !== 0) throw new Error(r.stderr)
    return r.stdout
  })
}

const cid = (p: Pod, i = 0): string => (p.status?.containerStatuses?.[i]?.containerID ?? '').replace('containerd://', '')
const cond = (p: Pod, t: string): string | undefined => p.status?.conditions?.find((c) => c.type === t)?.status

describe('kubelet on containerd', () => {
  it('registers a Ready node with the runtime version and a lease', async () => {
    const n = JSON.parse(await api.k('get', 'node', NODE, '-o', 'json'))
    expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//)
    expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: node.ip })
    expect(n.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' })
    expect(Number(n.status.capacity.pods)).toBe(110)
    const lease = JSON.parse(await api.k('get', 'lease', '-n', 'kube-node-lease', NODE, '-o', 'json'))
    expect(lease.spec.holderIdentity).toBe(NODE)
  })

  it('runs a pod to Running with an IP from the CNI bridge, logs and DNS config', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 3
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'echo started $(POD_NAME); exec httpd -f -p 80 -h /var/www']
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    ports: [{containerPort: 80}]
`)
    const p = await waitPod('web', 'Running and Ready', (x) => x.status?.phase === 'Running' && cond(x, 'Ready') === 'True')
    expect(p.status?.podIP?.startsWith('10.232.2.')).toBe(true)
    expect(p.status?.hostIP).toBe(node.ip)
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0, image: BUSYBOX_IMAGE })
    expect(p.status?.containerStatuses?.[0]?.imageID).toMatch(/sha256:/)
    expect(p.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeTruthy()
    const ex = await kubelet.cri.execSync(cid(p), ['cat', '/etc/resolv.conf'], 5)
    expect(ex.stdout.toString()).toContain('search default.svc.cluster.local svc.cluster.local cluster.local')
    expect(ex.stdout.toString()).toContain('ndots:5')
    const logDir = join(dir, 'pods', `default_web_${p.metadata?.uid}`, 'web')
    expect(readdirSync(logDir)).toContain('0.log')
    // the node reaches the pod IP (the kubelet's httpGet probes take this path)
    const res = await fetch(`http://${p.status?.podIP}/`)
    expect(await res.text()).toContain('KubeLab busybox')
    const events = await api.k('get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'jsonpath={.items[*].reason}')
    for (const r of ['Pulled', 'Created', 'Started']) expect(events).toContain(r)
    // the start's steps, logged once the Running status was written: containerd's calls and the
    // kubelet's own time add up to the total
    const line = kubeletLog.find((l) => l.includes('observed pod startup duration pod=default/web '))
    expect(line).toBeDefined()
    const f = Object.fromEntries([...line!.matchAll(/ (\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]))
    for (const step of ['runSandbox', 'createContainer', 'startContainer']) expect(f[step]).toBeGreaterThan(0)
    const { seenAt, total, ...steps } = f
    expect(seenAt).toBeGreaterThan(Date.parse(p.metadata!.creationTimestamp!) - 1000)
    expect(Math.abs(Object.values(steps).reduce((a, b) => a + b, 0) - total!)).toBeLessThanOrEqual(Object.keys(steps).length)
  })

  it('backs off a crashing container (CrashLoopBackOff)', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'echo dying; exit 3']}
`)
    const p = await waitPod('crash', 'CrashLoopBackOff', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')
    expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' })
    expect(p.status?.phase).toBe('Running')
    const events = await api.k('get', 'events', '--field-selector', 'involvedObject.name=crash', '-o', 'jsonpath={.items[*].reason}')
    expect(events).toContain('BackOff')
  })

  it('restarts a container whose liveness probe fails', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600']
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 1}
`)
    const p = await waitPod('live', 'restarted once', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000)
    expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toBeTruthy()
    const events = await api.k('get', 'events', '--field-selector', 'involvedObject.name=live', '-o', 'jsonpath={.items[*].message}')
    expect(events).toContain('Liveness probe failed')
    expect(events).toContain('failed liveness probe, will be restarted')
  })

  it('gates the Ready condition on an httpGet readiness probe', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: ready}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [httpd, -f, -p, '8080', -h, /var/www]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /ready.html, port: http}, periodSeconds: 1}
`)
    const p = await waitPod('ready', 'Running', (x) => x.status?.phase === 'Running' && !!x.status.containerStatuses?.[0]?.state?.running)
    await new Promise((r) => setTimeout(r, 2500))
    const notReady = await getPod('ready')
    expect(cond(notReady!, 'Ready')).toBe('False')
    expect(notReady?.status?.containerStatuses?.[0]?.ready).toBe(false)
    await kubelet.cri.execSync(cid(p), ['sh', '-c', 'echo ok > /var/www/ready.html'], 5)
    await waitPod('ready', 'Ready', (x) => cond(x, 'Ready') === 'True' && cond(x, 'ContainersReady') === 'True', 30_000)
  })

  it('passes ConfigMap env and Secret files, keeps files current, applies the memory limit', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {GREETING: hello, color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: cfg}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  initContainers:
  - {name: init1, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'echo one > /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: init2, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'test -f /work/order && echo two >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sleep, '3600']
    envFrom: [{configMapRef: {name: settings}, prefix: CM_}]
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    volumeMounts:
    - {name: secret, mountPath: /etc/creds}
    - {name: config, mountPath: /etc/config}
    - {name: work, mountPath: /work}
    - {name: info, mountPath: /etc/podinfo}
  volumes:
  - {name: work, emptyDir: {}}
  - name: info
    downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}, {path: mem, resourceFieldRef: {containerName: c, resource: limits.memory, divisor: 1Mi}}]}
  - {name: secret, secret: {secretName: creds}}
  - {name: config, configMap: {name: settings}}
`)
    const p = await waitPod('cfg', 'Running', (x) => x.status?.phase === 'Running', 30_000)
    const run = async (cmd: string): Promise<string> => {
      const r = await kubelet.cri.execSync(cid(p), ['sh', '-c', cmd], 5)
      return (r.stdout.toString() + r.stderr.toString()).trim()
    }
    expect(await run('echo $GREETING $CM_color $PASSWORD')).toBe('hello blue s3cret')
    expect(await run('cat /etc/creds/password')).toBe('s3cret')
    expect(await run('cat /etc/config/color')).toBe('blue')
    // init containers ran in order, sharing the emptyDir with the main container
    expect(await run('cat /work/order')).toBe('one\ntwo')
    expect(p.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual(['Completed', 'Completed'])
    expect(cond(p, 'Initialized')).toBe('True')
    expect(await run('cat /etc/podinfo/name; echo; cat /etc/podinfo/mem')).toBe('cfg\n64')
    const mem = await run('cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes')
    expect(Number(mem)).toBe(64 * 1024 * 1024)
    await api.k('patch', 'configmap', 'settings', '-p', '{"data":{"color":"green"}}')
    const until = Date.now() + 20_000
    while (Date.now() < until && (await run('cat /etc/config/color')) !== 'green') await new Promise((r) => setTimeout(r, 300))
    expect(await run('cat /etc/config/color')).toBe('green')
  })

  it('deleting a pod stops its containers, removes it and frees its IP', async () => {
    const p = await waitPod('web', 'Running', (x) => x.status?.phase === 'Running')
    const ip = p.status?.podIP ?? ''
    const ipamDir = join(node.root, 'cni-ipam', 'kubelab-test')
    expect(readdirSync(ipamDir)).toContain(ip)
    const r = await api.kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=60s'])
    expect(r.code).toBe(0)
    expect(await getPod('web')).toBeUndefined()
    const sandboxes = await kubelet.cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': p.metadata?.uid ?? '' } })
    expect(sandboxes).toEqual([])
    expect(existsSync(join(ipamDir, ip))).toBe(false)
  })

  it('serves a stats summary from the runtime', async () => {
    const s = await kubelet.statsSummary()
    expect(s.node.memoryWorkingSetBytes).toBeGreaterThan(0)
    const cfg = s.pods.find((x) => x.name === 'cfg')
    expect(cfg?.containers.map((c) => c.name)).toEqual(['c'])
    expect(cfg?.containers[0]?.memoryWorkingSetBytes).toBeGreaterThan(0)
  })
})
