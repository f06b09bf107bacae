// Issue an X.509 certificate for a CSR from a CA, as upstream's csrsigning controller does
// (k8s.io/kubernetes/pkg/controller/certificates/authority): the request's subject, public key
// and subject alternative names; key usages from the CSR's usages; not a CA; backdated five
// minutes; never past the CA's own expiry. Any key type the CSR carries works (its
// SubjectPublicKeyInfo is copied as it is); the CA's key signs through Node's crypto.
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto'
import type { ParsedCsr } from './csr'
import { pemDecode } from './csr'
import { bitString, bool, children, namedBits, nullValue, octets, oid, oidString, readTlv, seq, time, tlv, unsignedInt } from './der'

const KEY_USAGE_BITS: Record<string, number> = {
  signing: 0,
  'digital signature': 0,
  'content commitment': 1,
  'key encipherment': 2,
  'data encipherment': 3,
  'key agreement': 4,
  'cert sign': 5,
  'crl sign': 6,
  'encipher only': 7,
  'decipher only': 8,
}

const EXT_KEY_USAGE_OIDS: Record<string, string> = {
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
}

const BACKDATE_MS = 5 * 60 * 1000

export interface SignRequest {
  readonly caCertPem: string
  readonly caKeyPem: string
  readonly csr: ParsedCsr
  readonly usages: readonly string[]
  /** Certificate lifetime. */
  readonly ttlSeconds: number
  readonly now: Date
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))
}

/** The CA's subject (DER) and its subject key identifier (from the extension, else SHA-1 of its key). */
function caParts(caCertPem: string): { subject: Buffer; keyId: Buffer } {
  const block = pemDecode(caCertPem)
  if (!block || block.type !== 'CERTIFICATE') throw new Error('signer: the CA file holds no CERTIFICATE')
  const buf = block.der
  const tbs = children(buf, readTlv(buf, 0))[0]!
  const parts = children(buf, tbs)
  const i = parts[0]!.tag === 0xa0 ? 1 : 0
  const subjectTlv = parts[i + 4]!
  const spki = parts[i + 5]!
  let keyId: Buffer | undefined
  const extsWrapper = parts.find((p) => p.tag === 0xa3)
  if (extsWrapper) {
    for (const ext of children(buf, children(buf, extsWrapper)[0]!)) {
      const e = children(buf, ext)
      if (oidString(buf, e[0]!) === '2.5.29.14') {
        const inner = readTlv(buf, e[e.length - 1]!.start)
        keyId = Buffer.from(buf.subarray(inner.start, inner.end))
      }
    }
  }
  if (!keyId) {
    const key = children(buf, spki)[1]!
    keyId = createHash('sha1')
      .update(buf.subarray(key.start + 1, key.end))
      .digest()
  }
  return { subject: Buffer.from(buf.subarray(subjectTlv.offset, subjectTlv.end)), keyId }
}

/** A PEM certificate for the request, signed by the CA. */
export function signCsr(signRequest: SignRequest): string {
  const ca = caParts(signRequest.caCertPem)
  const caKey = createPrivateKey(signRequest.caKeyPem)
  const caNotAfter = new Date(new X509Certificate(signRequest.caCertPem).validTo)
  const notBefore = new Date(signRequest.now.getTime() - BACKDATE_MS)
  let notAfter = new Date(notBefore.getTime() + signRequest.ttlSeconds * 1000)
  if (notAfter > caNotAfter) notAfter = caNotAfter
  const ec = caKey.asymmetricKeyType === 'ec'
  const sigAlg = ec ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), nullValue())

  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const keyUsage = [...new Set(signRequest.usages.map((u) => KEY_USAGE_BITS[u]).filter((b): b is number => b !== undefined))]
  const extKeyUsage = [...new Set(signRequest.usages.map((u) => EXT_KEY_USAGE_OIDS[u]).filter((o): o is string => o !== undefined))]
  const exts: Buffer[] = []
  if (keyUsage.length) exts.push(extension('2.5.29.15', true, namedBits(keyUsage)))
  if (extKeyUsage.length) exts.push(extension('2.5.29.37', false, seq(...extKeyUsage.map(oid))))
  exts.push(extension('2.5.29.19', true, seq()))
  exts.push(extension('2.5.29.35', false, seq(tlv(0x80, ca.keyId))))
  if (signRequest.csr.subjectAltNameDer) exts.push(extension('2.5.29.17', false, signRequest.csr.subjectAltNameDer))

  const tbs = seq(
    tlv(0xa0, unsignedInt(Buffer.from([2]))), // v3
    unsignedInt(serial),
    sigAlg,
    ca.subject,
    seq(time(notBefore), time(notAfter)),
    signRequest.csr.subjectDer,
    signRequest.csr.publicKeyDer,
    tlv(0xa3, seq(...exts)),
  )
  const signature = sign('sha256', tbs, caKey)
  const der = seq(tbs, sigAlg, bitString(signature))
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
}
