// CertificateSigningRequest validation as upstream's (pkg/apis/certificates/validation, v1 rules):
// the request must be a PEM CSR whose signature checks, usages are required, known and unique,
// signerName is a qualified "domain/path", expirationSeconds is at least 600, conditions are
// well formed (Approved and Denied are True and exclusive), status.certificate holds only
// CERTIFICATE blocks; and updates never drop an Approved, Denied or Failed condition nor
// change an issued certificate.
import { fieldErr, goBytes } from '../errors'
import { CsrError, parseCsr, pemBlockTypes } from '../x509/csr'
import { isDNS1123Label, isDNS1123Subdomain } from './names'
import type { Errs, Obj } from './util'
import { child, items, num, str } from './util'

export const KNOWN_USAGES = [
  'any',
  'cert sign',
  'client auth',
  'code signing',
  'content commitment',
  'crl sign',
  'data encipherment',
  'decipher only',
  'digital signature',
  'email protection',
  'encipher only',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'key agreement',
  'key encipherment',
  'microsoft sgc',
  'netscape sgc',
  'ocsp signing',
  's/mime',
  'server auth',
  'signing',
  'timestamping',
]

const CONDITION_STATUSES = ['False', 'True', 'Unknown']

/** The request's PEM text (spec.request is base64 in JSON). */
export function csrRequestText(obj: Obj): string {
  return Buffer.from(str(child(obj, 'spec'), 'request') ?? '', 'base64').toString('latin1')
}

export function validateSignerName(path: string, signerName: string): Errs {
  const errs: Errs = []
  if (!signerName) return [fieldErr.required(path, '')]
  const segments = signerName.split('/')
  if (segments.length !== 2) return [fieldErr.invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")]
  const [domain, rest] = segments as [string, string]
  if (domain.length > 253) errs.push(fieldErr.tooLong(path, domain, 253))
  const labels = domain.split('.')
  for (const l of labels) {
    const bad = isDNS1123Label(l)
    if (bad.length) {
      for (const m of bad) errs.push(fieldErr.invalid(path, domain, `validating label ${JSON.stringify(l)}: ${m}`))
      break
    }
  }
  if (labels.length < 2) errs.push(fieldErr.invalid(path, domain, 'should be a domain with at least two segments separated by dots'))
  for (const c of rest.split('.')) {
    const bad = isDNS1123Subdomain(c)
    if (bad.length) {
      for (const m of bad) errs.push(fieldErr.invalid(path, rest, `validating component ${JSON.stringify(c)}: ${m}`))
      break
    }
  }
  const maxPath = 253 - domain.length - 1
  if (rest.length > maxPath) errs.push(fieldErr.tooLong(path, rest, maxPath))
  return errs
}

function validateConditions(o: Obj): Errs {
  const errs: Errs = []
  const seen = new Set<string>()
  let approved = false
  let denied = false
  const conds = items(child(o, 'status'), 'conditions')
  conds.forEach((c, i) => {
    const p = `status.conditions[${i}]`
    const type = str(c, 'type') ?? ''
    const status = str(c, 'status') ?? ''
    if (!type) errs.push(fieldErr.required(`${p}.type`, ''))
    if (!status) errs.push(fieldErr.required(`${p}.status`, ''))
    else if (!CONDITION_STATUSES.includes(status)) errs.push(fieldErr.notSupported(`${p}.status`, status, ['True']))
    if (type === 'Approved' || type === 'Denied') {
      if (type === 'Approved') approved = true
      else denied = true
      if (status && status !== 'True') errs.push(fieldErr.notSupported(`${p}.status`, status, ['True']))
    }
    if (type === 'Approved' || type === 'Denied' || type === 'Failed') {
      if (seen.has(type)) errs.push(fieldErr.duplicate(`${p}.type`, type))
      seen.add(type)
    }
  })
  if (approved && denied) errs.push(fieldErr.invalid('status.conditions', conds, 'Approved and Denied conditions are mutually exclusive'))
  return errs
}

function validateCertificate(o: Obj): Errs {
  const cert = str(child(o, 'status'), 'certificate')
  if (!cert) return []
  const text = Buffer.from(cert, 'base64').toString('latin1')
  const types = pemBlockTypes(text)
  const other = types.find((t) => t !== 'CERTIFICATE')
  if (other) return [fieldErr.invalid('status.certificate', '<certificate data>', `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(other)}`)]
  if (!types.length) return [fieldErr.invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block')]
  return []
}

export function validateCsr(obj: Obj): Errs {
  const errs: Errs = []
  const spec = child(obj, 'spec')
  try {
    parseCsr(csrRequestText(obj))
  } catch (e) {
    if (!(e instanceof CsrError)) throw e
    errs.push(fieldErr.invalid('spec.request', goBytes(Buffer.from(str(spec, 'request') ?? '', 'base64')), e.message))
  }
  const usages = Array.isArray(spec?.usages) ? (spec.usages as unknown[]) : []
  if (!usages.length) errs.push(fieldErr.required('spec.usages', ''))
  usages.forEach((u, i) => {
    if (typeof u !== 'string' || !KNOWN_USAGES.includes(u)) errs.push(fieldErr.notSupported(`spec.usages[${i}]`, u, KNOWN_USAGES))
  })
  usages.forEach((u, i) => {
    if (usages.indexOf(u) !== i) errs.push(fieldErr.duplicate(`spec.usages[${i}]`, u))
  })
  const signer = str(spec, 'signerName') ?? ''
  if (signer === 'kubernetes.io/legacy-unknown')
    errs.push(fieldErr.invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'))
  else errs.push(...validateSignerName('spec.signerName', signer))
  const exp = num(spec, 'expirationSeconds')
  if (exp !== undefined && exp < 600)
    errs.push(fieldErr.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'))
  errs.push(...validateConditions(obj))
  errs.push(...validateCertificate(obj))
  return errs
}

export function validateCsrUpdate(obj: Obj, old: Obj): Errs {
  const errs: Errs = []
  const count = (x: Obj, type: string) => items(child(x, 'status'), 'conditions').filter((c) => c.type === type).length
  for (const type of ['Approved', 'Denied', 'Failed']) {
    if (count(obj, type) < count(old, type))
      errs.push(fieldErr.forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(type)}`))
  }
  const before = str(child(old, 'status'), 'certificate')
  const after = str(child(obj, 'status'), 'certificate')
  if (before && after !== before) errs.push(fieldErr.forbidden('status.certificate', 'updates may not modify existing certificate content'))
  return errs
}
