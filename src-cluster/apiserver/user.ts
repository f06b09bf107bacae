// Who makes a request, as authentication finds it; its own module so that authorization and
// admission can name it without importing the server context.
export interface User {
  readonly name: string
  readonly groups: readonly string[]
  readonly uid?: string
  /** Extra attributes (a bound service-account token's pod name and uid). */
  readonly extra?: Readonly<Record<string, readonly string[]>>
}
