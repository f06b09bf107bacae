// The one error type of the patch engine. The API server turns it into a Status with `code`.

/** 400: the patch body is malformed; 413: too many operations; 415: unsupported patch type; 422: a valid patch that cannot apply. */
export type PatchErrorCode = 400 | 413 | 415 | 422

export class PatchError extends Error {
  readonly code: PatchErrorCode
  constructor(message: string, code: PatchErrorCode) {
    super(message)
    this.name = 'PatchError'
    this.code = code
  }
}

/** 400 helper: the body (or one directive in it) is not a well-formed patch of this type. */
export function badPatch(message: string): PatchError {
  return new PatchError(message, 400)
}
