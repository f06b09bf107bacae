// Issue 4, the kubelet and proxy behaviour the first e2e suites did not prove, through the REAL
// kubectl on a real containerd node: readiness gating EndpointSlices, attach, startup probes,
// preStop + grace + KILL, hostPath and local PVs, image pull policies without a registry,
// `kubectl top`, LoadBalancer addresses, ClientIP affinity, Service environment variables and
// --node-labels. One in-process control plane on the host; one node = a network namespace with
// its own containerd running OUR `kubelab-node kubelet` and `proxy` as child processes.
// Everything made here (processes, netns, veths, routes, iptables chains, mounts, cgroups, temp
// dirs) is removed in afterAll.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import type { Node } from 'kubernetes-types/core/v1'
import type { EndpointSlice } from 'kubernetes-types/discovery/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX_IMAGE } from '../../provisioning/images'
import { KUBECTL } from '../helpers/apiserver'
import { CLUSTER_CIDR, isReady as ready, useNodeCluster } from '../helpers/node-cluster'

const tag = process.pid % 1000
// Our subnet (issue 4 tests): 10.231.201.0/24; the LoadBalancer pool is its top /28.
const HOST_IP = '10.231.201.1'
const NODE_IP = '10.231.201.2'
const LB_POOL = '10.231.201.240/28'
const NODE = 'k4-node'

const c = useNodeCluster({
  tag: 'k4',
  bridge: `k4br${tag}`,
  hostIp: HOST_IP,
  nodes: [{ name: NODE, short: `k4n${tag}`, ip: NODE_IP }],
  controllerOptions: { loadBalancerPool: LB_POOL },
  nodeIdentity: true,
  // A role label is the administrator's to set (NodeRestriction): these a kubelet may.
  kubeletArgs: () => ['--node-labels', 'node.kubernetes.io/pool=k4,kubelab.dev/pool=k4'],
  agents: (n, cl) => ({ proxy: ['proxy', '--kubeconfig', cl.agentKubeconfig, '--node-name', n.name, '--cluster-cidr', CLUSTER_CIDR] }),
  beforeAgents: (cl) => {
    mkdirSync(join(cl.dir, 'host-path'), { recursive: true })
    mkdirSync(join(cl.dir, 'local-pv'), { recursive: true })
  },
})
const { kubectl, k, apply, until, getPod, stopChild } = c
const hostDir = (): string => join(c.dir, 'host-path')
const pvDir = (): string => join(c.dir, 'local-pv')
/** kubectl processes that stream (attach): killed if a test fails half-way. */
const streams: ChildProcess[] = []
afterAll(() => {
  for (const s of streams) s.kill('SIGKILL')
})

function httpBody(url: string): Promise<string> {
  return new Promise((ok, fail) => {
    const req = httpGet(url, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => ok(body))
    })
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', fail)
  })
}

const wgetFromClient = (url: string): Promise<string> => k('exec', 'client', '--', 'wget', '-q', '-O', '-', url)

/** Addresses of a Service's EndpointSlice endpoints, split by their ready condition. */
async function sliceEndpoints(service: string): Promise<{ ready: string[]; notReady: string[] }> {
  const list = JSON.parse(await k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json')) as { items: EndpointSlice[] }
  const out = { ready: [] as string[], notReady: [] as string[] }
  for (const s of list.items) for (const e of s.endpoints ?? []) (e.conditions?.ready === false ? out.notReady : out.ready).push(...e.addresses)
  return out
}

function podEnv(name: string): Promise<Map<string, string>> {
  return k('exec', name, '--', 'env').then(
    (t) =>
      new Map(
        t
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
      ),
  )
}

beforeAll(async () => {
  // What an L2 announcer would do for a real LAN: the pool is reached through the node.
  c.addRoute(LB_POOL, NODE_IP)
  await c.nodesReady(90_000)
  const backend = (name: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: aff}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'mkdir -p /www && echo "$(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']
    ports: [{containerPort: 80}]
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
`
  await apply(`${backend('aff-1')}${backend('aff-2')}apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
---
apiVersion: v1
kind: Service
metadata: {name: aff}
spec:
  selector: {app: aff}
  sessionAffinity: ClientIP
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: aff}
  ports: [{port: 8080, targetPort: 80}]
`)
  for (const p of ['aff-1', 'aff-2', 'client']) await until(`pod ${p} Running and Ready`, async () => ready(await getPod(p)), 120_000)
}, 240_000)

// generous per-test bounds: eight other engineers' tests share these two cores
describe('kubelet and proxy behaviour through the real kubectl', { timeout: 180_000 }, () => {
  it('lists a pod in the EndpointSlice as ready only while its readiness probe passes', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: rd, labels: {app: rd}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www']
    readinessProbe: {httpGet: {path: /ready.html, port: 80}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Service
metadata: {name: rd}
spec:
  selector: {app: rd}
  ports: [{port: 80}]
`)
    const p = await until('rd Running with an IP', async () => {
      const x = await getPod('rd')
      return x?.status?.phase === 'Running' && x.status.podIP ? x : undefined
    })
    const ip = p.status!.podIP!
    // the probe keeps failing: the slice may list the pod, but never as ready
    await until('rd listed not-ready', async () => (await sliceEndpoints('rd')).notReady.includes(ip))
    expect((await sliceEndpoints('rd')).ready).toEqual([])
    expect(await k('get', 'endpoints', 'rd', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).toBe('')
    await k('exec', 'rd', '--', 'sh', '-c', 'echo ok > /www/ready.html')
    await until('rd ready in the slice', async () => (await sliceEndpoints('rd')).ready.includes(ip))
    expect(await k('get', 'endpoints', 'rd', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).toBe(ip)
    await k('exec', 'rd', '--', 'rm', '/www/ready.html')
    await until('rd not ready again', async () => {
      const s = await sliceEndpoints('rd')
      return !s.ready.includes(ip)
    })
    const pod = await getPod('rd')
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
  })

  it('gives a pod the Service environment variables, and only KUBERNETES_* without service links', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: envp}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
    env: [{name: AFF_URL, value: 'http://$(AFF_SERVICE_HOST):$(AFF_SERVICE_PORT_HTTP)/'}, {name: AFF_SERVICE_PORT, value: mine}]
---
apiVersion: v1
kind: Pod
metadata: {name: envoff}
spec:
  nodeName: ${NODE}
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    for (const p of ['envp', 'envoff']) await until(`${p} Running`, async () => ready(await getPod(p)))
    const affIP = await k('get', 'svc', 'aff', '-o', 'jsonpath={.spec.clusterIP}')
    const lbIP = await k('get', 'svc', 'lb', '-o', 'jsonpath={.spec.clusterIP}')
    const kubeIP = await k('get', 'svc', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}')
    const env = await podEnv('envp')
    expect(Object.fromEntries([...env].filter(([key]) => key.startsWith('AFF_')))).toEqual({
      AFF_SERVICE_HOST: affIP,
      // the pod's own env wins over a Service variable of the same name
      AFF_SERVICE_PORT: 'mine',
      AFF_SERVICE_PORT_HTTP: '80',
      AFF_PORT: `tcp://${affIP}:80`,
      AFF_PORT_80_TCP: `tcp://${affIP}:80`,
      AFF_PORT_80_TCP_PROTO: 'tcp',
      AFF_PORT_80_TCP_PORT: '80',
      AFF_PORT_80_TCP_ADDR: affIP,
      AFF_URL: `http://${affIP}:80/`,
    })
    expect(env.get('LB_SERVICE_HOST')).toBe(lbIP)
    expect(env.get('LB_PORT_8080_TCP')).toBe(`tcp://${lbIP}:8080`)
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe(kubeIP)
    expect(env.get('KUBERNETES_SERVICE_PORT')).toBe('443')
    expect(env.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443')
    expect(env.get('KUBERNETES_PORT_443_TCP')).toBe(`tcp://${kubeIP}:443`)
    const off = await podEnv('envoff')
    expect([...off.keys()].filter((key) => key.startsWith('AFF_') || key.startsWith('LB_') || key.startsWith('RD_'))).toEqual([])
    expect(off.get('KUBERNETES_SERVICE_HOST')).toBe(kubeIP)
    expect(off.get('KUBERNETES_PORT')).toBe(`tcp://${kubeIP}:443`)
  })

  it('keeps one backend for a client with sessionAffinity ClientIP', async () => {
    await until('both aff backends ready in the slice', async () => (await sliceEndpoints('aff')).ready.length === 2)
    const ip = await k('get', 'svc', 'aff', '-o', 'jsonpath={.spec.clusterIP}')
    const first = (await until('the aff Service to answer', () => wgetFromClient(`http://${ip}/`), 30_000)).trim()
    expect(['aff-1', 'aff-2']).toContain(first)
    // without affinity, 8 more requests over two backends all land on one with p = 1/256
    for (let i = 0; i < 8; i++) expect((await wgetFromClient(`http://${ip}/`)).trim()).toBe(first)
  })

  it('gives a LoadBalancer Service an address from the pool that answers', async () => {
    const lbIP = await until('an ingress address for lb', async () =>
      (await k('get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim(),
    )
    expect(lbIP).toMatch(/^10\.231\.201\.(24[1-9]|25[0-4])$/)
    expect(await k('get', 'svc', 'lb')).toContain(lbIP)
    // from outside the node (the host, routed to the node) and from a pod
    expect(['aff-1', 'aff-2']).toContain((await until('the LB address to answer from the host', () => httpBody(`http://${lbIP}:8080/`), 30_000)).trim())
    expect(['aff-1', 'aff-2']).toContain((await until('the LB address to answer from a pod', () => wgetFromClient(`http://${lbIP}:8080/`), 30_000)).trim())
  })

  it('streams a running container output with kubectl attach', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: att-out}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: t, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; i=0; while :; do echo "tock $i"; i=$((i+1)); sleep 0.3; done']}
`)
    await until('att-out Running', async () => ready(await getPod('att-out')))
    const before = await k('logs', 'att-out')
    const last = Math.max(0, ...[...before.matchAll(/tock (\d+)/g)].map((m) => Number(m[1])))
    const child = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, '--cache-dir', c.cacheDir, 'attach', 'att-out'], { env: c.kubectlEnv })
    streams.push(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    await until(
      'attach to deliver new output',
      async () => {
        if (child.exitCode !== null) throw new Error(`kubectl attach exited ${child.exitCode}: ${err}`)
        return [...out.matchAll(/tock (\d+)/g)].some((m) => Number(m[1]) > last + 2)
      },
      30_000,
    )
    // attach shows what is written from now on, not the log from the start
    expect(out).not.toContain('tock 0\n')
    child.kill('SIGTERM')
  })

  it('passes stdin to kubectl attach -i and ends the container input with it (stdinOnce)', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: att-in}
spec:
  nodeName: ${NODE}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    stdin: true
    stdinOnce: true
    command: [sh, -c, 'while read l; do echo "got $l"; done; echo "input closed"']
`)
    await until('att-in Running', async () => ready(await getPod('att-in')))
    const r = await kubectl(['attach', '-i', 'att-in'], { input: 'one\ntwo\n', timeoutMs: 40_000 })
    expect(r.stdout).toContain('got one\ngot two\n')
    expect(r.stdout).toContain('input closed')
    const p = await until('att-in Succeeded', async () => {
      const x = await getPod('att-in')
      return x?.status?.phase === 'Succeeded' ? x : undefined
    })
    expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0)
  })

  it('holds off the liveness probe until the startup probe succeeds', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: startup}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'sleep 10; touch /tmp/started; trap "exit 0" TERM; while :; do sleep 1; done']
    startupProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 60}
    livenessProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 1}
`)
    const early = await until('startup running', async () => {
      const x = await getPod('startup')
      return x?.status?.containerStatuses?.[0]?.state?.running ? x : undefined
    })
    const s0 = early.status!.containerStatuses![0]!
    // not started (nor ready) while the startup probe has not passed
    expect(s0.started).toBe(false)
    expect(s0.ready).toBe(false)
    const done = await until(
      'startup started and ready',
      async () => {
        const x = await getPod('startup')
        return x?.status?.containerStatuses?.[0]?.started && ready(x) ? x : undefined
      },
      90_000,
    )
    // a liveness probe running from the start would have failed after 1 s and restarted it
    expect(done.status?.containerStatuses?.[0]?.restartCount).toBe(0)
    const msgs = await k('get', 'events', '--field-selector', 'involvedObject.name=startup', '-o', 'jsonpath={.items[*].message}')
    expect(msgs).toContain('Startup probe failed')
    expect(msgs).not.toContain('Liveness probe failed')
  })

  it('runs preStop before TERM, then KILLs after the grace period; hostPath is shared with the node', async () => {
    writeFileSync(join(hostDir(), 'from-node'), 'node says hi\n')
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: stopper}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 4
  volumes: [{name: out, hostPath: {path: ${hostDir()}, type: Directory}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    volumeMounts: [{name: out, mountPath: /out}]
    # ignores TERM (only notes it), so only KILL can end it
    command: [sh, -c, 'cat /out/from-node > /out/seen; echo start >> /out/log; trap "t=1; echo TERM >> /out/log" TERM; while :; do sleep 0.5; [ -n "$t" ] && echo after-term >> /out/log; done']
    lifecycle: {preStop: {exec: {command: [sh, -c, 'echo prestop >> /out/log']}}}
`)
    await until('stopper Running', async () => ready(await getPod('stopper')))
    await until('stopper to write its start line', async () => existsSync(join(hostDir(), 'log')))
    expect(readFileSync(join(hostDir(), 'seen'), 'utf8')).toBe('node says hi\n')
    const r = await kubectl(['delete', 'pod', 'stopper', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
    expect(r.code).toBe(0)
    expect(await getPod('stopper')).toBeUndefined()
    const lines = readFileSync(join(hostDir(), 'log'), 'utf8').trim().split('\n')
    expect(lines.slice(0, 3)).toEqual(['start', 'prestop', 'TERM'])
    // it outlived TERM for a while (the grace period) and then was killed
    expect(lines.filter((l) => l === 'after-term').length).toBeGreaterThanOrEqual(1)
    const written = lines.length
    await new Promise((r2) => setTimeout(r2, 1500))
    expect(readFileSync(join(hostDir(), 'log'), 'utf8').trim().split('\n').length).toBe(written)
  })

  it('cuts a kill short when a second delete shortens the grace period', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: lingerer}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 600
  volumes: [{name: out, hostPath: {path: ${hostDir()}, type: Directory}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    volumeMounts: [{name: out, mountPath: /out}]
    command: [sh, -c, 'trap "echo TERM >> /out/lingerer" TERM; while :; do sleep 0.5; done']
`)
    await until('lingerer Running', async () => ready(await getPod('lingerer')))
    expect((await kubectl(['delete', 'pod', 'lingerer', '--wait=false'])).code).toBe(0)
    await until('lingerer to get TERM', async () => existsSync(join(hostDir(), 'lingerer')))
    // Without the cut the kubelet would wait out 600 s and this delete would hit its timeout.
    const r = await kubectl(['delete', 'pod', 'lingerer', '--grace-period=1', '--wait=true', '--timeout=90s'], { timeoutMs: 100_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(await getPod('lingerer')).toBeUndefined()
  })

  it("as its node, reads the Secret and ConfigMap its pod uses (Node authorizer), and not another's", async () => {
    await apply(`apiVersion: v1
kind: Secret
metadata: {name: k4-secret}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: k4-config}
data: {MODE: node-authorized}
---
apiVersion: v1
kind: Pod
metadata: {name: refpod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  volumes: [{name: s, secret: {secretName: k4-secret}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    envFrom: [{configMapRef: {name: k4-config}}]
    volumeMounts: [{name: s, mountPath: /secret}]
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
`)
    await until('refpod Running', async () => ready(await getPod('refpod')), 60_000)
    expect(await k('exec', 'refpod', '--', 'cat', '/secret/password')).toBe('s3cret')
    expect((await k('exec', 'refpod', '--', 'sh', '-c', 'echo $MODE')).trim()).toBe('node-authorized')
    const nodeKubeconfig = join(c.dir, NODE, 'kubelet.kubeconfig')
    await k('create', 'secret', 'generic', 'k4-other', '--from-literal=x=y')
    const other = await kubectl(['get', 'secret', 'k4-other', '--kubeconfig', nodeKubeconfig])
    expect(other.stderr).toContain(`no relationship found between node '${NODE}' and this object`)
  })

  it('mounts a pod-bound ServiceAccount token, the cluster CA and the namespace; the token authenticates as the pod', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: sapod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    await until('sapod Running', async () => ready(await getPod('sapod')), 60_000)
    const pod = (await getPod('sapod'))!
    const dirIn = '/var/run/secrets/kubernetes.io/serviceaccount'
    expect(await k('exec', 'sapod', '--', 'cat', `${dirIn}/ca.crt`)).toBe(c.controlPlane.apiserver.pki.ca.certPem)
    expect(await k('exec', 'sapod', '--', 'cat', `${dirIn}/namespace`)).toBe('default')
    const token = await k('exec', 'sapod', '--', 'cat', `${dirIn}/token`)
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect(claims['kubernetes.io']).toMatchObject({ namespace: 'default', serviceaccount: { name: 'default' }, pod: { name: 'sapod', uid: pod.metadata?.uid } })
    expect(claims.exp - claims.iat).toBe(3607)
    // The mounted token authenticates as the pod's ServiceAccount, bound to the pod. (Checked
    // from here: busybox wget's TLS cannot complete a handshake with Node's TLS server.)
    const review = await new Promise<string>((ok, fail) => {
      const req = httpsRequest(
        new URL('/apis/authentication.k8s.io/v1/selfsubjectreviews', c.controlPlane.apiserver.url),
        { method: 'POST', ca: c.controlPlane.apiserver.pki.ca.certPem, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
        (res) => {
          let body = ''
          res.on('data', (d: Buffer) => (body += d))
          res.on('end', () => ok(body))
        },
      )
      req.on('error', fail)
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }))
    })
    expect(JSON.parse(review).status.userInfo).toMatchObject({
      username: 'system:serviceaccount:default:default',
      extra: { 'authentication.kubernetes.io/pod-name': ['sapod'] },
    })
  })

  it('mounts a claim bound to a local PersistentVolume', async () => {
    writeFileSync(join(pvDir(), 'data.txt'), 'persisted\n')
    await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: k4-local}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: k4-manual
  local: {path: ${pvDir()}}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${NODE}]}]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: k4-claim}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: k4-manual
  resources: {requests: {storage: 500Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: pvpod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, persistentVolumeClaim: {claimName: k4-claim}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    volumeMounts: [{name: data, mountPath: /data}]
    command: [sh, -c, 'echo written-by-pod > /data/out.txt; trap "exit 0" TERM; while :; do sleep 1; done']
`)
    await until('the claim Bound', async () => (await k('get', 'pvc', 'k4-claim', '-o', 'jsonpath={.status.phase}')) === 'Bound')
    await until('pvpod Running', async () => ready(await getPod('pvpod')), 60_000)
    expect(await k('exec', 'pvpod', '--', 'cat', '/data/data.txt')).toBe('persisted\n')
    await until('the pod write to reach the node disk', async () => existsSync(join(pvDir(), 'out.txt')))
    expect(readFileSync(join(pvDir(), 'out.txt'), 'utf8')).toBe('written-by-pod\n')
  })

  it('reports ErrImagePull then ImagePullBackOff for an image it must pull and cannot, and runs a loaded image with IfNotPresent', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: pull-always}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: kubelab.local/not-there:1, imagePullPolicy: Always, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: ifnp}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, imagePullPolicy: IfNotPresent, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    const seen = new Set<string>()
    await until(
      'pull-always to show ErrImagePull and ImagePullBackOff',
      async () => {
        const line = (await k('get', 'pod', 'pull-always', '--no-headers')).trim()
        const status = line.split(/\s+/)[2] ?? ''
        seen.add(status)
        return seen.has('ImagePullBackOff') && seen.has('ErrImagePull')
      },
      150_000,
    )
    const p = await getPod('pull-always')
    expect(p?.status?.phase).toBe('Pending')
    expect(p?.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '').toMatch(/kubelab\.local\/not-there:1/)
    const reasons = await k('get', 'events', '--field-selector', 'involvedObject.name=pull-always', '-o', 'jsonpath={.items[*].reason}')
    expect(reasons).toContain('Pulling')
    expect(reasons).toContain('Failed')
    await until('ifnp Running', async () => ready(await getPod('ifnp')))
    const msgs = await k('get', 'events', '--field-selector', 'involvedObject.name=ifnp', '-o', 'jsonpath={.items[*].message}')
    expect(msgs).toContain(`Container image "${BUSYBOX_IMAGE}" already present on machine`)
  })

  it('answers kubectl top nodes and top pods from the real kubelet', async () => {
    const nodes = await until(
      'kubectl top nodes',
      async () => {
        const r = await kubectl(['top', 'nodes', '--no-headers'])
        return r.code === 0 && r.stdout.includes(NODE) ? r.stdout : undefined
      },
      60_000,
    )
    expect(nodes).toMatch(new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, 'm'))
    const pods = await until(
      'kubectl top pods',
      async () => {
        const r = await kubectl(['top', 'pods', '--no-headers'])
        return r.code === 0 && r.stdout.includes('client') ? r.stdout : undefined
      },
      60_000,
    )
    expect(pods).toMatch(/^client\s+\d+m\s+\d+Mi/m)
    const containers = await k('top', 'pod', 'aff-1', '--containers', '--no-headers')
    expect(containers).toMatch(/^aff-1\s+web\s+\d+m\s+\d+Mi/m)
  })

  it('registers --node-labels and puts them back when the kubelet restarts', async () => {
    const labels = async (): Promise<Record<string, string>> => (JSON.parse(await k('get', 'node', NODE, '-o', 'json')) as Node).metadata?.labels ?? {}
    expect(await labels()).toMatchObject({ 'node.kubernetes.io/pool': 'k4', 'kubelab.dev/pool': 'k4', 'kubernetes.io/hostname': NODE })
    await k('label', 'node', NODE, 'node.kubernetes.io/pool-', 'kubelab.dev/pool=changed', '--overwrite')
    expect(await labels()).not.toHaveProperty(['node.kubernetes.io/pool'])
    const old = c.agents.find((a) => a.what === 'kubelet')!
    old.what = 'kubelet (old)'
    await stopChild(old.child, 10_000)
    c.startAgent(c.runtime(NODE).netns, 'kubelet', c.kubeletArgs.get(NODE)!)
    await until(
      'the labels back',
      async () => {
        const l = await labels()
        return l['node.kubernetes.io/pool'] === 'k4' && l['kubelab.dev/pool'] === 'k4'
      },
      60_000,
    )
    // pods kept running across the restart and are still served
    await until('client still Ready', async () => ready(await getPod('client')))
    expect((await k('exec', 'client', '--', 'echo', 'still-here')).trim()).toBe('still-here')
  })
})
