// Printers for ResourceQuota and LimitRange, as upstream's printResourceQuota/printLimitRange.
import type { KubeObject } from '../object'
import { AGE_COLUMN, NAME_COLUMN, ageOf, col, nameOf } from './format'
import type { Printer } from './types'

interface QuotaLike {
  spec?: { hard?: Record<string, string> }
  status?: { hard?: Record<string, string>; used?: Record<string, string> }
}

/** `name: used/hard, …` for the spec's names, limits.* in the Limit column and the rest in Request. */
export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  row(obj: KubeObject, now) {
    const q = obj as QuotaLike
    const request: string[] = []
    const limit: string[] = []
    for (const name of Object.keys(q.spec?.hard ?? {}).sort()) {
      const cell = `${name}: ${q.status?.used?.[name] ?? '0'}/${q.status?.hard?.[name] ?? '0'}`
      const pieces = name.split('.')
      if (pieces.length > 1 && pieces[0] === 'limits') limit.push(cell)
      else request.push(cell)
    }
    return { cells: [nameOf(obj), ageOf(obj, now), request.join(', '), limit.join(', ')] }
  },
}

export const limitRangePrinter: Printer = {
  columns: [NAME_COLUMN, col('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  row: (obj: KubeObject) => ({ cells: [nameOf(obj), obj.metadata?.creationTimestamp ?? ''] }),
}
