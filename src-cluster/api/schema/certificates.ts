// Schema data for certificates.k8s.io/v1 (CertificateSigningRequest). Field names and protobuf
// numbers follow kubernetes/api certificates/v1 at v0.32; the descriptions are our own.
import { bytes, f, int32, kind, list, map, ref, string, struct, time } from './dsl'
import type { Struct } from './dsl'

const C = 'io.k8s.api.certificates.v1.'

export const structs: Struct[] = [
  kind(
    'certificates.k8s.io',
    'v1',
    'CertificateSigningRequest',
    C + 'CertificateSigningRequest',
    'Asks a signer for an X.509 certificate; approved through the approval subresource, issued through status.',
    {
      spec: f(2, ref(C + 'CertificateSigningRequestSpec'), 'The request: a PEM CSR, the signer, the usages. Immutable.', { required: true }),
      status: f(3, ref(C + 'CertificateSigningRequestStatus'), 'Approval conditions and the issued certificate.'),
    },
  ),
  struct(C + 'CertificateSigningRequestSpec', 'What is requested, and who requested it (filled in by the API server).', {
    request: f(1, bytes, 'A PEM-encoded PKCS#10 certificate signing request ("CERTIFICATE REQUEST" block).', { required: true }),
    signerName: f(7, string, 'The signer asked to sign, e.g. kubernetes.io/kube-apiserver-client.', { required: true }),
    expirationSeconds: f(8, int32, 'Requested certificate lifetime in seconds (at least 600); the signer may issue a shorter one.', { ptr: true }),
    usages: f(5, list(string, { listType: 'atomic' }), 'Key usages asked for, e.g. "digital signature", "key encipherment", "client auth".'),
    username: f(2, string, 'Who created the request (set by the API server).'),
    uid: f(3, string, 'UID of who created the request (set by the API server).'),
    groups: f(4, list(string, { listType: 'atomic' }), 'Groups of who created the request (set by the API server).'),
    // JSON: map of string lists. Protobuf wraps each list in an ExtraValue message
    // (`repeated string items = 1`), which the DSL cannot express as a wrapper.
    extra: f(6, map(list(string)), 'Extra attributes of who created the request (set by the API server).'),
  }),
  struct(C + 'CertificateSigningRequestStatus', 'Approval and issuance.', {
    conditions: f(1, list(ref(C + 'CertificateSigningRequestCondition'), { listType: 'map', mapKeys: ['type'] }), 'Approved, Denied and Failed conditions.'),
    certificate: f(2, bytes, 'The issued certificate chain (PEM), set by the signer after approval.'),
  }),
  struct(C + 'CertificateSigningRequestCondition', 'One observation about a request.', {
    type: f(1, string, 'Approved, Denied or Failed.', { required: true }),
    status: f(6, string, 'True, False or Unknown (Approved and Denied must be True).', { required: true }),
    reason: f(2, string, 'A brief reason.'),
    message: f(3, string, 'Human-readable details.'),
    lastUpdateTime: f(4, time, 'When the condition was last updated.'),
    lastTransitionTime: f(5, time, 'When the condition last changed status.'),
  }),
]
