// CertificateSigningRequests in the write path, as upstream's CSR strategies and admission
// plugins treat them:
// - create: spec.username/uid/groups come from the requesting user, status starts empty
//   (no pre-approved requests); CertificateSubjectRestriction refuses a
//   kubernetes.io/kube-apiserver-client request for the system:masters group;
// - main-resource updates change neither spec nor status; /approval changes only the
//   conditions and needs the `approve` verb on `signers` (CertificateApproval); /status keeps
//   the Approved/Denied conditions and needs `sign` on `signers` to set a certificate
//   (CertificateSigning); condition timestamps are filled in as upstream does.
import type { FieldError } from '../../api/errors'
import type { KubeObject } from '../../api/object'
import { fieldErr } from '../../api/errors'
import type { ResourceInfo } from '../../api/resources'
import { csrRequestText } from '../../api/validation/certificates'
import { parseCsr } from '../../api/x509/csr'
import { type ServerContext, type User } from '../context'
import { errors } from '../status'
import { rfc3339 } from '../../kit/time'

type Obj = Record<string, unknown>
type Condition = { type?: string; status?: string; lastUpdateTime?: string; lastTransitionTime?: string }

export const isCsr = (res: Pick<ResourceInfo, 'group' | 'kind'>): boolean => res.group === 'certificates.k8s.io' && res.kind === 'CertificateSigningRequest'

const spec = (o: KubeObject): Obj => (o.spec && typeof o.spec === 'object' ? o.spec : (o.spec = {})) as Obj
const status = (o: KubeObject): Obj => (o.status && typeof o.status === 'object' ? o.status : (o.status = {})) as Obj
const conditions = (o: KubeObject): Condition[] => {
  const s = o.status as { conditions?: unknown } | undefined
  return Array.isArray(s?.conditions) ? (s.conditions as Condition[]) : []
}

function forbidden(name: string, message: string): Error {
  return errors.forbidden(`certificatesigningrequests.certificates.k8s.io "${name}" is forbidden: ${message}`)
}

/** Whether the user may `verb` the signer, by its name or its "domain/*" wildcard (upstream's IsAuthorizedForSignerName). */
export function authorizedForSigner(ctx: ServerContext, user: User, verb: string, signerName: string): boolean {
  const attrs = (name: string) => ({ kind: 'resource' as const, verb, group: 'certificates.k8s.io', resource: 'signers', name })
  if (ctx.authorizer.authorize(user, attrs(signerName)).allowed) return true
  const domain = signerName.split('/')[0]
  return ctx.authorizer.authorize(user, attrs(`${domain}/*`)).allowed
}

/** Create: the requester's identity into spec, an empty status, the subject restriction. */
export function csrCreateAdmission(obj: KubeObject, user: User | undefined): void {
  const s = spec(obj)
  delete s.username
  delete s.uid
  delete s.groups
  delete s.extra
  if (user) {
    s.username = user.name
    if (user.uid) s.uid = user.uid
    s.groups = [...user.groups]
  }
  obj.status = {}
}

/** CertificateSubjectRestriction (validating, on create): no system:masters client certificates through the API. */
export function csrSubjectRestriction(obj: KubeObject): void {
  const s = spec(obj)
  if (s.signerName === 'kubernetes.io/kube-apiserver-client') {
    let orgs: string[] = []
    try {
      orgs = parseCsr(csrRequestText(obj)).organizations
    } catch (e) {
      throw forbidden(String(obj.metadata?.name ?? ''), `failed to parse CSR: ${(e as Error).message}`)
    }
    if (orgs.includes('system:masters'))
      throw forbidden(String(obj.metadata?.name ?? ''), `use of ${s.signerName} signer with system:masters group is not allowed`)
  }
}

function populateConditionTimestamps(next: KubeObject, old: KubeObject, now: string): void {
  for (const c of conditions(next)) {
    if (!c.lastUpdateTime) c.lastUpdateTime = now
    if (!c.lastTransitionTime) {
      const prev = conditions(old).find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime)
      c.lastTransitionTime = prev?.lastTransitionTime ?? now
    }
  }
}

/**
 * Update of a CSR (main resource, /approval or /status): what may change, the admission checks,
 * and the errors validation adds. `next` is changed in place.
 */
export function csrUpdate(ctx: ServerContext, user: User | undefined, subresource: string | undefined, next: KubeObject, old: KubeObject): FieldError[] {
  const name = String(old.metadata?.name ?? '')
  next.spec = structuredClone(old.spec)
  const signer = String((old.spec as Obj | undefined)?.signerName ?? '')
  const now = rfc3339(ctx.now())
  const errs: FieldError[] = []
  if (subresource === 'approval') {
    const cert = (old.status as Obj | undefined)?.certificate
    const st = status(next)
    if (cert !== undefined) st.certificate = cert
    else delete st.certificate
    populateConditionTimestamps(next, old, now)
    if (user && !authorizedForSigner(ctx, user, 'approve', signer))
      throw forbidden(name, `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`)
  } else if (subresource === 'status') {
    // Approved/Denied conditions are the approver's: kept as they were.
    for (const type of ['Approved', 'Denied']) {
      const was = conditions(old).filter((c) => c.type === type)
      const now_ = conditions(next)
        .map((c, i) => [c, i] as const)
        .filter(([c]) => c.type === type)
      if (was.length === now_.length) now_.forEach(([, i], k) => (conditions(next)[i] = structuredClone(was[k]!)))
      else if (now_.length > was.length) errs.push(fieldErr.forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(type)}`))
    }
    populateConditionTimestamps(next, old, now)
    const before = (old.status as Obj | undefined)?.certificate
    const after = (next.status as Obj | undefined)?.certificate
    if (user && after && after !== before && !authorizedForSigner(ctx, user, 'sign', signer)) {
      throw forbidden(name, `user not permitted to sign requests with signerName ${JSON.stringify(signer)}`)
    }
  } else {
    next.status = structuredClone(old.status)
  }
  return errs
}
