// Validation of what crosses the contract into the lab service (the backend's kit, ../params.ts):
// the dispatcher returns `bad_params` with a message naming the field. Names are checked against
// the same shapes the CLI accepts (cluster names and lab ids are DNS labels), so a crafted
// request cannot reach outside the clusters or labs folders.
import type { LabCatalogueParams, LabClusterRef, LabRef, LabSolutionParams, Reply } from '../../contract'
import { ok } from '../../contract'
import { dnsName, ParamError, parseObject } from '../params'

export function parseCatalogue(raw: unknown): Reply<LabCatalogueParams> {
  if (raw === undefined || raw === null) return ok({ cluster: null })
  return parseObject('labs.catalogue', raw, (f) => ({
    cluster: f.cluster === undefined || f.cluster === null || f.cluster === '' ? null : dnsName('labs.catalogue', f, 'cluster'),
  }))
}

export function parseLabRef(request: string): (raw: unknown) => Reply<LabRef> {
  return (raw) => parseObject(request, raw, (f) => ({ cluster: dnsName(request, f, 'cluster'), lab: dnsName(request, f, 'lab') }))
}

export function parseClusterRef(request: string): (raw: unknown) => Reply<LabClusterRef> {
  return (raw) => parseObject(request, raw, (f) => ({ cluster: dnsName(request, f, 'cluster') }))
}

export function parseSolution(raw: unknown): Reply<LabSolutionParams> {
  const request = 'labs.solution'
  return parseObject(request, raw, (f) => {
    if (f.run !== undefined && typeof f.run !== 'boolean') throw new ParamError(`${request}: run must be true or false, got ${JSON.stringify(f.run)}`)
    return { cluster: dnsName(request, f, 'cluster'), lab: dnsName(request, f, 'lab'), run: f.run === true }
  })
}
