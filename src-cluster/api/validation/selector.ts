// LabelSelector rules and matching (for "selector does not match template labels").
import { fieldErr, type FieldError } from '../errors'
import { isLabelValue, isQualifiedName } from './names'
import { child, items, str, strings, type Obj } from './util'

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist']

export function validateSelector(sel: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!sel) return errs
  for (const [k, v] of Object.entries(child(sel, 'matchLabels') ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(fieldErr.invalid(`${path}.matchLabels`, k, msg))
    if (typeof v === 'string') for (const msg of isLabelValue(v)) errs.push(fieldErr.invalid(`${path}.matchLabels`, v, msg))
  }
  items(sel, 'matchExpressions').forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`
    const op = str(e, 'operator') ?? ''
    const values = strings(e, 'values')
    if (!OPERATORS.includes(op)) errs.push(fieldErr.notSupported(`${p}.operator`, op, OPERATORS))
    if ((op === 'In' || op === 'NotIn') && values.length === 0)
      errs.push(fieldErr.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"))
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0)
      errs.push(fieldErr.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    for (const msg of isQualifiedName(str(e, 'key') ?? '')) errs.push(fieldErr.invalid(`${p}.key`, str(e, 'key') ?? '', msg))
  })
  return errs
}

export function selectorIsEmpty(sel: Obj | undefined): boolean {
  return Object.keys(child(sel, 'matchLabels') ?? {}).length === 0 && items(sel, 'matchExpressions').length === 0
}

export function selectorMatches(sel: Obj | undefined, labels: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(child(sel, 'matchLabels') ?? {})) if (labels[k] !== v) return false
  for (const e of items(sel, 'matchExpressions')) {
    const key = str(e, 'key') ?? ''
    const values = strings(e, 'values')
    const present = typeof labels[key] === 'string'
    switch (str(e, 'operator')) {
      case 'In':
        if (!present || !values.includes(labels[key] as string)) return false
        break
      case 'NotIn':
        if (present && values.includes(labels[key] as string)) return false
        break
      case 'Exists':
        if (!present) return false
        break
      case 'DoesNotExist':
        if (present) return false
        break
      default:
        return false
    }
  }
  return true
}
