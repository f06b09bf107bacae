// Certificates for a cluster: a CA, the API server's serving certificate, client certificates
// (admin, nodes, components). Keys are ECDSA P-256 made by Node's crypto (as k3s makes them: a
// key costs well under a millisecond, where an RSA-2048 one took 50–300 ms), and certificates
// are written as DER with the small builder the CSR signer uses (api/x509/der.ts) and signed by
// Node's crypto. A CA made earlier with an RSA key keeps issuing (sha256WithRSAEncryption).
// The service-account key stays RSA: tokens are RS256 as upstream's default.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isIPv4, isIPv6 } from 'node:net'
import { join } from 'node:path'
import { bitString, bool, children, namedBits, nullValue, octets, oid, oidString, readTlv, seq, time, tlv, unsignedInt } from '../api/x509/der'

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

const OID_CN = '2.5.4.3'
const OID_O = '2.5.4.10'

function newEcKey(): { privateKeyPem: string; spkiDer: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { privateKeyPem: privateKey, spkiDer: publicKey }
}

/** An RSA key (the service-account signing key). */
export function newRsaKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}

function serial(): Buffer {
  // Positive 16-byte serial (top bit clear), as RFC 5280 asks.
  const b = randomBytes(16)
  b[0] = b[0]! & 0x7f
  return b
}

/** A Name: CN, then one RDN per organization (UTF8String, as Go writes names with ':' in them). */
function name(commonName: string, organizations: readonly string[] = []): Buffer {
  const rdn = (id: string, v: string): Buffer => tlv(0x31, seq(oid(id), tlv(0x0c, Buffer.from(v, 'utf8'))))
  return seq(...organizations.map((o) => rdn(OID_O, o)), rdn(OID_CN, commonName))
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1). */
function keyId(spkiDer: Buffer): Buffer {
  const key = children(spkiDer, readTlv(spkiDer, 0))[1]!
  return createHash('sha1')
    .update(spkiDer.subarray(key.start + 1, key.end))
    .digest()
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`)
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

function toPem(der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
}

function certDer(pem: string): Buffer {
  return new X509Certificate(pem).raw
}

/** The TBSCertificate's parts of a certificate: subject (DER) and SubjectPublicKeyInfo (DER). */
function certParts(der: Buffer): { subject: Buffer; spki: Buffer; subjectTlv: ReturnType<typeof readTlv> } {
  const tbs = children(der, readTlv(der, 0))[0]!
  const parts = children(der, tbs)
  const i = parts[0]!.tag === 0xa0 ? 1 : 0
  const subj = parts[i + 4]!
  const spki = parts[i + 5]!
  return { subject: Buffer.from(der.subarray(subj.offset, subj.end)), spki: Buffer.from(der.subarray(spki.offset, spki.end)), subjectTlv: subj }
}

/**
 * The last signer's parsed key and CA certificate's parts: parsing a PEM key costs more than
 * signing with it, and a control plane issues a certificate per hollow node from one CA.
 */
let lastSigner: { pem: string; key: KeyObject } | undefined
let lastCa: { pem: string; parts: ReturnType<typeof certParts> } | undefined

function signerKey(pem: string): KeyObject {
  if (lastSigner?.pem !== pem) lastSigner = { pem, key: createPrivateKey(pem) }
  return lastSigner.key
}

function caCertParts(pem: string): ReturnType<typeof certParts> {
  if (lastCa?.pem !== pem) lastCa = { pem, parts: certParts(certDer(pem)) }
  return lastCa.parts
}

function build(opts: { subject: Buffer; issuer: Buffer; spkiDer: Buffer; days: number; exts: Buffer[]; signerKeyPem: string }): string {
  const signer = signerKey(opts.signerKeyPem)
  const sigAlg = signer.asymmetricKeyType === 'ec' ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), nullValue())
  const notBefore = new Date(Date.now() - 60 * 60 * 1000)
  const notAfter = new Date(Date.now() + opts.days * 86400 * 1000)
  const tbs = seq(
    tlv(0xa0, unsignedInt(Buffer.from([2]))), // v3
    unsignedInt(serial()),
    sigAlg,
    opts.issuer,
    seq(time(notBefore), time(notAfter)),
    opts.subject,
    opts.spkiDer,
    tlv(0xa3, seq(...opts.exts)),
  )
  return toPem(seq(tbs, sigAlg, bitString(sign('sha256', tbs, signer))))
}

export function createCA(commonName: string, days = 3650): KeyPair {
  const key = newEcKey()
  const subject = name(commonName)
  const certPem = build({
    subject,
    issuer: subject,
    spkiDer: key.spkiDer,
    days,
    signerKeyPem: key.privateKeyPem,
    exts: [
      extension('2.5.29.19', true, seq(bool(true))), // basicConstraints cA
      extension('2.5.29.15', true, namedBits([0, 5, 6])), // digitalSignature, keyCertSign, cRLSign
      extension('2.5.29.14', false, octets(keyId(key.spkiDer))),
    ],
  })
  return { certPem, keyPem: key.privateKeyPem }
}

export function issueCert(ca: KeyPair, req: CertRequest): KeyPair {
  const key = newEcKey()
  const caParts = caCertParts(ca.certPem)
  const altNames = [...(req.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...(req.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip)))]
  const usages = [...(req.server ? ['1.3.6.1.5.5.7.3.1'] : []), ...(req.client ? ['1.3.6.1.5.5.7.3.2'] : [])]
  const exts = [
    extension('2.5.29.19', true, seq()), // basicConstraints, not a CA
    extension('2.5.29.15', true, namedBits([0, 2])), // digitalSignature, keyEncipherment (as client-go's certutil)
    ...(usages.length ? [extension('2.5.29.37', false, seq(...usages.map(oid)))] : []),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(caParts.spki)))),
    ...(altNames.length ? [extension('2.5.29.17', false, seq(...altNames))] : []),
  ]
  const certPem = build({
    subject: name(req.commonName, req.organizations),
    issuer: caParts.subject,
    spkiDer: key.spkiDer,
    days: req.days ?? 825,
    signerKeyPem: ca.keyPem,
    exts,
  })
  return { certPem, keyPem: key.privateKeyPem }
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
  const der = certDer(certPem)
  const { subjectTlv } = certParts(der)
  let user = ''
  const groups: string[] = []
  for (const set of children(der, subjectTlv)) {
    for (const atv of children(der, set)) {
      const [type, value] = children(der, atv)
      if (!type || !value) continue
      const id = oidString(der, type)
      const text = der.subarray(value.start, value.end).toString('utf8')
      if (id === OID_CN) user = text
      else if (id === OID_O) groups.push(text)
    }
  }
  return { user, groups }
}

export interface ServerPki {
  readonly ca: KeyPair
  readonly serving: KeyPair
  /** Key that signs service-account tokens (RS256). */
  readonly serviceAccountKeyPem: string
  readonly serviceAccountPubPem: string
  /**
   * The CA of the front proxy's client certificate (kubeadm's `front-proxy-ca`): kept apart from
   * the cluster CA, so that no certificate the cluster CA signs (a user's, one from a CSR) can
   * speak for other users to an extension API server through the requestheader headers.
   */
  readonly frontProxyCa: KeyPair
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
  let frontProxyCa = loadPair(pkiDir, 'front-proxy-ca')
  if (!frontProxyCa) {
    frontProxyCa = createCA('front-proxy-ca')
    savePair(pkiDir, 'front-proxy-ca', frontProxyCa)
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
    frontProxyCa,
  }
}

/** A client certificate for `user` in `groups`, signed by the cluster CA. */
export function issueClientCert(ca: KeyPair, user: string, groups: readonly string[] = []): KeyPair {
  return issueCert(ca, { commonName: user, organizations: groups, client: true })
}
