// CSR reading and certificate signing (src-cluster/api/x509) against openssl-made requests:
// RSA, ECDSA and Ed25519 keys, SANs, a tampered signature, and certificates that openssl and
// Node's X509Certificate accept as issued by the CA.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CsrError, parseCsr } from '../../src-cluster/api/x509/csr'
import { signCsr } from '../../src-cluster/api/x509/sign'
import { createCA } from '../../src-cluster/kit/pki'
import { tempDir } from '../helpers/temp-dir'

function opensslCsr(dir: string, name: string, keyArgs: string[], subject: string, extra: string[] = []): string {
  const key = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  execFileSync('openssl', ['genpkey', ...keyArgs, '-out', key], { stdio: 'ignore' })
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subject, ...extra, '-out', csr], { stdio: 'ignore' })
  return readFileSync(csr, 'utf8')
}

describe('x509 CSRs', () => {
  const ca = createCA('test-ca')

  it('reads RSA, ECDSA and Ed25519 requests and signs certificates the CA verifies', () => {
    const dir = tempDir('x509-')
    const kinds: [string, string[]][] = [
      ['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
      ['ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
      ['ed', ['-algorithm', 'ED25519']],
    ]
    for (const [name, args] of kinds) {
      const pem = opensslCsr(dir, name, args, '/CN=system:node:w1/O=system:nodes', ['-addext', 'subjectAltName=DNS:w1.example,IP:10.0.0.7'])
      const csr = parseCsr(pem)
      expect(csr).toMatchObject({ commonName: 'system:node:w1', organizations: ['system:nodes'], dnsNames: ['w1.example'], ipAddresses: ['10.0.0.7'] })
      const now = new Date()
      const certPem = signCsr({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, csr, usages: ['digital signature', 'server auth'], ttlSeconds: 3600, now })
      const cert = new X509Certificate(certPem)
      expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true)
      expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true)
      expect(cert.subject).toBe('CN=system:node:w1\nO=system:nodes')
      expect(cert.subjectAltName).toBe('DNS:w1.example, IP Address:10.0.0.7')
      expect(cert.ca).toBe(false)
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(3600_000)
      expect(cert.publicKey.export({ format: 'der', type: 'spki' }).equals(csr.publicKeyDer)).toBe(true)
      writeFileSync(join(dir, `${name}.crt`), certPem)
      writeFileSync(join(dir, 'ca.crt'), ca.certPem)
      expect(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, `${name}.crt`)], { encoding: 'utf8' })).toContain(': OK')
    }
  })

  it('refuses what is not a CSR or whose signature does not check', () => {
    const dir = tempDir('x509-')
    const pem = opensslCsr(dir, 'r', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=jane')
    expect(() => parseCsr('hello')).toThrow(new CsrError('PEM block type must be CERTIFICATE REQUEST'))
    expect(() => parseCsr(ca.certPem)).toThrow('PEM block type must be CERTIFICATE REQUEST')
    // Change one byte of the signed subject: the signature no longer matches.
    const der = Buffer.from(
      pem
        .split('\n')
        .filter((l) => !l.startsWith('-----'))
        .join(''),
      'base64',
    )
    const at = der.indexOf(Buffer.from('jane'))
    der[at] = 'z'.charCodeAt(0)
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`
    expect(() => parseCsr(tampered)).toThrow('x509: ECDSA verification failure')
    const truncated = `-----BEGIN CERTIFICATE REQUEST-----\n${der.subarray(0, 40).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`
    expect(() => parseCsr(truncated)).toThrow('x509: malformed certificate request')
  })
})
