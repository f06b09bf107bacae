// PriorityClass validation as upstream's (pkg/apis/scheduling/validation): user classes stay at
// or below 1000000000, `system-` names are reserved for the built-in classes, and value and
// preemptionPolicy never change.
import { fieldErr } from '../errors'
import type { Errs, Obj } from './util'
import { num, str } from './util'

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
/** The classes every cluster has (upstream's SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  {
    name: 'system-cluster-critical',
    value: 2_000_000_000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
]

export function validatePriorityClass(obj: Obj): Errs {
  const errs: Errs = []
  const name = str(obj.metadata, 'name') ?? ''
  const value = num(obj, 'value') ?? 0
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name)
    if (!known) {
      errs.push(
        fieldErr.forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: priority class ${name} is not known`,
        ),
      )
    } else if (known.value !== value || obj.globalDefault === true) {
      errs.push(
        fieldErr.forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: value of ${name} PriorityClass must be ${known.value}`,
        ),
      )
    }
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErr.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`))
  }
  return errs
}

export function validatePriorityClassUpdate(obj: Obj, old: Obj): Errs {
  const errs: Errs = []
  if (obj.value !== old.value) errs.push(fieldErr.forbidden('value', 'may not be changed in an update.'))
  if ((obj.preemptionPolicy ?? 'PreemptLowerPriority') !== (old.preemptionPolicy ?? 'PreemptLowerPriority')) {
    errs.push(fieldErr.invalid('preemptionPolicy', obj.preemptionPolicy, 'field is immutable'))
  }
  return errs
}
