// GET of one object and of collections (with selectors, pagination and Table output).
import type { ApiRequest, ApiResponse } from '../exchange'
import { fieldErr } from '../../api/errors'
import type { KubeObject } from '../../api/object'
import { apiVersionOf, type ResourceInfo } from '../../api/resources'
import { toTable } from '../../api/tables'
import { StoreError, isKeyRevisionReader, type KeyValue } from '../../store/types'
import type { ServerContext } from '../context'
import type { ResourceRequest } from '../request'
import { negotiated } from '../negotiate'
import { sendJson, sendJsonParts, sendJsonText } from '../respond'
import type { Encoded } from '../cache/watch-cache'
import { collectionPrefix, storageKey } from '../registry/objects'
import { ApiError, errors, failure } from '../status'
import { filterFromQuery } from './filters'
import { withTypeMeta } from '../type-meta'

type IncludeObject = 'None' | 'Metadata' | 'Object'

export function includeObjectParam(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject')
  return v === 'None' || v === 'Object' ? v : 'Metadata'
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

/** How long a read waits for the store to reach a resourceVersion (upstream's watch cache blockTimeout). */
const FRESHNESS_WAIT_MS = 3000

/**
 * A get or list "not older than" a resourceVersion the store has not reached waits up to 3 s for
 * it, then is upstream's 504 "Too large resource version" (retry after 1 s) rather than an
 * answer older than the caller asked for. Exact lists and continuations fail at once (listObjects).
 */
async function waitUntilFresh(ctx: ServerContext, q: URLSearchParams): Promise<void> {
  const raw = q.get('resourceVersion') ?? ''
  if (!/^\d+$/.test(raw)) return
  const wanted = Number(raw)
  const deadline = Date.now() + FRESHNESS_WAIT_MS
  while (ctx.store.revision() < wanted) {
    if (Date.now() >= deadline) throw errors.tooLargeResourceVersion(wanted, ctx.store.revision())
    await new Promise((r) => setTimeout(r, 50))
    // A read brings a remote store's (etcd's) idea of the current revision up to date.
    await ctx.store.get('/kubelab/freshness')
  }
}

export async function handleGet(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  await waitUntilFresh(ctx, query)
  const kv = await ctx.store.get(storageKey(request.res, request.namespace, request.name!))
  if (!kv) throw errors.notFound(request.res, request.name!)
  const enc = ctx.cache.encoded(request.res, kv)
  const want = negotiated(req)
  if (want.as === 'PartialObjectMetadataList') throw notListError(want.as, request.res, false)
  if (want.as === 'PartialObjectMetadata') return sendJson(req, res, 200, asPartialObjectMetadata(ctx.cache.object(request.res, enc), want.version))
  if (want.as === 'Table') {
    const obj = ctx.cache.object(request.res, enc)
    sendJson(req, res, 200, toTable(request.res, [obj], { now: ctx.now(), includeObject: includeObjectParam(query), resourceVersion: String(kv.modRevision) }))
    return
  }
  sendJsonText(req, res, 200, enc.json)
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

/**
 * Integer list options as Go's parameter codec reads them (strconv.ParseInt, base 10, 64 bits):
 * anything else is a 400 with its error, never silently "no limit".
 */
export function checkIntegerListOptions(query: URLSearchParams): void {
  for (const name of ['limit', 'timeoutSeconds']) {
    const raw = query.get(name)
    if (raw === null || raw === '') continue
    if (!/^[+-]?\d+$/.test(raw)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`)
    const n = BigInt(raw)
    if (n > 9223372036854775807n || n < -9223372036854775808n) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`)
  }
}

export async function listObjects(ctx: ServerContext, request: ResourceRequest, query: URLSearchParams): Promise<ListResult> {
  checkIntegerListOptions(query)
  const { filter } = filterFromQuery(request.res, query)
  const limit = Math.max(0, Number(query.get('limit') ?? 0) || 0)
  const cont = query.get('continue')
  const token = cont ? decodeContinue(cont) : undefined
  let revision: number | undefined = token?.rv
  const rvParam = query.get('resourceVersion')
  if (!token && rvParam && query.get('resourceVersionMatch') === 'Exact') revision = Number(rvParam)
  let listed
  try {
    listed = await ctx.objects.list(request.res, request.namespace, { revision, startAfter: token?.start })
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
    items.push(withTypeMeta(request.res, s.obj))
    lastKey = s.kv.key
  }
  return {
    items,
    revision: listed.revision,
    continue: more && lastKey ? encodeContinue({ rv: listed.revision, start: lastKey }) : undefined,
  }
}

/**
 * Every live object under `prefix`, encoded, at the latest revision: from the embedded store's
 * memory; from etcd, its keys and revisions (a keys-only range) with the values of only those
 * objects the cache does not hold encoded at that revision, read at the same revision (all of
 * them in one range when more than a quarter are missing).
 */
async function encodedNow(ctx: ServerContext, res: ResourceInfo, prefix: string): Promise<{ items: Encoded[]; revision: number }> {
  const now = ctx.cache.rangeNow(prefix)
  if (now) return { items: now.kvs.map((kv) => ctx.cache.encoded(res, kv)), revision: now.revision }
  const store = ctx.store
  if (!isKeyRevisionReader(store)) {
    const listed = await store.range(prefix)
    return { items: listed.kvs.map((kv) => ctx.cache.encoded(res, kv)), revision: listed.revision }
  }
  const { keys, revision } = await store.rangeRevisions(prefix)
  const items = keys.map((k) => ctx.cache.held(res, k.key, k.modRevision))
  const missing = keys.filter((_, i) => items[i] === undefined)
  if (missing.length === 0) return { items: items as Encoded[], revision }
  let kvs: readonly KeyValue[]
  try {
    kvs =
      missing.length > keys.length / 4
        ? (await store.range(prefix, { revision })).kvs
        : await store.getAt(
            missing.map((k) => k.key),
            revision,
          )
  } catch (e) {
    // Compacted in between: read everything at the latest revision instead.
    if (!(e instanceof StoreError && e.code === 'compacted')) throw e
    const listed = await store.range(prefix)
    return { items: listed.kvs.map((kv) => ctx.cache.encoded(res, kv)), revision: listed.revision }
  }
  const byKey = new Map(kvs.map((kv) => [kv.key, kv]))
  const out: Encoded[] = []
  for (let i = 0; i < keys.length; i++) {
    const kv = byKey.get(keys[i]!.key)
    const enc = items[i] ?? (kv && ctx.cache.encoded(res, kv))
    if (enc !== undefined) out.push(enc)
  }
  return { items: out, revision }
}

/**
 * A list served from the watch cache: the latest state (a list without resourceVersion, with
 * `0`, or not older than one: the store's latest is never older than a version it handed out),
 * each object's encoding shared. Lists at an exact revision and continuations read the store
 * at that revision (listObjects), as upstream reads etcd for them.
 */
async function listCached(ctx: ServerContext, r: ResourceRequest, q: URLSearchParams): Promise<{ items: Encoded[]; revision: number; continue?: string }> {
  const { matchesAttrs, trivial } = filterFromQuery(r.res, q)
  const limit = Math.max(0, Number(q.get('limit') ?? 0) || 0)
  const prefix = collectionPrefix(r.res, r.namespace)
  const listed = await encodedNow(ctx, r.res, prefix)
  const items: Encoded[] = []
  let more = false
  for (const enc of listed.items) {
    if (!trivial && !matchesAttrs(ctx.cache.attrs(r.res, enc))) continue
    if (limit && items.length === limit) {
      more = true
      break
    }
    items.push(enc)
  }
  const last = items[items.length - 1]
  return { items, revision: listed.revision, continue: more && last ? encodeContinue({ rv: listed.revision, start: last.key }) : undefined }
}

/** A list of every object of the collection: no selector, no limit. */
function wholeCollection(res: ResourceInfo, q: URLSearchParams): boolean {
  return filterFromQuery(res, q).trivial && !(Math.max(0, Number(q.get('limit') ?? 0) || 0) > 0)
}

export async function handleList(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  if (query.has('sendInitialEvents'))
    throw errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
      fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'),
    ])
  const want = negotiated(req)
  if (want.as === 'PartialObjectMetadata') throw notListError(want.as, request.res, true)
  checkIntegerListOptions(query)
  const fromCache = !query.get('continue') && !(query.get('resourceVersion') && query.get('resourceVersionMatch') === 'Exact')
  let out: ListResult
  if (fromCache) {
    await waitUntilFresh(ctx, query)
    const whole = want.as !== 'PartialObjectMetadataList' && want.as !== 'Table' && wholeCollection(request.res, query)
    const joined = whole ? ctx.cache.joinedNow(request.res, collectionPrefix(request.res, request.namespace)) : undefined
    if (joined) {
      // Every object, no selector, no limit: the collection's joined encodings, kept while it does not change.
      const head = JSON.stringify({
        kind: `${request.res.kind}List`,
        apiVersion: apiVersionOf(request.res),
        metadata: { resourceVersion: String(joined.revision) },
      })
      sendJsonParts(req, res, 200, [`${head.slice(0, -1)},"items":[`, joined.items, ']}'])
      return
    }
    const cached = await listCached(ctx, request, query)
    if (want.as !== 'PartialObjectMetadataList' && want.as !== 'Table') {
      // The list's JSON is put together from the objects' shared encodings, as JSON.stringify would write it.
      const metadata: Record<string, unknown> = { resourceVersion: String(cached.revision) }
      if (cached.continue) metadata.continue = cached.continue
      const head = JSON.stringify({ kind: `${request.res.kind}List`, apiVersion: apiVersionOf(request.res), metadata })
      sendJsonText(req, res, 200, `${head.slice(0, -1)},"items":[${cached.items.map((e) => e.json).join(',')}]}`)
      return
    }
    out = { items: cached.items.map((e) => ctx.cache.object(request.res, e)), revision: cached.revision, continue: cached.continue }
  } else {
    out = await listObjects(ctx, request, query)
  }
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
      toTable(request.res, out.items, {
        now: ctx.now(),
        includeObject: includeObjectParam(query),
        resourceVersion: String(out.revision),
        continue: out.continue,
      }),
    )
    return
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(out.revision) }
  if (out.continue) metadata.continue = out.continue
  sendJson(req, res, 200, { kind: `${request.res.kind}List`, apiVersion: apiVersionOf(request.res), metadata, items: out.items })
}
