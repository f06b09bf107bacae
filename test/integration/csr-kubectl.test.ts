// certificates.k8s.io/v1 CertificateSigningRequests through the real kubectl and openssl, the
// classic "add a user" exercise: an openssl key and CSR, `kubectl certificate approve` (which
// needs `approve` on the signer), the controller manager's signer issuing from the cluster CA,
// and a kubeconfig with that certificate that the API server authenticates as the CSR's CN/O,
// authorized by RBAC bound to that user. Also validation, subject restriction, deny, and a
// signer's validation failure. One cluster (no nodes) for the file.
import { execFile, execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'
import { KUBECTL } from '../helpers/apiserver'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 0 })
})
afterAll(async () => {
  await t?.close()
})

/** An openssl RSA key and a CSR for `subject` in the test dir; returns the CSR's base64. */
function opensslCsr(name: string, subject: string): { key: string; request: string } {
  const key = join(t.dir, `${name}.key`)
  const csr = join(t.dir, `${name}.csr`)
  execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' })
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr], { stdio: 'ignore' })
  return { key, request: readFileSync(csr).toString('base64') }
}

const csrManifest = (name: string, request: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...extra },
  })

interface Csr {
  spec: { username: string; groups: string[]; signerName: string }
  status: { conditions?: { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string }[]; certificate?: string }
}
const getCsr = async (name: string): Promise<Csr> => JSON.parse(await t.k('get', 'csr', name, '-o', 'json')) as Csr

/** Another kubectl binary with the admin kubeconfig. */
function kubectlBin(bin: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, `cache-${bin.split('/').pop()}`), ...args],
      { encoding: 'utf8', env: { ...process.env, HOME: t.dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` })
      },
    )
  })
}

/** kubectl with another kubeconfig (the new user's); asynchronous, as the API server runs in this process. */
function kubectlAs(kubeconfig: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(t.dir, 'jane-cache'), ...args],
      { encoding: 'utf8', env: { ...process.env, HOME: t.dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
        resolve({ code, out: `${stdout}${stderr}` })
      },
    )
  })
}

describe('CertificateSigningRequest', () => {
  it('a new user: openssl CSR, approve with the signer permission, issued by the cluster CA, authenticated and authorized by RBAC', async () => {
    const jane = opensslCsr('jane', '/CN=jane/O=devs')
    expect((await t.kubectl(['create', '-f', '-'], { input: csrManifest('jane', jane.request, { expirationSeconds: 86400 }) })).stderr).toBe('')
    const created = await getCsr('jane')
    // The requester is who created it, whatever the body said.
    expect(created.spec.username).toBe('kubernetes-admin')
    expect(created.spec.groups).toEqual(['system:masters', 'system:authenticated'])
    expect(await t.k('get', 'csr')).toMatch(
      /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n\s*jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending\n$/,
    )

    // bob may update approvals but not approve for this signer: upstream's CertificateApproval refuses.
    await t.k('create', 'clusterrole', 'csr-approver', '--verb=get,list,update', '--resource=certificatesigningrequests,certificatesigningrequests/approval')
    await t.k('create', 'clusterrolebinding', 'bob-csr', '--clusterrole=csr-approver', '--user=bob')
    const refused = await t.kubectl(['certificate', 'approve', 'jane', '--as=bob'])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain(
      'certificatesigningrequests.certificates.k8s.io "jane" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"',
    )
    expect((await getCsr('jane')).status.conditions ?? []).toEqual([])
    // Upstream's approver role for the signer grants it.
    await t.k('create', 'clusterrolebinding', 'bob-signer', '--clusterrole=system:certificates.k8s.io:kube-apiserver-client-approver', '--user=bob')
    expect(await t.k('certificate', 'approve', 'jane', '--as=bob')).toContain('certificatesigningrequest.certificates.k8s.io/jane approved')

    const issued = await t.waitFor('jane issued', async () => ((await getCsr('jane')).status.certificate ? getCsr('jane') : undefined))
    expect(issued.status.conditions).toEqual([
      expect.objectContaining({ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }),
    ])
    expect(issued.status.conditions![0]!.lastUpdateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(await t.k('get', 'csr', 'jane')).toMatch(/\s+Approved,Issued\n$/)
    // Field ownership as upstream records it: the approver owns the condition through /approval.
    const managed = (
      JSON.parse(await t.k('get', 'csr', 'jane', '-o', 'json', '--show-managed-fields')) as {
        metadata: { managedFields: { manager: string; subresource?: string; fieldsV1: unknown }[] }
      }
    ).metadata.managedFields
    expect(managed).toContainEqual(
      expect.objectContaining({
        manager: 'kubectl',
        operation: 'Update',
        subresource: 'approval',
        fieldsV1: { 'f:status': { 'f:conditions': expect.objectContaining({ 'k:{"type":"Approved"}': expect.anything() }) } },
      }),
    )
    expect(managed).toContainEqual(
      expect.objectContaining({ manager: 'kube-controller-manager', subresource: 'status', fieldsV1: { 'f:status': { 'f:certificate': {} } } }),
    )

    // The certificate: the CSR's subject, client auth, signed by the cluster CA, for the asked 24h.
    const certFile = join(t.dir, 'jane.crt')
    writeFileSync(certFile, Buffer.from(issued.status.certificate!, 'base64'))
    const caFile = join(t.dir, 'ca.crt')
    writeFileSync(
      caFile,
      Buffer.from((await t.k('config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}')).trim(), 'base64'),
    )
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, certFile], { encoding: 'utf8' })).toContain(': OK')
    const text = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-subject', '-ext', 'extendedKeyUsage,basicConstraints', '-dates'], {
      encoding: 'utf8',
    })
    expect(text).toMatch(/subject=CN\s?=\s?jane, O\s?=\s?devs/)
    expect(text).toContain('TLS Web Client Authentication')
    expect(text).toContain('CA:FALSE')
    const dates = Object.fromEntries([...text.matchAll(/^(notBefore|notAfter)=(.*)$/gm)].map((m) => [m[1], Date.parse(m[2]!)]))
    expect(dates.notAfter! - dates.notBefore!).toBe(86400_000)

    // A kubeconfig for jane, built with kubectl config as the tutorials do.
    const kc = join(t.dir, 'jane.kubeconfig')
    const server = (await t.k('config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}')).trim()
    await kubectlAs(kc, 'config', 'set-cluster', 'lab', `--server=${server}`, `--certificate-authority=${caFile}`, '--embed-certs')
    await kubectlAs(kc, 'config', 'set-credentials', 'jane', `--client-certificate=${certFile}`, `--client-key=${jane.key}`, '--embed-certs')
    await kubectlAs(kc, 'config', 'set-context', 'jane', '--cluster=lab', '--user=jane')
    await kubectlAs(kc, 'config', 'use-context', 'jane')

    const who = await kubectlAs(kc, 'auth', 'whoami')
    expect(who.out).toMatch(/Username\s+jane/)
    expect(who.code).toBe(0)
    expect(who.out).toMatch(/Groups\s+\[devs system:authenticated\]/)
    expect((await kubectlAs(kc, 'auth', 'can-i', 'list', 'pods')).out.trim()).toBe('no')
    const denied = await kubectlAs(kc, 'get', 'pods')
    expect(denied.out).toContain('pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"')

    await t.k('create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods')
    await t.k('create', 'rolebinding', 'jane-reads-pods', '--role=pod-reader', '--user=jane')
    // A group binding works too: devs may read configmaps.
    await t.k('create', 'role', 'cm-reader', '--verb=list', '--resource=configmaps')
    await t.k('create', 'rolebinding', 'devs-read-cms', '--role=cm-reader', '--group=devs')
    expect((await kubectlAs(kc, 'auth', 'can-i', 'list', 'pods')).out.trim()).toBe('yes')
    expect((await kubectlAs(kc, 'auth', 'can-i', 'delete', 'pods')).out.trim()).toBe('no')
    expect((await kubectlAs(kc, 'auth', 'can-i', 'list', 'configmaps')).out.trim()).toBe('yes')
    expect(await kubectlAs(kc, 'get', 'pods')).toEqual({ code: 0, out: 'No resources found in default namespace.\n' })
    expect((await kubectlAs(kc, 'get', 'secrets')).out).toContain('secrets is forbidden: User "jane" cannot list resource "secrets"')
  })

  it('validates as upstream and refuses system:masters for the client signer', async () => {
    const ok = opensslCsr('v', '/CN=val')
    const bad = await t.kubectl(['create', '-f', '-'], { input: csrManifest('bad', Buffer.from('not a csr').toString('base64')) })
    expect(bad.stderr).toContain(
      'spec.request: Invalid value: []byte{0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x63, 0x73, 0x72}: PEM block type must be CERTIFICATE REQUEST',
    )
    const noSigner = await t.kubectl(['create', '-f', '-'], {
      input: csrManifest('nosigner', ok.request, { signerName: undefined, usages: ['client auth', 'client auth', 'flying'] }),
    })
    expect(noSigner.stderr).toContain('spec.signerName: Required value')
    expect(noSigner.stderr).toContain('spec.usages[1]: Duplicate value: "client auth"')
    expect(noSigner.stderr).toContain('spec.usages[2]: Unsupported value: "flying"')
    const badSigner = await t.kubectl(['create', '-f', '-'], {
      input: csrManifest('badsigner', ok.request, { signerName: 'nodomain', usages: [], expirationSeconds: 60 }),
    })
    expect(badSigner.stderr).toContain(
      `spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
    )
    expect(badSigner.stderr).toContain('spec.usages: Required value')
    expect(badSigner.stderr).toContain('spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)')

    const root = opensslCsr('root', '/CN=root/O=system:masters')
    const masters = await t.kubectl(['create', '-f', '-'], { input: csrManifest('root', root.request) })
    expect(masters.stderr).toContain(
      'certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed',
    )

    // The spec never changes after create; status written through the main resource is ignored.
    await t.kubectl(['create', '-f', '-'], { input: csrManifest('fixed', ok.request) })
    await t.k(
      'patch',
      'csr',
      'fixed',
      '--type=merge',
      '-p',
      '{"spec":{"usages":["digital signature","client auth"]},"status":{"conditions":[{"type":"Approved","status":"True"}]}}',
    )
    const fixed = await getCsr('fixed')
    expect((fixed.spec as { usages?: string[] }).usages).toEqual(['client auth'])
    expect(fixed.status.conditions).toBeUndefined()
    // Approved and Denied exclude each other; an approval is never taken back.
    await t.k('certificate', 'approve', 'fixed')
    const approved = JSON.parse(await t.k('get', 'csr', 'fixed', '-o', 'json')) as Csr
    const body = (conditions: unknown[]) => JSON.stringify({ ...approved, status: { ...approved.status, conditions } })
    const both = await t.kubectl(['replace', '--raw', '/apis/certificates.k8s.io/v1/certificatesigningrequests/fixed/approval', '-f', '-'], {
      input: body([...approved.status.conditions!, { type: 'Denied', status: 'True', reason: 'Changed', message: 'my mind' }]),
    })
    expect(both.stderr).toContain('Approved and Denied conditions are mutually exclusive')
    const dropped = await t.kubectl(['replace', '--raw', '/apis/certificates.k8s.io/v1/certificatesigningrequests/fixed/approval', '-f', '-'], {
      input: body([]),
    })
    expect(dropped.stderr).toContain('status.conditions: Forbidden: updates may not remove a condition of type "Approved"')
  })

  it('deny leaves the request unsigned; a request that does not fit its signer fails', async () => {
    const d = opensslCsr('denied', '/CN=mallory')
    await t.kubectl(['create', '-f', '-'], { input: csrManifest('denied', d.request) })
    expect(await t.k('certificate', 'deny', 'denied')).toContain('certificatesigningrequest.certificates.k8s.io/denied denied')
    expect(await t.k('get', 'csr', 'denied')).toMatch(/\s+Denied\n$/)

    const k = opensslCsr('kubelet', '/CN=system:node:w1/O=not-nodes')
    await t.kubectl(['create', '-f', '-'], {
      input: csrManifest('kubelet', k.request, { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }),
    })
    await t.k('certificate', 'approve', 'kubelet')
    const failed = await t.waitFor('kubelet CSR failed', async () => {
      const c = await getCsr('kubelet')
      return c.status.conditions?.some((x) => x.type === 'Failed') ? c : undefined
    })
    expect(failed.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: 'subject organization is not system:nodes' }),
    )
    expect(failed.status.certificate).toBeUndefined()
    expect(await t.k('get', 'csr', 'kubelet')).toMatch(/\s+Approved,Failed\n$/)
    // The denied one was never signed.
    expect((await getCsr('denied')).status.certificate).toBeUndefined()
    expect(await t.k('delete', 'csr', 'denied', 'kubelet')).toContain('"denied" deleted')
  })

  it('works the same with kubectl 1.27 and 1.33 run directly', async () => {
    for (const v of ['1.27', '1.33']) {
      const name = `k${v.replace('.', '')}`
      const bin = `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`
      const run = (...args: string[]) => kubectlBin(bin, ...args)
      const { request } = opensslCsr(name, `/CN=${name}`)
      await t.kubectl(['create', '-f', '-'], { input: csrManifest(name, request) })
      expect((await run('certificate', 'approve', name)).out).toContain(`certificatesigningrequest.certificates.k8s.io/${name} approved`)
      await t.waitFor(`${name} issued`, async () => (await getCsr(name)).status.certificate)
      expect((await run('get', 'csr', name)).out).toMatch(
        new RegExp(`^${name}\\s+\\S+\\s+kubernetes\\.io/kube-apiserver-client\\s+kubernetes-admin\\s+<none>\\s+Approved,Issued$`, 'm'),
      )
      expect((await run('describe', 'csr', name)).out).toMatch(/Status:\s+Approved,Issued/)
    }
  })
})
