// Validation of what crosses the contract into the lab service: each parser answers a Reply, so
// the dispatcher returns `bad_params` with a message naming the field. Names are checked against
// the same shapes the CLI accepts (cluster names and lab ids are DNS labels), so a crafted
// request cannot reach outside the clusters or labs folders.
import type { LabCatalogueParams, LabClusterRef, LabRef, LabSolutionParams, Reply } from '../../contract'
import { ok, rpcError } from '../../contract'

type Fields = Record<string, unknown>

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

class Bad extends Error {}

function fields(request: string, raw: unknown): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Bad(`${request} takes an object of params`)
  return raw as Fields
}

function name(request: string, f: Fields, key: string): string {
  const v = f[key]
  if (typeof v !== 'string' || !NAME_RE.test(v)) throw new Bad(`${request}: ${key} must be a lower-case name (letters, digits and -), got ${JSON.stringify(v)}`)
  return v
}

function parsing<T>(fn: () => T): Reply<T> {
  try {
    return ok(fn())
  } catch (e) {
    if (e instanceof Bad) return rpcError('bad_params', e.message)
    throw e
  }
}

export function parseCatalogue(raw: unknown): Reply<LabCatalogueParams> {
  return parsing(() => {
    if (raw === undefined || raw === null) return { cluster: null }
    const f = fields('labs.catalogue', raw)
    return { cluster: f.cluster === undefined || f.cluster === null || f.cluster === '' ? null : name('labs.catalogue', f, 'cluster') }
  })
}

export function parseLabRef(request: string): (raw: unknown) => Reply<LabRef> {
  return (raw) =>
    parsing(() => {
      const f = fields(request, raw)
      return { cluster: name(request, f, 'cluster'), lab: name(request, f, 'lab') }
    })
}

export function parseClusterRef(request: string): (raw: unknown) => Reply<LabClusterRef> {
  return (raw) => parsing(() => ({ cluster: name(request, fields(request, raw), 'cluster') }))
}

export function parseSolution(raw: unknown): Reply<LabSolutionParams> {
  return parsing(() => {
    const f = fields('labs.solution', raw)
    if (f.run !== undefined && typeof f.run !== 'boolean') throw new Bad(`labs.solution: run must be true or false, got ${JSON.stringify(f.run)}`)
    return { cluster: name('labs.solution', f, 'cluster'), lab: name('labs.solution', f, 'lab'), run: f.run === true }
  })
}
