/**
 * An exception that crosses the contract with its own stable code (the dispatcher answers it as
 * `{ code, message }`; any other exception becomes code `internal`).
 */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}
