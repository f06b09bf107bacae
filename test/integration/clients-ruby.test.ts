// Third-party clients nobody here wrote, driven as their users drive them: Ruby's kubeclient
// (Debian's ruby-kubeclient: core objects, watches, pages, pod logs, a CRD's custom resources)
// and kubetail (Debian's kubetail: a bash script running `kubectl get` and `kubectl logs -f`
// for every container of the matching pods). One API server for the file, with one kubelet
// backed by the fake streaming runtime (node n1), whose pod's logs are real CRI log files.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pty from 'node-pty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueCert } from '../../src-cluster/kit/pki'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'
import { criLogTime, startKubeletServer, type KubeletServer } from '../../src-cluster/kubelet/server'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { startFakeStreamingRuntime, type FakeStreamingRuntime } from '../helpers/fake-streaming-runtime'
import { until as poll } from '../helpers/wait'

const NODES = resourceRef('v1', 'nodes')
const PODS = resourceRef('v1', 'pods')
const RUBY = '/usr/bin/ruby'
const KUBETAIL = '/usr/bin/kubetail'

let t: TestApiServer
let client: Client
let fake: FakeStreamingRuntime
let kubelet: KubeletServer
const children = new Set<ChildProcess>()
const terms = new Set<pty.IPty>()

// Debian's mime-types gem (under rest-client) now and then warns that a type "is already
// registered" when two of the script's threads first touch its registry at once: the library's
// own race, not anything the server said, so it is not counted as the client complaining.
const MIME_TYPES_RACE = /^Type \S+ is already registered as a variant of \S+\.\n?/gm

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A group of its own: kubetail ends with `kill 0`, which signals its whole process group.
    const child = spawn(cmd, args, { env: { ...process.env, HOME: t.dir, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: stderr.replace(MIME_TYPES_RACE, '') })
    })
  })
}

const until = <T>(what: string, fn: () => T, ms = 20_000) => poll(what, fn, { timeoutMs: ms, intervalMs: 50 })

/** A CRI log line (what containerd writes) stamped `agoMs` before now. */
function criLine(text: string, agoMs = 0, stream = 'stdout'): string {
  return `${criLogTime(new Date(Date.now() - agoMs))} ${stream} F ${text}\n`
}

function logPath(container: string): string {
  return join(t.dir, `web-1-${container}.log`)
}

beforeAll(async () => {
  t = await startTestApiServer()
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  fake = await startFakeStreamingRuntime()
  const kcert = issueCert(t.server.pki.ca, { commonName: 'n1', server: true, ipAddresses: ['127.0.0.1'] })
  kubelet = await startKubeletServer({
    port: 0,
    host: '127.0.0.1',
    tls: { certPem: kcert.certPem, keyPem: kcert.keyPem, caPem: t.server.pki.ca.certPem },
    runtime: fake.runtime,
    log: () => {},
    followPollMs: 50,
  })
  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  await client.patch(
    NODES,
    undefined,
    'n1',
    { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
    'merge',
    { subresource: 'status' },
  )
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  for (const name of ['web-1', 'db-1']) {
    await client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name.replace(/-1$/, '') } },
      spec: {
        nodeName: 'n1',
        containers: [
          { name: 'app', image: 'busybox' },
          { name: 'side', image: 'busybox' },
        ],
      },
    })
    await client.patch(
      PODS,
      'default',
      name,
      {
        status: {
          phase: 'Running',
          podIP: '127.0.0.1',
          containerStatuses: ['app', 'side'].map((c) => ({
            name: c,
            ready: true,
            restartCount: 0,
            image: 'busybox',
            imageID: 'sha256:1',
            started: true,
            state: { running: { startedAt: now } },
          })),
        },
      },
      'merge',
      { subresource: 'status' },
    )
  }
  writeFileSync(logPath('app'), criLine('app: old line', 60_000) + criLine('app: started') + criLine('app: ready'))
  writeFileSync(logPath('side'), criLine('side: old line', 60_000) + criLine('side: started'))
  fake.containers.set('default/web-1/app', { logPath: logPath('app'), running: true })
  fake.containers.set('default/web-1/side', { logPath: logPath('side'), running: true })
  writeFileSync(join(t.dir, 'db.log'), criLine('db: started'))
  fake.containers.set('default/db-1/app', { logPath: join(t.dir, 'db.log'), running: true })
  fake.containers.set('default/db-1/side', { logPath: join(t.dir, 'db.log'), running: true })
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(-c.pid, 'SIGKILL')
  for (const term of terms) process.kill(-term.pid, 'SIGKILL')
  await kubelet?.close()
  await fake?.close()
  await t?.close()
})

describe("Ruby's kubeclient (ruby-kubeclient)", () => {
  it('lists, creates, patches, applies, watches, pages, reads logs and deletes, with upstream errors; and a CRD', async () => {
    const r = await run(RUBY, [join(__dirname, 'fixtures', 'ruby-kubeclient.rb'), t.kubeconfig, 'web-1'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)

    expect(out.valid).toBe(true)
    expect(out.namespaces).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system'])
    expect(out.uid).toBe(36)
    expect(out.byLabel).toEqual(['rb-cm'])
    expect(out.byField).toEqual(['rb-cm'])
    expect(out.strategic).toEqual({ a: '1', b: '2' })
    expect(out.merge).toEqual({ a: '1', b: '2', c: '3' })
    expect(out.json).toEqual({ a: '1', b: '2', c: '3', d: '4' })
    expect(out.update).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5' })
    expect(out.staleUpdate).toEqual({
      code: 409,
      class: 'Kubeclient::HttpError',
      message:
        'Operation cannot be fulfilled on configmaps "rb-cm": the object has been modified; please apply your changes to the latest version and try again',
    })
    expect(out.applyManagers).toEqual([['rb-script', 'Apply']])
    expect(out.delete).toBe('rb-cm')
    expect(out.watch).toEqual([
      ['MODIFIED', 'rb-cm', ['a', 'b']],
      ['MODIFIED', 'rb-cm', ['a', 'b', 'c']],
      ['MODIFIED', 'rb-cm', ['a', 'b', 'c', 'd']],
      ['MODIFIED', 'rb-cm', ['a', 'b', 'c', 'd', 'e']],
      ['ADDED', 'rb-applied', ['x']],
      ['DELETED', 'rb-cm', ['a', 'b', 'c', 'd', 'e']],
    ])

    expect(out.pages).toBe(3)
    expect(out.paged).toEqual(['rb-s0', 'rb-s1', 'rb-s2', 'rb-s3', 'rb-s4'])
    expect(out.secretData).toBe(Buffer.from('3').toString('base64'))

    expect(out.notFound).toEqual({ code: 404, class: 'Kubeclient::ResourceNotFoundError', message: 'configmaps "missing" not found' })
    expect(out.invalid.code).toBe(422)
    expect(out.invalid.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/)
    expect(out.exists).toEqual({ code: 409, class: 'Kubeclient::HttpError', message: 'configmaps "rb-applied" already exists' })

    expect(out.serviceIngress).toEqual({})
    expect(out.deploymentStatus).toEqual({})
    expect(out.scaled).toBe(3)
    expect(out.deleteForeground).toEqual(['foregroundDeletion'])

    expect(out.log).toBe('app: old line\napp: started\napp: ready\n')
    expect(out.logTail).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z app: ready\n$/)
    expect(out.logFollow).toEqual(['app: old line', 'app: started'])

    expect(out.crMethods).toHaveLength(9)
    expect(out.crDefaulted).toEqual({ size: 2, color: 'blue' })
    expect(out.crInvalid).toEqual({
      code: 422,
      class: 'Kubeclient::HttpError',
      message: 'Gadget.rb.example.com "g0" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
    })
    expect(out.crMerge).toBe(3)
    expect(out.crStrategic.code).toBe(415)
    expect(out.crJson).toBe(5)
    expect(out.crApply).toEqual({ size: 7, color: 'red' })
    // The status subresource is on: a plain update keeps the stored status.
    expect(out.crUpdate).toEqual({ labels: { tier: 'one' }, status: {} })
    expect(out.crList).toEqual(['g1'])
    expect(out.crDelete).toBe('g2')
    expect(out.crWatch).toEqual([
      ['ADDED', 'g1'],
      ['MODIFIED', 'g1'],
      ['MODIFIED', 'g1'],
      ['ADDED', 'g2'],
      ['MODIFIED', 'g1'],
      ['DELETED', 'g2'],
    ])
    expect(out.crAfterDelete.code).toBe(404)
  })
})

// Debian 12's kubetail (1.6.5) joins the `kubectl logs` commands of several containers with
// `${@/#/ & }`, which bash 5.2 expands without the `&` (patsub_replacement), so following more
// than one container is a bash syntax error before any request is made. The tests follow one
// container (`-c`), as a user on Debian 12 must; listing every container works.
describe('kubetail', () => {
  const env = () => ({ KUBECONFIG: t.kubeconfig, TERM: 'dumb' })

  it('matches pods by name or label selector and names every container', async () => {
    const r = await run(KUBETAIL, ['web', '--dry-run', '-k', 'false'], env())
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('Will tail 2 logs...\nweb-1 app\nweb-1 side\n')
    const sel = await run(KUBETAIL, ['-l', 'app=db', '--dry-run', '-k', 'false'], env())
    expect(sel.stdout).toBe('Will tail 2 logs...\ndb-1 app\ndb-1 side\n')
    const none = await run(KUBETAIL, ['nothing-matches'], env())
    expect(none.code).toBe(1)
    expect(none.stdout).toBe('No pods exists that matches nothing-matches\n')
  })

  it('prints what --since allows of a container and exits with --follow false', async () => {
    writeFileSync(join(t.dir, 'db.log'), criLine('db: an hour ago', 3_600_000) + criLine('db: started') + criLine('db: ready'))
    const r = await run(KUBETAIL, ['db-1', '-c', 'app', '-f', 'false', '-k', 'false', '--since', '10m'], env())
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('Will tail 1 logs...\ndb-1\n[db-1] db: started \n[db-1] db: ready \n')
  })

  it('follows a container until stopped, in a terminal', async () => {
    // In a terminal, as users run it: its final `tail -f` block-buffers into a pipe.
    const term = pty.spawn(KUBETAIL, ['web-1', '-c', 'side', '-k', 'false', '--since', '1h'], {
      cols: 200,
      rows: 24,
      env: { ...process.env, HOME: t.dir, ...env() },
    })
    terms.add(term)
    let out = ''
    term.onData((d) => (out += d))
    const exited = new Promise<void>((resolve) => term.onExit(() => resolve()))
    await until('the logs so far', () => out.includes('[web-1] side: started'))
    appendFileSync(logPath('side'), criLine('side: later'))
    await until('the appended line', () => out.includes('[web-1] side: later'))
    process.kill(-term.pid, 'SIGTERM')
    await exited
    terms.delete(term)
    expect(out.replace(/\r\n/g, '\n')).toBe('Will tail 1 logs...\nweb-1\n[web-1] side: old line \n[web-1] side: started \n[web-1] side: later \n')
  })
})
