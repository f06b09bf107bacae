/**
 * An exception that crosses the contract with its own stable code (the dispatcher answers it as
 * `{ code, message }`; any other exception becomes code `internal`).
 */
import type { ErrorCode } from './app'

export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}
