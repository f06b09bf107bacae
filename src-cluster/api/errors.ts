// Field-level validation errors, shaped like upstream's field.Error so the API server can answer
// 422 Invalid with causes that name each bad field path (kubectl prints them as-is).

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'

export interface FieldError {
  readonly type: FieldErrorType
  /** Path like "spec.containers[0].image" or "metadata.labels[app]". */
  readonly field: string
  /** Extra words after the standard phrase, e.g. the rule a name broke. */
  readonly detail?: string
  readonly badValue?: unknown
  /** For NotSupported: the allowed values. */
  readonly supported?: readonly string[]
}

const PHRASE: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
}

/** A bad value shown as Go's %#v shows it (e.g. []byte{0x2d, ...}), not as JSON. */
export class GoValue {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text
  }
}

/** Go's %#v of a []byte. */
export function goBytes(buf: Uint8Array): GoValue {
  return new GoValue(`[]byte{${[...buf].map((x) => `0x${x.toString(16)}`).join(', ')}}`)
}

function show(v: unknown): string {
  if (v instanceof GoValue) return v.text
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (v === null || v === undefined) return 'null'
  return JSON.stringify(v)
}

/** The cause message without the field path, e.g. `Invalid value: "Foo": must be lower case`. */
export function fieldErrorMessage(err: FieldError): string {
  let msg = PHRASE[err.type]
  const hasBad = err.badValue !== undefined && err.type !== 'FieldValueRequired' && err.type !== 'FieldValueForbidden'
  if (hasBad) msg += `: ${show(err.badValue)}`
  if (err.type === 'FieldValueNotSupported' && err.supported) {
    msg += `: supported values: ${err.supported.map((s) => JSON.stringify(s)).join(', ')}`
  } else if (err.detail) {
    msg += `: ${err.detail}`
  }
  return msg
}

/** `spec.containers[0].image: Required value` */
export function formatFieldError(err: FieldError): string {
  return `${err.field}: ${fieldErrorMessage(err)}`
}

export const fieldErr = {
  required: (field: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  invalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail }),
  notSupported: (field: string, badValue: unknown, supported: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    supported,
  }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  tooLong: (field: string, badValue: unknown, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    badValue,
    detail: `must have at most ${max} bytes`,
  }),
  typeInvalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail }),
}

/** Bad request body that is not a field problem (malformed JSON/YAML/protobuf, wrong kind...). Answered 400. */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BadRequestError'
  }
}
