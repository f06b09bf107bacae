// GET of one object and of collections (with selectors, pagination and Table output).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fieldErr, type KubeObject } from '../../api/errors'
import { apiVersionOf, type ResourceInfo } from '../../api/resources'
import { toTable } from '../../api/tables'
import { StoreError } from '../../store/types'
import type { ServerContext } from '../context'
import type { ResourceRequest } from '../request'
import { negotiated } from '../negotiate'
import { sendJson } from '../respond'
import { ApiError, errors, failure } from '../status'
import { withGoShape } from '../../api/go-shape'
import { filterFromQuery } from './filters'

type IncludeObject = 'None' | 'Metadata' | 'Object'

export function includeObjectParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject')
  return v === 'None' || v === 'Object' ? v : 'Metadata'
}

/** Fill apiVersion/kind, which are not always stored (e.g. objects written by older code). */
export function withTypeMeta(res: ResourceInfo, obj: KubeObject): KubeObject {
  return withGoShape(res.group, res.kind, { apiVersion: apiVersionOf(res), kind: res.kind, ...obj })
}

/** An object as client-go's metadata client asks for it: only its ObjectMeta. */
export function asPartialObjectMetadata(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} }
}

function notListError(asked: string, res: ResourceInfo, isList: boolean): ApiError {
  const goType = `*${res.version}.${res.kind}${isList ? 'List' : ''}`
  return failure(
    406,
    'NotAcceptable',
    isList
      ? `you requested ${asked}, but the requested object is a list (${goType})`
      : `you requested ${asked}, but the requested object is not a list (${goType})`,
  )
}

export async function handleGet(ctx: ServerContext, r: ResourceRequest, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  const stored = await ctx.objects.mustGet(r.res, r.namespace, r.name!)
  const obj = withTypeMeta(r.res, stored.obj)
  const want = negotiated(req)
  if (want.as === 'PartialObjectMetadataList') throw notListError(want.as, r.res, false)
  if (want.as === 'PartialObjectMetadata') return sendJson(req, res, 200, asPartialObjectMetadata(obj, want.version))
  if (want.as === 'Table') {
    sendJson(req, res, 200, toTable(r.res, [obj], { now: ctx.now(), includeObject: includeObjectParam(q), resourceVersion: String(stored.kv.modRevision) }))
    return
  }
  sendJson(req, res, 200, obj)
}

interface ContinueToken {
  rv: number
  start: string
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url')
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ContinueToken
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token')
    return t
  } catch {
    throw errors.badRequest('the provided continue parameter is not valid: start the list again without "continue"')
  }
}

export interface ListResult {
  items: KubeObject[]
  revision: number
  continue?: string
  remaining?: number
}

export async function listObjects(ctx: ServerContext, r: ResourceRequest, q: URLSearchParams): Promise<ListResult> {
  const { filter } = filterFromQuery(r.res, q)
  const limit = Math.max(0, Number(q.get('limit') ?? 0) || 0)
  const cont = q.get('continue')
  const token = cont ? decodeContinue(cont) : undefined
  let revision: number | undefined = token?.rv
  const rvParam = q.get('resourceVersion')
  if (!token && rvParam && q.get('resourceVersionMatch') === 'Exact') revision = Number(rvParam)
  let listed
  try {
    listed = await ctx.objects.list(r.res, r.namespace, { revision, startAfter: token?.start })
  } catch (e) {
    // A revision this store has not reached (a token from another cluster, or made up): 504 as upstream, not a 500.
    if (e instanceof StoreError && e.code === 'too-large') throw errors.tooLargeResourceVersion(revision ?? 0, ctx.store.revision())
    if (e instanceof StoreError && e.code === 'compacted') {
      throw token
        ? errors.expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          )
        : errors.expired(`too old resource version: ${revision} (${e.compactRevision ?? 0})`)
    }
    throw e
  }
  const items: KubeObject[] = []
  let lastKey: string | undefined
  let more = false
  for (const s of listed.items) {
    if (!filter(s.obj)) continue
    if (limit && items.length === limit) {
      more = true
      break
    }
    items.push(withTypeMeta(r.res, s.obj))
    lastKey = s.kv.key
  }
  return {
    items,
    revision: listed.revision,
    continue: more && lastKey ? encodeContinue({ rv: listed.revision, start: lastKey }) : undefined,
  }
}

export async function handleList(ctx: ServerContext, r: ResourceRequest, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  if (q.has('sendInitialEvents'))
    throw errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
      fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'),
    ])
  const want = negotiated(req)
  if (want.as === 'PartialObjectMetadata') throw notListError(want.as, r.res, true)
  const out = await listObjects(ctx, r, q)
  if (want.as === 'PartialObjectMetadataList') {
    const metadata: Record<string, unknown> = { resourceVersion: String(out.revision) }
    if (out.continue) metadata.continue = out.continue
    sendJson(req, res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${want.version}`,
      metadata,
      items: out.items.map((o) => asPartialObjectMetadata(o, want.version)),
    })
    return
  }
  if (want.as === 'Table') {
    sendJson(
      req,
      res,
      200,
      toTable(r.res, out.items, { now: ctx.now(), includeObject: includeObjectParam(q), resourceVersion: String(out.revision), continue: out.continue }),
    )
    return
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(out.revision) }
  if (out.continue) metadata.continue = out.continue
  sendJson(req, res, 200, { kind: `${r.res.kind}List`, apiVersion: apiVersionOf(r.res), metadata, items: out.items })
}
