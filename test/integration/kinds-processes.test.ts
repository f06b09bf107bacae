// The kinds of issue 13 across real processes: the bundled `kubelab-node apiserver` (embedded
// store) and `kubelab-node controller-manager` run as separate programs, driven by the real
// kubectl. A LimitRange fills container defaults, a ResourceQuota kept by the controller
// manager's quota controller stops a ReplicationController at its pod limit (FailedCreate with
// upstream's message), `kubectl scale rc` gives the usage back, and the controllers' events are
// read through events.k8s.io/v1. No scheduler runs: pods stay Pending, which still counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildNodeBundle } from '../../provisioning/bundle'
import { freePort } from '../../src-cluster/util/net'
import { KUBECTL, type KubectlResult } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

let dir: string
let program: string
const procs: ChildProcess[] = []
let logs = ''

function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', join(dir, 'admin.kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
    child.stdin?.end(input ?? '')
  })
}
async function k(...args: string[]): Promise<string> {
  const r = await kubectl(args)
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}\nlogs:\n${logs.slice(-3000)}`)
  return r.stdout
}
const waitFor = <T>(what: string, check: () => Promise<T>, timeoutMs = 30_000) =>
  poll(what, check, { timeoutMs, intervalMs: 200, context: () => `logs:\n${logs.slice(-3000)}` })

function startProcess(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  p.stdout?.on('data', (c: Buffer) => (logs += c.toString()))
  p.stderr?.on('data', (c: Buffer) => (logs += c.toString()))
  procs.push(p)
  return p
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-kinds-'))
  program = (await buildNodeBundle()).program
  const port = await freePort()
  const apiserver = startProcess([
    'apiserver',
    '--data-dir',
    join(dir, 'data'),
    '--secure-port',
    String(port),
    '--admin-kubeconfig',
    join(dir, 'admin.kubeconfig'),
  ])
  await waitFor('the API server', async () => {
    if (apiserver.exitCode !== null) throw new Error(`apiserver exited (${apiserver.exitCode})`)
    return existsSync(join(dir, 'admin.kubeconfig')) && (await kubectl(['get', '--raw', '/readyz'])).code === 0
  })
  // The CSR signer reads the API server's CA from its files, as on a control-plane node.
  const pki = join(dir, 'data', 'pki')
  startProcess([
    'controller-manager',
    '--kubeconfig',
    join(dir, 'admin.kubeconfig'),
    '--leader-elect=false',
    '--resource-quota-sync-period',
    '10s',
    '--cluster-signing-cert-file',
    join(pki, 'ca.crt'),
    '--cluster-signing-key-file',
    join(pki, 'ca.key'),
    '--cluster-signing-duration',
    '1h',
  ])
}, 180_000)

afterAll(async () => {
  await Promise.all(
    procs.map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await exited
    }),
  )
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const RC = `apiVersion: v1
kind: ReplicationController
metadata: {name: web, namespace: team}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx}]
`

interface Quota {
  status?: { used?: Record<string, string> }
}
const used = async (): Promise<Record<string, string>> => (JSON.parse(await k('get', 'quota', 'team', '-n', 'team', '-o', 'json')) as Quota).status?.used ?? {}

describe('ResourceQuota, LimitRange, ReplicationController and events.k8s.io across processes', () => {
  it('an RC under a quota stops at the limit, its pods get LimitRange defaults, scaling down gives usage back', async () => {
    await k('create', 'namespace', 'team')
    await k('create', 'quota', 'team', '-n', 'team', '--hard=pods=2,requests.cpu=1,limits.cpu=2,count/replicationcontrollers=1')
    await waitFor('quota status from the controller manager', async () => (await used()).pods === '0')
    const lr = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults', namespace: 'team' },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '250m' } }] },
    }
    await kubectl(['create', '-f', '-'], JSON.stringify(lr))

    expect((await kubectl(['apply', '-f', '-'], RC)).stdout).toContain('replicationcontroller/web created')
    const failure = await waitFor('ReplicaFailure on the RC', async () => {
      const rc = JSON.parse(await k('get', 'rc', 'web', '-n', 'team', '-o', 'json')) as {
        status?: { replicas?: number; conditions?: { type: string; reason: string; message: string }[] }
      }
      const c = rc.status?.conditions?.find((x) => x.type === 'ReplicaFailure')
      return rc.status?.replicas === 2 && c ? c : undefined
    })
    expect(failure.reason).toBe('FailedCreate')
    expect(failure.message).toMatch(/^pods "web-[a-z0-9]{5}" is forbidden: exceeded quota: team, requested: pods=1, used: pods=2, limited: pods=2$/)
    expect(await used()).toEqual({ pods: '2', 'requests.cpu': '500m', 'limits.cpu': '1', 'count/replicationcontrollers': '1' })

    const pods = JSON.parse(await k('get', 'pods', '-n', 'team', '-o', 'json')) as {
      items: { metadata: { annotations?: Record<string, string> }; spec: { containers: { resources: object }[] } }[]
    }
    for (const p of pods.items) {
      expect(p.spec.containers[0]!.resources).toEqual({ requests: { cpu: '250m' }, limits: { cpu: '500m' } })
      expect(p.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe(
        'LimitRanger plugin set: cpu request for container nginx; cpu limit for container nginx',
      )
    }
    const second = await kubectl(['create', '-f', '-'], RC.replace('name: web', 'name: web2'))
    expect(second.stderr).toContain(
      'replicationcontrollers "web2" is forbidden: exceeded quota: team, requested: count/replicationcontrollers=1, used: count/replicationcontrollers=1, limited: count/replicationcontrollers=1',
    )

    expect(await k('scale', 'rc', 'web', '-n', 'team', '--replicas=1')).toContain('replicationcontroller/web scaled')
    await waitFor('usage given back', async () => {
      const u = await used()
      return u.pods === '1' && u['requests.cpu'] === '250m'
    })
    const describe = await k('describe', 'quota', 'team', '-n', 'team')
    expect(describe).toMatch(/^pods\s+1\s+2$/m)
    expect(describe).toMatch(/^count\/replicationcontrollers\s+1\s+1$/m)
  })

  it('the controller manager signs an approved kubelet-serving CSR with the CA from --cluster-signing-cert-file/--cluster-signing-key-file', async () => {
    const key = join(dir, 'w1.key')
    const csr = join(dir, 'w1.csr')
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-subj',
        '/CN=system:node:w1/O=system:nodes',
        '-addext',
        'subjectAltName=DNS:w1,IP:192.168.50.11',
        '-out',
        csr,
      ],
      { stdio: 'ignore' },
    )
    const manifest = JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'w1-serving' },
      spec: { request: readFileSync(csr).toString('base64'), signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] },
    })
    expect((await kubectl(['create', '-f', '-'], manifest)).code).toBe(0)
    await k('certificate', 'approve', 'w1-serving')
    const cert = await waitFor(
      'w1-serving issued',
      async () => (JSON.parse(await k('get', 'csr', 'w1-serving', '-o', 'json')) as { status: { certificate?: string } }).status.certificate,
    )
    const crt = new X509Certificate(Buffer.from(cert, 'base64'))
    expect(crt.checkIssued(new X509Certificate(readFileSync(join(dir, 'data', 'pki', 'ca.crt'))))).toBe(true)
    expect(crt.subjectAltName).toBe('DNS:w1, IP Address:192.168.50.11')
    expect(Date.parse(crt.validTo) - Date.parse(crt.validFrom)).toBe(3600_000) // --cluster-signing-duration
  })

  it("the controller manager's events read through events.k8s.io/v1", async () => {
    const events = await waitFor('FailedCreate through events.k8s.io/v1', async () => {
      const list = JSON.parse(await k('get', 'events.v1.events.k8s.io', '-n', 'team', '-o', 'json')) as {
        items: { reason?: string; note?: string; type?: string; regarding?: { kind?: string; name?: string }; deprecatedSource?: { component?: string } }[]
      }
      const failed = list.items.find((e) => e.reason === 'FailedCreate')
      const created = list.items.find((e) => e.reason === 'SuccessfulCreate')
      return failed && created ? { failed, created } : undefined
    })
    expect(events.failed).toMatchObject({
      type: 'Warning',
      regarding: { kind: 'ReplicationController', name: 'web' },
      deprecatedSource: { component: 'replication-controller' },
    })
    expect(events.failed.note).toMatch(
      /^Error creating: pods "web-[a-z0-9]{5}" is forbidden: exceeded quota: team, requested: pods=1, used: pods=2, limited: pods=2$/,
    )
    expect(events.created.note).toMatch(/^Created pod: web-[a-z0-9]{5}$/)
  })
})
