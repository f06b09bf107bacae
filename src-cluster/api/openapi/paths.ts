// paths of an OpenAPI v3 document: collection, item and subresource paths of each resource with
// the operations its verbs allow. kubectl reads the PATCH operations (their
// x-kubernetes-group-version-kind, their fieldValidation parameter and their request content
// types) to decide how to validate and patch.
import type { ResourceInfo } from '../resources'
import type { JsonSchema } from './schemas'

type Gvk = { group: string; version: string; kind: string }

const CONTENT = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']
export const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]
const PATCH_SCHEMA = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch'

function q(name: string, description: string, type = 'string'): JsonSchema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } }
}
const P = {
  pretty: q('pretty', "If 'true', the output is pretty printed."),
  dryRun: q('dryRun', "When present (value 'All'), the request is checked and answered but not persisted."),
  fieldManager: q('fieldManager', 'Name of the actor making the change, recorded in managedFields.'),
  fieldValidation: q(
    'fieldValidation',
    'What to do with unknown or duplicate fields in the body: Ignore (drop them), Warn (drop them and answer a warning), Strict (reject the request).',
  ),
  force: q('force', 'Apply requests only: take ownership of fields managed by others.', 'boolean'),
  labelSelector: q('labelSelector', 'Only objects whose labels match this selector.'),
  fieldSelector: q('fieldSelector', 'Only objects whose fields match this selector.'),
  limit: q('limit', 'Maximum number of objects in one list response.', 'integer'),
  continue: q('continue', 'Token from a previous list response to get the next page.'),
  resourceVersion: q('resourceVersion', 'Which version of the data the request may be served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'How resourceVersion applies to list calls.'),
  timeoutSeconds: q('timeoutSeconds', 'Time limit of the list or watch call.', 'integer'),
  watch: q('watch', 'Stream changes as add, update and remove events.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'Allow BOOKMARK events in the watch stream.', 'boolean'),
  sendInitialEvents: q('sendInitialEvents', 'Start a watch with synthetic events for the current state.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'Seconds before the object is deleted; 0 deletes at once.', 'integer'),
  propagationPolicy: q('propagationPolicy', 'Whether and how dependents are garbage collected: Orphan, Background or Foreground.'),
  orphanDependents: q('orphanDependents', 'Deprecated: use propagationPolicy.', 'boolean'),
}
function pathParam(name: string, description: string): JsonSchema {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } }
}

function contentOf(ref: string): JsonSchema {
  const content: Record<string, JsonSchema> = {}
  for (const c of CONTENT) content[c] = { schema: { $ref: `#/components/schemas/${ref}` } }
  return content
}

function responses(ref: string, codes: string[]): JsonSchema {
  const out: Record<string, JsonSchema> = {}
  const text: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' }
  for (const c of codes) out[c] = { description: text[c], content: contentOf(ref) }
  out['401'] = { description: 'Unauthorized' }
  return out
}

/** "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core". */
function groupWord(group: string): string {
  if (!group) return 'Core'
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')
}

export interface PathContext {
  res: ResourceInfo
  /** Schema names for the kind, its list, Scale (if any), Status and DeleteOptions (if present). */
  kindSchema: string
  listSchema: string
  scaleSchema?: string
  scaleGvk?: Gvk
  statusSchema?: string
  deleteOptionsSchema?: string
}

export function resourcePaths(ctx: PathContext): Record<string, JsonSchema> {
  const { res } = ctx
  const verbs = new Set(res.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'])
  const prefix = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`
  const coll = res.namespaced ? `${prefix}/namespaces/{namespace}/${res.plural}` : `${prefix}/${res.plural}`
  const gvk: Gvk = { group: res.group, version: res.version, kind: res.kind }
  const tag = `${res.group ? groupWord(res.group).charAt(0).toLowerCase() + groupWord(res.group).slice(1) : 'core'}_${res.version}`
  const word = `${groupWord(res.group)}${res.version.charAt(0).toUpperCase()}${res.version.slice(1)}`
  const ns = res.namespaced ? 'Namespaced' : ''
  const common = res.namespaced ? [pathParam('namespace', 'Object name and auth scope, for namespaced resources.'), P.pretty] : [P.pretty]
  const itemCommon = [pathParam('name', `Name of the ${res.kind}.`), ...common]
  const statusRef = ctx.statusSchema ?? ctx.kindSchema

  const op = (action: string, id: string, desc: string, extra: JsonSchema, g: Gvk = gvk): JsonSchema => ({
    tags: [tag],
    description: desc,
    operationId: id,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { ...g },
  })
  const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation]
  const body = (ref: string): JsonSchema => ({ content: { '*/*': { schema: { $ref: `#/components/schemas/${ref}` } } }, required: true })
  // Custom resources take no strategic merge patch: kubectl then sends merge patches.
  const patchTypes = res.dynamic ? PATCH_TYPES.filter((t) => !t.includes('strategic')) : PATCH_TYPES
  const patchBody: JsonSchema = {
    content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { $ref: `#/components/schemas/${PATCH_SCHEMA}` } }])),
    required: true,
  }
  const deleteBody: JsonSchema | undefined = ctx.deleteOptionsSchema
    ? { content: { '*/*': { schema: { $ref: `#/components/schemas/${ctx.deleteOptionsSchema}` } } } }
    : undefined
  const listParams = [
    P.allowWatchBookmarks,
    P.continue,
    P.fieldSelector,
    P.labelSelector,
    P.limit,
    P.resourceVersion,
    P.resourceVersionMatch,
    P.sendInitialEvents,
    P.timeoutSeconds,
    P.watch,
  ]

  const paths: Record<string, JsonSchema> = {}
  const collection: JsonSchema = {}
  if (verbs.has('list'))
    collection.get = op('list', `list${word}${ns}${res.kind}`, `list or watch objects of kind ${res.kind}`, {
      parameters: listParams,
      responses: responses(ctx.listSchema, ['200']),
    })
  if (verbs.has('create')) {
    collection.post = op('post', `create${word}${ns}${res.kind}`, `create a ${res.kind}`, {
      parameters: writeParams,
      requestBody: body(ctx.kindSchema),
      responses: responses(ctx.kindSchema, ['200', '201', '202']),
    })
  }
  if (verbs.has('deletecollection')) {
    collection.delete = op('deletecollection', `delete${word}Collection${ns}${res.kind}`, `delete a collection of ${res.kind}`, {
      parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy, P.orphanDependents, ...listParams.filter((p) => p !== P.watch)],
      ...(deleteBody ? { requestBody: deleteBody } : {}),
      responses: responses(statusRef, ['200']),
    })
  }
  if (Object.keys(collection).length) paths[coll] = { ...collection, parameters: common }

  const item: JsonSchema = {}
  if (verbs.has('get')) item.get = op('get', `read${word}${ns}${res.kind}`, `read the specified ${res.kind}`, { responses: responses(ctx.kindSchema, ['200']) })
  if (verbs.has('update')) {
    item.put = op('put', `replace${word}${ns}${res.kind}`, `replace the specified ${res.kind}`, {
      parameters: writeParams,
      requestBody: body(ctx.kindSchema),
      responses: responses(ctx.kindSchema, ['200', '201']),
    })
  }
  if (verbs.has('delete')) {
    item.delete = op('delete', `delete${word}${ns}${res.kind}`, `delete a ${res.kind}`, {
      parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy, P.orphanDependents],
      ...(deleteBody ? { requestBody: deleteBody } : {}),
      responses: responses(statusRef, ['200', '202']),
    })
  }
  if (verbs.has('patch')) {
    item.patch = op('patch', `patch${word}${ns}${res.kind}`, `partially update the specified ${res.kind}`, {
      parameters: [...writeParams, P.force],
      requestBody: patchBody,
      responses: responses(ctx.kindSchema, ['200', '201']),
    })
  }
  if (Object.keys(item).length) paths[`${coll}/{name}`] = { ...item, parameters: itemCommon }

  for (const sub of res.subresources ?? []) {
    let ref: string
    let g: Gvk
    if (sub.name === 'status') {
      ref = ctx.kindSchema
      g = gvk
    } else if (sub.name === 'scale' && ctx.scaleSchema && ctx.scaleGvk) {
      ref = ctx.scaleSchema
      g = ctx.scaleGvk
    } else continue
    const cap = sub.name.charAt(0).toUpperCase() + sub.name.slice(1)
    const s: JsonSchema = {}
    const sv = new Set(sub.verbs)
    if (sv.has('get'))
      s.get = op('get', `read${word}${ns}${res.kind}${cap}`, `read ${sub.name} of the specified ${res.kind}`, { responses: responses(ref, ['200']) }, g)
    if (sv.has('update')) {
      s.put = op(
        'put',
        `replace${word}${ns}${res.kind}${cap}`,
        `replace ${sub.name} of the specified ${res.kind}`,
        {
          parameters: writeParams,
          requestBody: body(ref),
          responses: responses(ref, ['200', '201']),
        },
        g,
      )
    }
    if (sv.has('patch')) {
      s.patch = op(
        'patch',
        `patch${word}${ns}${res.kind}${cap}`,
        `partially update ${sub.name} of the specified ${res.kind}`,
        {
          parameters: [...writeParams, P.force],
          requestBody: patchBody,
          responses: responses(ref, ['200', '201']),
        },
        g,
      )
    }
    paths[`${coll}/{name}/${sub.name}`] = { ...s, parameters: itemCommon }
  }

  if (res.namespaced && verbs.has('list')) {
    paths[`${prefix}/${res.plural}`] = {
      get: op('list', `list${word}${res.kind}ForAllNamespaces`, `list or watch objects of kind ${res.kind} in all namespaces`, {
        parameters: listParams,
        responses: responses(ctx.listSchema, ['200']),
      }),
      parameters: [P.pretty],
    }
  }
  return paths
}

export const PATCH_COMPONENT: [string, JsonSchema] = [
  PATCH_SCHEMA,
  { description: 'A patch document; its format is given by the request Content-Type.', type: 'object' },
]
