// Name and key syntax rules, with upstream's messages so learners can search them.
import { fieldErr, type FieldError } from '../errors'

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_LABEL_RE = new RegExp(`^${LABEL}$`)
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`)
const DNS1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const CONFIG_KEY_RE = /^[-._a-zA-Z0-9]+$/
const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/

/** Each returns a list of problems (empty = valid), like upstream's IsDNS1123Label & co. */
export type NameCheck = (s: string) => string[]

export const isDNS1123Label: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 63) errs.push('must be no more than 63 characters')
  if (!DNS1123_LABEL_RE.test(text)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    )
  }
  return errs
}

export const isDNS1123Subdomain: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 253) errs.push('must be no more than 253 characters')
  if (!DNS1123_SUBDOMAIN_RE.test(text)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    )
  }
  return errs
}

export const isDNS1035Label: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 63) errs.push('must be no more than 63 characters')
  if (!DNS1035_RE.test(text)) {
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    )
  }
  return errs
}

/** RBAC object names only need to be usable as a URL path segment. */
export const isPathSegmentName: NameCheck = (text) => {
  if (text === '.' || text === '..') return [`may not be '${text}'`]
  const errs: string[] = []
  for (const bad of ['/', '%']) if (text.includes(bad)) errs.push(`may not contain '${bad}'`)
  return errs
}

export const isQualifiedName: NameCheck = (text) => {
  const errs: string[] = []
  const parts = text.split('/')
  let name = text
  if (parts.length === 2) {
    const prefix = parts[0]
    name = parts[1]
    if (prefix.length === 0) errs.push('prefix part must be non-empty')
    else for (const e of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${e}`)
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]
  }
  if (name.length === 0) errs.push('name part must be non-empty')
  else if (name.length > 63) errs.push('name part must be no more than 63 characters')
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    )
  }
  return errs
}

export const isLabelValue: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 63) errs.push('must be no more than 63 characters')
  if (!LABEL_VALUE_RE.test(text)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    )
  }
  return errs
}

export const isConfigMapKey: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 253) errs.push('must be no more than 253 characters')
  if (!CONFIG_KEY_RE.test(text)) {
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    )
  }
  if (text === '.') errs.push("must not be '.'")
  else if (text === '..') errs.push("must not be '..'")
  else if (text.startsWith('..')) errs.push("must not start with '..'")
  return errs
}

export const isEnvVarName: NameCheck = (text) =>
  ENV_NAME_RE.test(text)
    ? []
    : [
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
      ]

/** Port names: 1-15 lower case letters, digits and '-', at least one letter, no '--', no leading/trailing '-'. */
export const isIANASvcName: NameCheck = (text) => {
  const errs: string[] = []
  if (text.length > 15) errs.push('must be no more than 15 characters')
  if (!/^[-a-z0-9]+$/.test(text)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (text.includes('--')) errs.push('must not contain consecutive hyphens')
  if (!/[a-z]/.test(text)) errs.push('must contain at least one letter (a-z)')
  if (text.startsWith('-') || text.endsWith('-')) errs.push('must not begin or end with a hyphen')
  return errs
}

export function isIPv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p === '0' || !p.startsWith('0')))
}
export function isIP(text: string): boolean {
  if (isIPv4(text)) return true
  // IPv6: let the URL parser decide.
  if (!text.includes(':')) return false
  try {
    new URL(`http://[${text}]/`)
    return true
  } catch {
    return false
  }
}

/** Field errors (one per problem) for a value checked with `check`. */
export function checkName(field: string, value: string, check: NameCheck): FieldError[] {
  return check(value).map((msg) => fieldErr.invalid(field, value, msg))
}
