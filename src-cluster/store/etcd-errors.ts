// etcd's gRPC errors as StoreErrors: the codes the API server maps to HTTP (410, 504, 503) and
// messages that say which endpoint failed and what to check.
import { StoreError } from './types'

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** "mvcc: required revision has been compacted" (OutOfRange). */
export function isCompacted(err: unknown): boolean {
  return /required revision has been compacted/.test(text(err))
}

/** Error classes of the etcd3 package, cockatiel and etcd-member-gate.ts that mean "no member served the call". */
const UNAVAILABLE_ERRORS = new Set(['GRPCUnavailableError', 'GRPCDeadlineExceededError', 'BrokenCircuitError', 'EtcdWatchStreamEnded', 'EtcdMemberPassedOver'])

/** Connection failures and leader changes: worth retrying, not a verdict on the request. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (UNAVAILABLE_ERRORS.has(err.constructor.name) || UNAVAILABLE_ERRORS.has(err.name)) return true
  return /no leader|leader changed|request timed out|ECONNREFUSED|ECONNRESET|No connection established|failed to connect|circuit breaker is open|Connection dropped|UNAVAILABLE/i.test(
    err.message,
  )
}

export function etcdError(err: unknown, what: string, where: string, compacted: number): StoreError {
  if (err instanceof StoreError) return err
  const msg = text(err)
  if (isCompacted(err))
    return new StoreError('compacted', `${what}: the revision is older than etcd's kept history (compacted at ${compacted}); list again`, compacted)
  if (/required revision is a future revision/.test(msg))
    return new StoreError('too-large', `${what}: the revision is newer than the latest etcd revision (${msg})`)
  if (/request is too large/.test(msg)) return new StoreError('too-large', `${what}: etcd refused the request as too large (${msg}); make the object smaller`)
  if (/database space exceeded/.test(msg))
    return new StoreError(
      'no-space',
      `${msg}: etcd at ${where} reached its --quota-backend-bytes; delete objects, compact and defragment, then \`etcdctl alarm disarm\``,
    )
  if (/already closed/.test(msg)) return new StoreError('closed', 'the store is closed')
  if (isUnavailable(err)) {
    return new StoreError(
      'unavailable',
      `${what}: etcd at ${where} is unavailable (${msg}); check that the etcd members run and have quorum (\`etcdctl endpoint health\`)`,
    )
  }
  if (/certificate|SSL|TLS|handshake|self.signed|unable to verify|bad certificate/i.test(msg)) {
    return new StoreError('unavailable', `${what}: TLS to etcd at ${where} failed (${msg}); check --etcd-cafile, --etcd-certfile and --etcd-keyfile`)
  }
  return new StoreError('io', `${what}: etcd at ${where} failed: ${msg}`)
}
