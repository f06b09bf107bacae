// OpenAPI v3 documents, one per group-version, generated from the resource table and the schema.
// kubectl uses them for explain, for strict field validation (the fieldValidation parameter) and
// to build strategic merge patches in apply/edit (x-kubernetes-patch-* on lists).
import { createHash } from 'node:crypto'
import { allResources, resourcesGeneration, type ResourceInfo } from '../resources'
import { structForKind } from '../schema/index'
import type { Struct } from '../schema/dsl'
import { listStructFor } from '../schema/lists'
import { reachableStructs, registryLookup, type Lookup } from '../schema/walk'
import { PATCH_COMPONENT, resourcePaths } from './paths'
import { SPECIAL_COMPONENTS, structSchema, type JsonSchema } from './schemas'

type KindFinder = (group: string, version: string, kind: string) => Struct | undefined

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.'

/** "api/v1" or "apis/apps/v1". */
export function gvKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`
}

function tryLookup(lookup: Lookup, name: string): Struct | undefined {
  try {
    return lookup(name)
  } catch {
    return undefined
  }
}

/** Builds the document of one group-version from the given resources (all of that group-version). */
export function buildOpenapiV3Document(
  group: string,
  version: string,
  resources: readonly ResourceInfo[],
  lookup: Lookup = registryLookup,
  forKind: KindFinder = structForKind,
): JsonSchema {
  const extra = new Map<string, Struct>() // generated structs (lists) not in the registry
  const roots: string[] = []
  const look: Lookup = (name) => extra.get(name) ?? lookup(name)
  let paths: Record<string, JsonSchema> = {}
  const status = tryLookup(lookup, META + 'Status')
  const deleteOptions = tryLookup(lookup, META + 'DeleteOptions')
  if (status) roots.push(status.name)
  if (deleteOptions) roots.push(deleteOptions.name)

  const dynamicSchemas: Record<string, JsonSchema> = {}
  for (const res of resources) {
    if (res.dynamic) {
      // A custom resource: its schemas come from the CRD; meta types and Scale from ours.
      const doc = res.dynamic.openapi()
      if (!doc) continue
      Object.assign(dynamicSchemas, doc.schemas)
      roots.push(META + 'ObjectMeta', META + 'ListMeta')
      const scaleSub = res.subresources?.find((s) => s.name === 'scale')
      const sc = scaleSub?.kind ? forKind(scaleSub.kind.group, scaleSub.kind.version, scaleSub.kind.kind) : undefined
      if (sc) roots.push(sc.name)
      paths = {
        ...paths,
        ...resourcePaths({
          res,
          kindSchema: doc.kindSchema,
          listSchema: doc.listSchema,
          scaleSchema: sc?.name,
          scaleGvk: scaleSub?.kind,
          statusSchema: status?.name,
          deleteOptionsSchema: deleteOptions?.name,
        }),
      }
      continue
    }
    const kindStruct = tryLookup(lookup, res.schema)
    if (!kindStruct) continue
    const listStruct = listStructFor(kindStruct)
    extra.set(listStruct.name, listStruct)
    roots.push(kindStruct.name, listStruct.name)
    let scaleSchema: string | undefined
    const scaleSub = res.subresources?.find((s) => s.name === 'scale')
    if (scaleSub?.kind) {
      const sc = forKind(scaleSub.kind.group, scaleSub.kind.version, scaleSub.kind.kind)
      if (sc) {
        scaleSchema = sc.name
        roots.push(sc.name)
      }
    }
    paths = {
      ...paths,
      ...resourcePaths({
        res,
        kindSchema: kindStruct.name,
        listSchema: listStruct.name,
        scaleSchema,
        scaleGvk: scaleSub?.kind,
        statusSchema: status?.name,
        deleteOptionsSchema: deleteOptions?.name,
      }),
    }
  }
  // A group-version served only for subresource bodies (autoscaling/v1 Scale) has no resources.
  if (resources.length === 0) {
    for (const name of scaleKindsOf(group, version, forKind)) roots.push(name)
  }

  const used = new Set<string>()
  const schemas: Record<string, JsonSchema> = {}
  for (const name of reachableStructs(roots, look).sort()) schemas[name] = structSchema(look(name), used)
  for (const kind of used) {
    const special = SPECIAL_COMPONENTS[kind as keyof typeof SPECIAL_COMPONENTS]
    if (special && !schemas[special[0]]) schemas[special[0]] = special[1]
  }
  schemas[PATCH_COMPONENT[0]] = PATCH_COMPONENT[1]
  Object.assign(schemas, dynamicSchemas)
  const sortedSchemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)))

  return {
    openapi: '3.0.0',
    info: { title: 'KubeLab', version: 'v1.32.4' },
    paths,
    components: { schemas: sortedSchemas },
  }
}

function scaleKindsOf(group: string, version: string, forKind: KindFinder): string[] {
  const names = new Set<string>()
  for (const res of allResources()) {
    for (const sub of res.subresources ?? []) {
      if (sub.kind && sub.kind.group === group && sub.kind.version === version) {
        const s = forKind(group, version, sub.kind.kind)
        if (s) names.add(s.name)
      }
    }
  }
  return [...names]
}

/** Every group-version key served: those of RESOURCES plus autoscaling/v1 (the Scale subresource). */
export function openapiV3Keys(): string[] {
  const keys: string[] = []
  const add = (k: string): void => {
    if (!keys.includes(k)) keys.push(k)
  }
  for (const r of allResources()) add(gvKey(r.group, r.version))
  add(gvKey('autoscaling', 'v1'))
  return keys
}

interface Built {
  json: string
  hash: string
}
let staticCache: Map<string, Built> | undefined
let cache: Map<string, Built> | undefined
let cacheGeneration = -1

function build(key: string): Built {
  const parts = key.split('/')
  const group = parts[0] === 'api' ? '' : parts[1]!
  const version = parts[parts.length - 1]!
  const resources = allResources().filter((r) => r.group === group && r.version === version)
  const json = JSON.stringify(buildOpenapiV3Document(group, version, resources))
  return { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() }
}

function buildAll(): Map<string, Built> {
  // Built-in group-versions are built once; those of custom resources again whenever the
  // resource registry changes (a CRD created, changed or deleted).
  if (cache && cacheGeneration === resourcesGeneration()) return cache
  const gen = resourcesGeneration()
  const dynamicKeys = new Set(
    allResources()
      .filter((r) => r.dynamic)
      .map((r) => gvKey(r.group, r.version)),
  )
  if (!staticCache) {
    staticCache = new Map()
    for (const key of openapiV3Keys()) if (!dynamicKeys.has(key)) staticCache.set(key, build(key))
  }
  const out = new Map<string, Built>()
  for (const key of openapiV3Keys()) out.set(key, dynamicKeys.has(key) ? build(key) : (staticCache.get(key) ?? build(key)))
  cache = out
  cacheGeneration = gen
  return out
}

/** The document for a key such as "api/v1" or "apis/apps/v1" (computed once, then cached). */
export function openapiV3Document(key: string): { json: string; hash: string } | undefined {
  return buildAll().get(key.replace(/^\/+|\/+$/g, ''))
}

/** The /openapi/v3 index: each group-version's document URL, with a content hash for caching. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const [key, doc] of buildAll()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` }
  return { paths }
}
