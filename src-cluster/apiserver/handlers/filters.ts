// Label and field selectors from query parameters, as one predicate over objects.
import type { KubeObject } from '../../api/object'
import { BadRequestError } from '../../api/errors'
import type { ResourceInfo } from '../../api/resources'
import { fieldValues, matchLabels, parseFieldSelector, parseFieldSelectorValues, parseLabelSelector } from '../../api/selectors'
import { errors } from '../status'

export type ObjectFilter = (obj: KubeObject) => boolean

/** All that label and field selectors read of an object (the watch cache keeps this, not the object). */
export interface SelectorAttrs {
  readonly name: unknown
  readonly labels: Record<string, string> | undefined
  readonly fields: Readonly<Record<string, string>>
}

export function selectorAttrs(res: ResourceInfo, obj: KubeObject): SelectorAttrs {
  return { name: obj.metadata?.name, labels: obj.metadata?.labels, fields: fieldValues(res, obj) }
}

export function filterFromQuery(
  res: ResourceInfo,
  query: URLSearchParams,
  name?: string,
): { filter: ObjectFilter; matchesAttrs: (a: SelectorAttrs) => boolean; trivial: boolean } {
  const ls = query.get('labelSelector') ?? ''
  const fs = query.get('fieldSelector') ?? ''
  try {
    const labelSel = ls ? parseLabelSelector(ls) : undefined
    const fieldPred = fs ? parseFieldSelector(fs, res) : undefined
    const fieldValuesPred = fs ? parseFieldSelectorValues(fs, res) : undefined
    const filter: ObjectFilter = (obj) =>
      (name === undefined || obj.metadata?.name === name) && (!labelSel || matchLabels(labelSel, obj.metadata?.labels)) && (!fieldPred || fieldPred(obj))
    const matchesAttrs = (a: SelectorAttrs): boolean =>
      (name === undefined || a.name === name) && (!labelSel || matchLabels(labelSel, a.labels)) && (!fieldValuesPred || fieldValuesPred(a.fields))
    return { filter, matchesAttrs, trivial: !ls && !fs && name === undefined }
  } catch (e) {
    if (e instanceof BadRequestError) throw errors.badRequest(e.message)
    throw e
  }
}
