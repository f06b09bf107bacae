// Certificates for a cluster: a CA, the API server's serving certificate, client certificates
// (admin, nodes, components). Node's crypto makes the RSA keys (fast, native); node-forge
// builds and signs the X.509 certificates, which Node cannot do by itself.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import forge from 'node-forge'

export interface KeyPair {
  readonly certPem: string
  readonly keyPem: string
}

export interface CertRequest {
  readonly commonName: string
  readonly organizations?: readonly string[]
  readonly dnsNames?: readonly string[]
  readonly ipAddresses?: readonly string[]
  readonly server?: boolean
  readonly client?: boolean
  readonly days?: number
}

function newRsaKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}

/**
 * Sign with Node's native RSA (node-forge's JavaScript RSA costs ~130 ms per signature, which
 * adds up to seconds when a cluster's certificates are made).
 */
function signCert(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption']!
  cert.signatureOid = oid
  cert.siginfo.algorithmOid = oid
  // getTBSCertificate exists in node-forge but is missing from its type definitions.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert)
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary')
  cert.tbsCertificate = tbs
  cert.signature = sign('sha256', der, signerKeyPem).toString('binary')
}

function serial(): string {
  // Positive 16-byte serial (top bit clear), as RFC 5280 asks.
  const b = randomBytes(16)
  b[0] = b[0]! & 0x7f
  return b.toString('hex')
}

function subject(commonName: string, organizations: readonly string[] = []): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: commonName }, ...organizations.map((o) => ({ name: 'organizationName', value: o }))]
}

export function createCA(commonName: string, days = 3650): KeyPair {
  const key = newRsaKey()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem)
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000)
  cert.validity.notAfter = new Date(Date.now() + days * 86400 * 1000)
  cert.setSubject(subject(commonName))
  cert.setIssuer(subject(commonName))
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  signCert(cert, key.privateKeyPem)
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.privateKeyPem }
}

export function issueCert(ca: KeyPair, req: CertRequest): KeyPair {
  const key = newRsaKey()
  const caCert = forge.pki.certificateFromPem(ca.certPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem)
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000)
  cert.validity.notAfter = new Date(Date.now() + (req.days ?? 825) * 86400 * 1000)
  cert.setSubject(subject(req.commonName, req.organizations))
  cert.setIssuer(caCert.subject.attributes)
  const altNames = [...(req.dnsNames ?? []).map((value) => ({ type: 2, value })), ...(req.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))]
  const exts: Record<string, unknown>[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: !!req.server, clientAuth: !!req.client },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]
  if (altNames.length) exts.push({ name: 'subjectAltName', altNames })
  cert.setExtensions(exts)
  signCert(cert, ca.keyPem)
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.privateKeyPem }
}

function writeSecret(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 })
}

function loadPair(dir: string, base: string): KeyPair | undefined {
  const c = join(dir, `${base}.crt`)
  const k = join(dir, `${base}.key`)
  if (!existsSync(c) || !existsSync(k)) return undefined
  return { certPem: readFileSync(c, 'utf8'), keyPem: readFileSync(k, 'utf8') }
}

function savePair(dir: string, base: string, pair: KeyPair): void {
  writeFileSync(join(dir, `${base}.crt`), pair.certPem, { mode: 0o644 })
  writeSecret(join(dir, `${base}.key`), pair.keyPem)
}

/** Subject names of a certificate, for authentication: CN is the user, O are the groups. */
export function certIdentity(certPem: string): { user: string; groups: string[] } {
  const c = forge.pki.certificateFromPem(certPem)
  const cn = c.subject.getField('CN')
  const groups = c.subject.attributes.filter((a) => a.shortName === 'O').map((a) => String(a.value))
  return { user: cn ? String(cn.value) : '', groups }
}

export interface ServerPki {
  readonly ca: KeyPair
  readonly serving: KeyPair
  /** Key that signs service-account tokens (RS256). */
  readonly serviceAccountKeyPem: string
  readonly serviceAccountPubPem: string
}

/**
 * The API server's PKI in `dir/pki`: reuse what is there (a CA given by the host at cluster
 * create time, or one made earlier), create what is missing. The serving certificate is
 * re-issued when its names do not cover the requested ones.
 */
export function ensureServerPki(dir: string, names: { dnsNames: string[]; ipAddresses: string[] }): ServerPki {
  const pkiDir = join(dir, 'pki')
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 })
  let ca = loadPair(pkiDir, 'ca')
  if (!ca) {
    ca = createCA('kubelab-ca')
    savePair(pkiDir, 'ca', ca)
  }
  let serving = loadPair(pkiDir, 'apiserver')
  const namesFile = join(pkiDir, 'apiserver.names')
  const wanted = JSON.stringify({ d: [...names.dnsNames].sort(), i: [...names.ipAddresses].sort() })
  if (!serving || !existsSync(namesFile) || readFileSync(namesFile, 'utf8') !== wanted) {
    serving = issueCert(ca, { commonName: 'kube-apiserver', server: true, dnsNames: names.dnsNames, ipAddresses: names.ipAddresses })
    savePair(pkiDir, 'apiserver', serving)
    writeFileSync(namesFile, wanted)
  }
  const saKeyPath = join(pkiDir, 'sa.key')
  const saPubPath = join(pkiDir, 'sa.pub')
  if (!existsSync(saKeyPath) || !existsSync(saPubPath)) {
    const k = newRsaKey()
    writeSecret(saKeyPath, k.privateKeyPem)
    writeFileSync(saPubPath, k.publicKeyPem)
  }
  return {
    ca,
    serving,
    serviceAccountKeyPem: readFileSync(saKeyPath, 'utf8'),
    serviceAccountPubPem: readFileSync(saPubPath, 'utf8'),
  }
}

/** A client certificate for `user` in `groups`, signed by the cluster CA. */
export function issueClientCert(ca: KeyPair, user: string, groups: readonly string[] = []): KeyPair {
  return issueCert(ca, { commonName: user, organizations: groups, client: true })
}
