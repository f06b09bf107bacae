// The certificate the HTTPS listener presents when no Ingress has one for the requested host
// (or the client sends no SNI): self-signed and made once per process, as upstream controllers
// serve a placeholder certificate rather than failing the handshake.
import { createCA, issueCert, type KeyPair } from '../kit/pki'

let cached: KeyPair | undefined

export function defaultCertificate(): KeyPair {
  if (!cached) {
    const ca = createCA('KubeLab Ingress Default CA')
    cached = issueCert(ca, { commonName: 'KubeLab Ingress Default Certificate', dnsNames: ['ingress.local'], server: true, days: 365 })
  }
  return cached
}
