// events.k8s.io/v1 Event validation as upstream's ValidateEventCreate for that API: the fields a
// new-style event must carry (eventTime, reportingController, reportingInstance, action,
// reason), upstream's length limits, Normal/Warning, the deprecated* fields left unset, and a
// series of at least two occurrences. Core v1 Events keep the lenient legacy rules.
import { fieldErr } from '../errors'
import { child, num, str, type Errs, type Obj } from './util'
import { isQualifiedName } from './names'

const REPORTING_INSTANCE_LIMIT = 128
const ACTION_LIMIT = 128
const REASON_LIMIT = 128
const NOTE_LIMIT = 1024

export function validateEventsV1(obj: Obj): Errs {
  const errs: Errs = []
  const controller = str(obj, 'reportingController') ?? ''
  if (!controller) errs.push(fieldErr.required('reportingController', ''))
  else for (const m of isQualifiedName(controller)) errs.push(fieldErr.invalid('reportingController', controller, m))
  const instance = str(obj, 'reportingInstance') ?? ''
  if (!instance) errs.push(fieldErr.required('reportingInstance', ''))
  else if (instance.length > REPORTING_INSTANCE_LIMIT)
    errs.push(fieldErr.invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`))
  const action = str(obj, 'action') ?? ''
  if (!action) errs.push(fieldErr.required('action', ''))
  else if (action.length > ACTION_LIMIT) errs.push(fieldErr.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`))
  const reason = str(obj, 'reason') ?? ''
  if (!reason) errs.push(fieldErr.required('reason', ''))
  else if (reason.length > REASON_LIMIT) errs.push(fieldErr.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`))
  if ((str(obj, 'note') ?? '').length > NOTE_LIMIT) errs.push(fieldErr.invalid('note', '', `can have at most ${NOTE_LIMIT} characters`))
  const series = child(obj, 'series')
  if (series) {
    if ((num(series, 'count') ?? 0) < 2) errs.push(fieldErr.invalid('series.count', '', 'should be at least 2'))
    if (!str(series, 'lastObservedTime')) errs.push(fieldErr.required('series.lastObservedTime', ''))
  }
  if (!str(obj, 'eventTime')) errs.push(fieldErr.required('eventTime', ''))
  const type = str(obj, 'type') ?? ''
  if (type !== 'Normal' && type !== 'Warning') errs.push(fieldErr.invalid('type', '', `has invalid value: ${type}`))
  if (str(obj, 'deprecatedFirstTimestamp')) errs.push(fieldErr.invalid('deprecatedFirstTimestamp', '', 'needs to be unset'))
  if (str(obj, 'deprecatedLastTimestamp')) errs.push(fieldErr.invalid('deprecatedLastTimestamp', '', 'needs to be unset'))
  if ((num(obj, 'deprecatedCount') ?? 0) !== 0) errs.push(fieldErr.invalid('deprecatedCount', '', 'needs to be unset'))
  const src = child(obj, 'deprecatedSource')
  if (str(src, 'component') || str(src, 'host')) errs.push(fieldErr.invalid('deprecatedSource', '', 'needs to be unset'))
  return errs
}
