// The CSR signing controller (upstream's csrsigning): approved CertificateSigningRequests for the
// kubernetes.io signers get a certificate from the cluster CA in status.certificate. Like
// upstream, each signer first checks the request fits it (kube-apiserver-client: client auth;
// kube-apiserver-client-kubelet: a system:node: client in system:nodes; kubelet-serving: a
// system:node: server with DNS or IP names) and marks a misfit Failed/SignerValidationFailure.
// The certificate lives for --cluster-signing-duration (1 year), or the request's
// expirationSeconds when shorter, never past the CA. Without a CA (no
// --cluster-signing-cert-file/--cluster-signing-key-file) the controller does not run, as upstream.
import { readFileSync } from 'node:fs'
import { resourceRef, isNotFound, type Informer } from '../../client'
import type { KubeObject } from '../../api/object'
import { parseCsr, type ParsedCsr } from '../../api/x509/csr'
import { signCsr } from '../../api/x509/sign'
import { ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { keyOf } from '../../kit/keys'

export const CSRS = resourceRef('certificates.k8s.io/v1', 'certificatesigningrequests')

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client'
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet'
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving'

interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
  lastUpdateTime?: string
}
interface CsrObj extends KubeObject {
  spec?: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number }
  status?: { conditions?: Condition[]; certificate?: string }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => new Set(a).size === new Set(b).size && [...new Set(a)].every((x) => b.includes(x))

function validApiServerClientUsages(usages: readonly string[]): void {
  let clientAuth = false
  for (const u of usages) {
    if (u === 'client auth') clientAuth = true
    else if (u !== 'digital signature' && u !== 'key encipherment') throw new Error(`invalid usage for client certificate: ${u}`)
  }
  if (!clientAuth) throw new Error('missing required usage for client certificate: client auth')
}

function validKubeletClient(csr: ParsedCsr, usages: readonly string[]): void {
  if (csr.organizations.length !== 1 || csr.organizations[0] !== 'system:nodes') throw new Error('subject organization is not system:nodes')
  if (csr.dnsNames.length) throw new Error('DNS subjectAltNames are not allowed')
  if (csr.emailAddresses.length) throw new Error('Email subjectAltNames are not allowed')
  if (csr.ipAddresses.length) throw new Error('IP subjectAltNames are not allowed')
  if (csr.uris.length) throw new Error('URI subjectAltNames are not allowed')
  if (!csr.commonName.startsWith('system:node:')) throw new Error('subject common name does not begin with system:node:')
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'client auth']) && !sameSet(usages, ['digital signature', 'client auth'])) {
    throw new Error('usages did not match [client auth digital signature key encipherment]')
  }
}

function validKubeletServing(csr: ParsedCsr, usages: readonly string[]): void {
  if (csr.organizations.length !== 1 || csr.organizations[0] !== 'system:nodes') throw new Error('subject organization is not system:nodes')
  if (!csr.dnsNames.length && !csr.ipAddresses.length) throw new Error('DNS or IP subjectAltName is required')
  if (csr.emailAddresses.length) throw new Error('Email subjectAltNames are not allowed')
  if (csr.uris.length) throw new Error('URI subjectAltNames are not allowed')
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'server auth']) && !sameSet(usages, ['digital signature', 'server auth'])) {
    throw new Error('usages did not match [digital signature key encipherment server auth]')
  }
  if (!csr.commonName.startsWith('system:node:')) throw new Error('subject common name does not begin with system:node:')
}

const SIGNERS: Record<string, (csr: ParsedCsr, usages: readonly string[]) => void> = {
  [KUBE_APISERVER_CLIENT]: (_csr, usages) => validApiServerClientUsages(usages),
  [KUBE_APISERVER_CLIENT_KUBELET]: validKubeletClient,
  [KUBELET_SERVING]: validKubeletServing,
}

export class CsrSigningController implements Controller {
  readonly name = 'csrsigning-controller'
  private q!: ControllerQueue
  private csrs!: Informer<CsrObj>
  private ctx!: ControllerContext

  async start(ctx: ControllerContext): Promise<void> {
    this.q = new ControllerQueue(ctx, this.name)
    this.ctx = ctx
    const o = ctx.options
    if (!o.clusterSigningCa && !(o.clusterSigningCertFile && o.clusterSigningKeyFile)) {
      ctx.log(`${this.name}: no --cluster-signing-cert-file/--cluster-signing-key-file, not signing certificate requests`)
      return
    }
    this.csrs = ctx.informers.for<CsrObj>(CSRS)
    const enqueue = (c: CsrObj): void => {
      if (SIGNERS[c.spec?.signerName ?? ''] && isApproved(c) && !c.status?.certificate && !hasCondition(c, 'Failed')) this.q.add(keyOf(c))
    }
    this.csrs.addHandler({ add: enqueue, update: (_o, n) => enqueue(n) })
    await this.csrs.start()
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  /** The CA, read at each signing so a CA file written after start-up is found. */
  private ca(): { certPem: string; keyPem: string } {
    const o = this.ctx.options
    if (o.clusterSigningCa) return o.clusterSigningCa
    return { certPem: readFileSync(o.clusterSigningCertFile!, 'utf8'), keyPem: readFileSync(o.clusterSigningKeyFile!, 'utf8') }
  }

  async sync(key: string): Promise<void> {
    const cached = this.csrs.get(key)
    if (!cached || !isApproved(cached) || hasCondition(cached, 'Failed') || cached.status?.certificate) return
    const check = SIGNERS[cached.spec?.signerName ?? '']
    if (!check) return
    const csr = structuredClone(cached)
    const usages = csr.spec?.usages ?? []
    let parsed: ParsedCsr
    try {
      parsed = parseCsr(Buffer.from(csr.spec?.request ?? '', 'base64').toString('latin1'))
    } catch (e) {
      throw new Error(`unable to parse csr ${JSON.stringify(key)}: ${(e as Error).message}`)
    }
    const now = this.ctx.clock.now()
    try {
      check(parsed, usages)
    } catch (e) {
      csr.status = {
        ...csr.status,
        conditions: [
          ...(csr.status?.conditions ?? []),
          {
            type: 'Failed',
            status: 'True',
            reason: 'SignerValidationFailure',
            message: (e as Error).message,
            lastUpdateTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
        ],
      }
      await this.writeStatus(csr)
      this.ctx.log(`${this.name}: ${key} failed ${csr.spec?.signerName} validation: ${(e as Error).message}`)
      return
    }
    const maxTtl = this.ctx.options.clusterSigningDurationSeconds
    const asked = csr.spec?.expirationSeconds
    const ttl = asked !== undefined && asked < maxTtl ? asked : maxTtl
    const ca = this.ca()
    const cert = signCsr({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, csr: parsed, usages, ttlSeconds: ttl, now })
    csr.status = { ...csr.status, certificate: Buffer.from(cert).toString('base64') }
    await this.writeStatus(csr)
    this.ctx.log(`${this.name}: issued a certificate for ${key} (${parsed.commonName})`)
  }

  private async writeStatus(csr: CsrObj): Promise<void> {
    try {
      await this.ctx.client.update(CSRS, csr, { subresource: 'status' })
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }
}

function hasCondition(c: CsrObj, type: string): boolean {
  return !!c.status?.conditions?.some((x) => x.type === type && x.status === 'True')
}

function isApproved(c: CsrObj): boolean {
  return hasCondition(c, 'Approved') && !hasCondition(c, 'Denied')
}

export function certificateControllers(): Controller[] {
  return [new CsrSigningController()]
}
