// Label and field selectors from query parameters, as one predicate over objects.
import type { KubeObject } from '../../api/object'
import { BadRequestError } from '../../api/errors'
import type { ResourceInfo } from '../../api/resources'
import { matchLabels, parseFieldSelector, parseLabelSelector } from '../../api/selectors'
import { errors } from '../status'

export type ObjectFilter = (obj: KubeObject) => boolean

export function filterFromQuery(res: ResourceInfo, q: URLSearchParams, name?: string): { filter: ObjectFilter; trivial: boolean } {
  const ls = q.get('labelSelector') ?? ''
  const fs = q.get('fieldSelector') ?? ''
  try {
    const labelSel = ls ? parseLabelSelector(ls) : undefined
    const fieldPred = fs ? parseFieldSelector(fs, res) : undefined
    const filter: ObjectFilter = (obj) =>
      (name === undefined || obj.metadata?.name === name) && (!labelSel || matchLabels(labelSel, obj.metadata?.labels)) && (!fieldPred || fieldPred(obj))
    return { filter, trivial: !ls && !fs && name === undefined }
  } catch (e) {
    if (e instanceof BadRequestError) throw errors.badRequest(e.message)
    throw e
  }
}
