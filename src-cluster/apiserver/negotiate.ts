// Output negotiation from the Accept header, as upstream's: clauses are tried in order and the
// first one the server can answer wins. `as=Table` and `as=PartialObjectMetadata[List]` with
// g=meta.k8s.io ask for a converted answer; protobuf clauses are skipped (we answer JSON).
import type { ApiRequest } from './exchange'

export type Transform = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList'

export interface Negotiated {
  /** Converted output asked for, or undefined for the object itself. */
  readonly as?: Transform
  /** The meta.k8s.io version of the converted output. */
  readonly version: string
}

const PLAIN = new Set(['application/json', '*/*', 'application/*', 'application/yaml'])

export function negotiate(accept: string | undefined): Negotiated {
  if (!accept || !accept.trim()) return { version: 'v1' }
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim())
    const p = new Map(
      params.map((kv) => {
        const i = kv.indexOf('=')
        return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const
      }),
    )
    if (type !== 'application/json' && type !== 'application/yaml') {
      if (PLAIN.has(type ?? '') && !p.get('as')) return { version: 'v1' }
      continue
    }
    const as = p.get('as')
    if (!as) return { version: 'v1' }
    if (p.get('g') !== 'meta.k8s.io') continue
    const v = p.get('v') ?? ''
    if (v !== 'v1' && v !== 'v1beta1') continue
    if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as, version: v }
  }
  return { version: 'v1' }
}

export function negotiated(req: ApiRequest): Negotiated {
  return negotiate(req.headers.accept)
}
