// Watch streams: newline-delimited JSON events over a chunked response, starting from a
// resourceVersion, filtered per event (an object that stops matching arrives as DELETED),
// with bookmarks on request and the 410 Expired ERROR event when history is gone.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { KubeObject } from '../../api/object'
import { apiVersionOf } from '../../api/resources'
import { toTable } from '../../api/tables'
import type { StoreError, WatchEvent, Watcher } from '../../store/types'
import { queryBool } from '../../util/query'
import type { ServerContext } from '../context'
import { collectionPrefix } from '../registry/objects'
import type { Encoded } from '../cache/watch-cache'
import type { ResourceRequest } from '../request'
import { negotiated } from '../negotiate'
import { ApiError, errors } from '../status'
import { fieldErr, type FieldError } from '../../api/errors'
import { filterFromQuery } from './filters'
import { asPartialObjectMetadata, includeObjectParam } from './read'
import { WATCH_OBJECT_MARK, WATCH_OBJECTS_HEADER, watchObjectSink } from '../../client/in-process'

const BOOKMARK_INTERVAL_MS = 60_000

/**
 * sendInitialEvents/resourceVersionMatch of a watch, checked as upstream's ListOptions
 * validation does. Returns the sendInitialEvents value, or undefined when not sent.
 */
export function watchListParams(query: URLSearchParams): boolean | undefined {
  const send = query.has('sendInitialEvents') ? queryBool(query, 'sendInitialEvents') : undefined
  const match = query.get('resourceVersionMatch') ?? ''
  const errs: FieldError[] = []
  if (send !== undefined && match !== 'NotOlderThan')
    errs.push(fieldErr.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'))
  if (match !== '') {
    if (send === undefined)
      errs.push(fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'))
    if (match !== 'NotOlderThan') errs.push(fieldErr.notSupported('resourceVersionMatch', match, ['NotOlderThan']))
    if (send === false && (query.get('resourceVersion') ?? '') === '')
      errs.push(fieldErr.forbidden('resourceVersion', 'sendInitialEvents is forbidden when resourceVersion is unset and sendInitialEvents is false'))
  }
  if (errs.length) throw listOptionsInvalid(errs)
  return send
}

export function listOptionsInvalid(errs: readonly FieldError[]): ApiError {
  return errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs)
}
/** A client this far behind is cut off; it re-lists, as with upstream's slow watchers. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024
/** The same bound for an in-process client's objects handed over (see WATCH_OBJECTS_HEADER). */
const MAX_HANDED_OBJECTS = 100_000

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

/**
 * A watch always ends: after the client's timeoutSeconds, or else after a random 30–60 minutes
 * (upstream's --min-request-timeout of 1800 s times 1–2, which spreads reconnects out); clients
 * then watch again from their last resourceVersion.
 */
export const MIN_REQUEST_TIMEOUT_SECONDS = 1800

function watchTimeoutSeconds(raw: string | null): number {
  if (raw === null || raw === '') return MIN_REQUEST_TIMEOUT_SECONDS * (1 + Math.random())
  if (!/^\d+$/.test(raw)) throw errors.badRequest(`timeoutSeconds must be a whole number of seconds (0 or more), got ${JSON.stringify(raw)}`)
  const n = Number(raw)
  return n === 0 ? MIN_REQUEST_TIMEOUT_SECONDS * (1 + Math.random()) : n
}

export async function handleWatch(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const { matchesAttrs, trivial } = filterFromQuery(request.res, query, request.name)
  const rvParam = query.get('resourceVersion') ?? ''
  if (rvParam !== '' && !/^\d+$/.test(rvParam))
    throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(rvParam)}: use a resourceVersion from a list or an object`)
  const want = negotiated(req)
  const table = want.as === 'Table'
  const partial = want.as === 'PartialObjectMetadata' || want.as === 'PartialObjectMetadataList'
  const includeObject = includeObjectParam(query)
  const timeoutSeconds = watchTimeoutSeconds(query.get('timeoutSeconds'))
  const bookmarks = queryBool(query, 'allowWatchBookmarks')
  const watchList = watchListParams(query)

  // The initial state, for "from now" watches and watch-list: one list at a revision, then
  // changes after it. (For watch-list with a resourceVersion N, the latest state is >= N.)
  let after: number
  let initial: Encoded[] = []
  const cache = ctx.cache
  const matches = (e: Encoded): boolean => trivial || matchesAttrs(cache.attrs(request.res, e))
  if (watchList === true || (watchList === undefined && (rvParam === '' || rvParam === '0'))) {
    const prefix = collectionPrefix(request.res, request.namespace)
    const listed = cache.rangeNow(prefix) ?? (await ctx.store.range(prefix))
    after = listed.revision
    initial = listed.kvs.map((kv) => cache.encoded(request.res, kv)).filter(matches)
  } else {
    after = Number(rvParam)
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
  res.flushHeaders()
  ctx.openStreams.add(res)
  let columnsSent = false
  let lastRevision = after
  let closed = false

  const write = (type: EventType, object: unknown): void => {
    if (closed) return
    let out = object
    if (partial && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) out = asPartialObjectMetadata(object as KubeObject, want.version)
    if (table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const rv = String((object as KubeObject).metadata?.resourceVersion ?? '')
      const t = toTable(request.res, [object as KubeObject], { now: ctx.now(), includeObject, resourceVersion: rv, withColumns: !columnsSent })
      columnsSent = true
      out = t
    }
    res.write(JSON.stringify({ type, object: out }) + '\n')
    if (res.writableLength > MAX_BUFFERED_BYTES) tooSlow()
  }
  function tooSlow(): void {
    const st = errors.expired('the watch client is too slow to keep up; list again and restart the watch').status
    res.write(JSON.stringify({ type: 'ERROR', object: st }) + '\n')
    finish()
  }

  // An in-process client that shares what it gets (an informer) is handed the parsed object
  // itself, the one every watcher of this event and the selectors read (WATCH_OBJECTS_HEADER).
  const sink = !partial && !table && req.headers[WATCH_OBJECTS_HEADER] === '1' ? watchObjectSink(req.socket, res) : undefined

  /** An object event: the shared encoding as is, unless a Table or metadata-only form was asked for. */
  const emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED', e: Encoded): void => {
    if (partial || table) return write(type, cache.object(request.res, e))
    if (closed) return
    if (sink) {
      const waiting = sink(cache.object(request.res, e))
      res.write(`${WATCH_OBJECT_MARK}${type}\n`)
      if (waiting > MAX_HANDED_OBJECTS) tooSlow()
      return
    }
    res.write(`{"type":"${type}","object":${e.json}}\n`)
    if (res.writableLength > MAX_BUFFERED_BYTES) tooSlow()
  }

  // A bookmark carries the store's progress for this watch (every revision up to it handed over,
  // events or not), so a client of a quiet resource resumes within the store's history window,
  // as upstream's watch cache moves bookmarks on.
  const bookmark = (): void => {
    const rv = Math.max(lastRevision, watcher?.progress?.() ?? 0)
    write('BOOKMARK', { kind: request.res.kind, apiVersion: apiVersionOf(request.res), metadata: { resourceVersion: String(rv) } })
  }

  let watcher: Watcher | undefined
  const timers: NodeJS.Timeout[] = []
  function finish(): void {
    if (closed) return
    closed = true
    watcher?.cancel()
    for (const t of timers) clearTimeout(t)
    ctx.openStreams.delete(res)
    res.end()
  }
  req.on('close', finish)
  res.on('close', finish)

  for (const e of initial) emit('ADDED', e)
  // Watch-list: a bookmark marks the end of the initial events (client-go waits for it).
  if (watchList === true && bookmarks) {
    write('BOOKMARK', {
      kind: partial ? 'PartialObjectMetadata' : request.res.kind,
      apiVersion: partial ? `meta.k8s.io/${want.version}` : apiVersionOf(request.res),
      metadata: {
        resourceVersion: String(after),
        annotations: {
          'k8s.io/initial-events-end': 'true',
          'kubernetes.io/initial-events-list-blueprint': Buffer.from(
            JSON.stringify({ kind: `${request.res.kind}List`, apiVersion: apiVersionOf(request.res), metadata: {}, items: [] }),
          ).toString('base64'),
        },
      },
    })
  }

  const onEvents = (events: readonly WatchEvent[], revision: number): void => {
    for (const ev of events) {
      if (closed) return
      if (ev.type === 'delete') {
        if (ev.prevKv && (trivial || matches(cache.encoded(request.res, ev.prevKv)))) emit('DELETED', cache.deleted(request.res, ev))
        continue
      }
      const now = cache.encoded(request.res, ev.kv)
      const matchNow = matches(now)
      const matchPrev = ev.prevKv ? trivial || matches(cache.encoded(request.res, ev.prevKv)) : false
      if (matchNow && matchPrev) emit('MODIFIED', now)
      else if (matchNow) emit('ADDED', now)
      else if (matchPrev) emit('DELETED', now)
    }
    lastRevision = revision
  }
  const onError = (err: StoreError): void => {
    if (err.code === 'compacted') {
      write('ERROR', errors.expired(`too old resource version: ${after} (${err.compactRevision ?? 0})`).status)
    }
    finish()
  }
  watcher = ctx.store.watch(collectionPrefix(request.res, request.namespace), { afterRevision: after }, onEvents, onError)

  {
    timers.push(
      setTimeout(() => {
        if (bookmarks) bookmark()
        finish()
      }, timeoutSeconds * 1000),
    )
  }
  if (bookmarks) {
    const tick = (): void => {
      if (closed) return
      bookmark()
      timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS))
    }
    timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS))
  }
}
