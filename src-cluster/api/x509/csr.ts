// PKCS#10 certificate signing requests, read as upstream's certificates.ParseCSR reads them: one
// PEM block of type CERTIFICATE REQUEST whose signature checks out against its own public key
// (RSA, ECDSA or Ed25519: Node's crypto verifies, a small DER reader finds the parts). The
// signer (controllers/certificates) copies the subject, public key and SANs from what this returns.
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { children, oidString, readTlv, type Tlv } from './der'

export interface ParsedCsr {
  /** The subject Name as its DER bytes (copied into the certificate as it is). */
  readonly subjectDer: Buffer
  /** SubjectPublicKeyInfo as its DER bytes. */
  readonly publicKeyDer: Buffer
  readonly publicKey: KeyObject
  readonly commonName: string
  readonly organizations: string[]
  readonly dnsNames: string[]
  readonly ipAddresses: string[]
  readonly emailAddresses: string[]
  readonly uris: string[]
  /** The requested subjectAltName extension's value (DER), when the request has one. */
  readonly subjectAltNameDer?: Buffer
}

const OID_CN = '2.5.4.3'
const OID_O = '2.5.4.10'
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14'
const OID_SAN = '2.5.29.17'

/** Signature algorithms Go's x509 accepts on a CSR, as Node's verify names the digest. */
const SIG_ALGS: Record<string, { digest: string | null }> = {
  '1.2.840.113549.1.1.5': { digest: 'sha1' },
  '1.2.840.113549.1.1.11': { digest: 'sha256' },
  '1.2.840.113549.1.1.12': { digest: 'sha384' },
  '1.2.840.113549.1.1.13': { digest: 'sha512' },
  '1.2.840.10045.4.3.2': { digest: 'sha256' },
  '1.2.840.10045.4.3.3': { digest: 'sha384' },
  '1.2.840.10045.4.3.4': { digest: 'sha512' },
  '1.3.101.112': { digest: null },
}

export class CsrError extends Error {}

/** The bytes of the first PEM block and its type, or undefined (as Go's pem.Decode). */
export function pemDecode(text: string): { type: string; der: Buffer } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text)
  if (!m) return undefined
  const body = m[2]!
    .split(/\r?\n/)
    .filter((l) => l && !l.includes(':'))
    .join('')
  if (!/^[A-Za-z0-9+/=]*$/.test(body)) return undefined
  return { type: m[1]!, der: Buffer.from(body, 'base64') }
}

/** All PEM blocks' types, in order (for status.certificate checks). */
export function pemBlockTypes(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!)
}

function stringValue(buf: Buffer, t: Tlv): string {
  const content = buf.subarray(t.start, t.end)
  // BMPString is UTF-16BE; the others are ASCII/UTF-8 compatible.
  if (t.tag === 0x1e) {
    let s = ''
    for (let i = 0; i + 1 < content.length; i += 2) s += String.fromCharCode(content.readUInt16BE(i))
    return s
  }
  return content.toString('utf8')
}

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.')
  const parts: string[] = []
  for (let i = 0; i + 1 < b.length; i += 2) parts.push(b.readUInt16BE(i).toString(16))
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

/** Parse and check a PEM CSR; throws CsrError with Go's wording where it is well known. */
export function parseCsr(pem: string): ParsedCsr {
  const block = pemDecode(pem)
  if (!block || block.type !== 'CERTIFICATE REQUEST') throw new CsrError('PEM block type must be CERTIFICATE REQUEST')
  const buf = block.der
  let info: Tlv, algId: Tlv, sig: Tlv
  try {
    const outer = readTlv(buf, 0)
    ;[info, algId, sig] = children(buf, outer) as [Tlv, Tlv, Tlv]
    if (!info || !algId || !sig || sig.tag !== 0x03) throw new Error()
  } catch {
    throw new CsrError('x509: malformed certificate request')
  }
  try {
    const [, subject, spki, attrs] = children(buf, info)
    if (!subject || !spki) throw new Error()
    const subjectDer = buf.subarray(subject.offset, subject.end)
    const publicKeyDer = buf.subarray(spki.offset, spki.end)
    const algOid = oidString(buf, children(buf, algId)[0]!)
    const alg = SIG_ALGS[algOid]
    if (!alg) throw new CsrError(`x509: cannot verify signature: algorithm unimplemented`)
    let publicKey: KeyObject
    try {
      publicKey = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' })
    } catch {
      throw new CsrError('x509: unsupported public key type')
    }
    const signature = buf.subarray(sig.start + 1, sig.end) // skip the unused-bits byte
    const ok = verify(alg.digest, buf.subarray(info.offset, info.end), publicKey, signature)
    if (!ok) {
      const kind = publicKey.asymmetricKeyType
      throw new CsrError(
        kind === 'rsa' ? 'crypto/rsa: verification error' : kind === 'ec' ? 'x509: ECDSA verification failure' : 'x509: Ed25519 verification failure',
      )
    }

    let commonName = ''
    const organizations: string[] = []
    for (const rdn of children(buf, subject)) {
      for (const atv of children(buf, rdn)) {
        const [type, value] = children(buf, atv)
        if (!type || !value) continue
        const oid = oidString(buf, type)
        if (oid === OID_CN) commonName = stringValue(buf, value)
        else if (oid === OID_O) organizations.push(stringValue(buf, value))
      }
    }
    const out = {
      subjectDer,
      publicKeyDer,
      publicKey,
      commonName,
      organizations,
      dnsNames: [] as string[],
      ipAddresses: [] as string[],
      emailAddresses: [] as string[],
      uris: [] as string[],
      subjectAltNameDer: undefined as Buffer | undefined,
    }
    if (attrs && attrs.tag === 0xa0) {
      for (const attr of children(buf, attrs)) {
        const [type, values] = children(buf, attr)
        if (!type || !values || oidString(buf, type) !== OID_EXTENSION_REQUEST) continue
        for (const exts of children(buf, values)) {
          for (const ext of children(buf, exts)) {
            const parts = children(buf, ext)
            if (!parts[0] || oidString(buf, parts[0]) !== OID_SAN) continue
            const value = parts[parts.length - 1]! // OCTET STRING (after the optional critical flag)
            const inner = readTlv(buf, value.start)
            out.subjectAltNameDer = buf.subarray(inner.offset, inner.end)
            for (const name of children(buf, inner)) {
              const content = buf.subarray(name.start, name.end)
              if (name.tag === 0x82) out.dnsNames.push(content.toString('ascii'))
              else if (name.tag === 0x87) out.ipAddresses.push(ipString(content))
              else if (name.tag === 0x81) out.emailAddresses.push(content.toString('ascii'))
              else if (name.tag === 0x86) out.uris.push(content.toString('ascii'))
            }
          }
        }
      }
    }
    return out
  } catch (e) {
    if (e instanceof CsrError) throw e
    throw new CsrError('x509: malformed certificate request')
  }
}
