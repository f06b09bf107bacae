// A CustomResourceDefinition as entries of the resource registry: one ResourceInfo per served
// version, carrying the behaviour its schema gives (pruning, defaulting, validation, Tables,
// OpenAPI, the scale subresource's paths).
import type { DynamicBehaviour, ResourceInfo, SubresourceInfo } from '../resources'
import { customResourcePrinter } from './printer'
import { defaultObject, pruneObject } from './prune'
import type { CrdObject, CrdVersion, JSONSchemaProps } from './types'
import { validateAgainstSchema } from './validate'
import { hasRules, validateRules } from './cel-rules'
import { structsForSchema } from './structs'

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.'

/** Kube-aware version order (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > anything else by name). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!m) return undefined
    return [Number(m[1]), m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0, m[3] === undefined ? 0 : Number(m[3])]
  }
  const pa = parse(a)
  const pb = parse(b)
  if (pa && !pb) return -1
  if (!pa && pb) return 1
  if (!pa || !pb) return a.localeCompare(b)
  if (pa[1] !== pb[1]) return pb[1] - pa[1]
  if (pa[0] !== pb[0]) return pb[0] - pa[0]
  return pb[2] - pa[2]
}

/** "stable.example.com" → "com.example.stable", the prefix of OpenAPI definition names. */
function reverseGroup(group: string): string {
  return group.split('.').reverse().join('.')
}

const TYPE_META = {
  apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
  kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
}

function openapiFor(crd: CrdObject, v: CrdVersion, kindSchema: string, listSchema: string): Record<string, unknown> {
  const { group, names } = crd.spec
  const schema = structuredClone(v.schema?.openAPIV3Schema ?? { type: 'object' })
  const gvk = [{ group, kind: names.kind, version: v.name }]
  const kind: JSONSchemaProps = {
    ...schema,
    type: 'object',
    properties: {
      ...TYPE_META,
      metadata: { allOf: [{ $ref: `#/components/schemas/${META}ObjectMeta` }], description: "Standard object's metadata." },
      ...Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => k !== 'metadata' && k !== 'apiVersion' && k !== 'kind')),
    },
    'x-kubernetes-group-version-kind': gvk,
  }
  const list = {
    description: `${names.listKind ?? names.kind + 'List'} is a list of ${names.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      ...TYPE_META,
      items: { type: 'array', description: `List of ${names.plural}.`, items: { $ref: `#/components/schemas/${kindSchema}` } },
      metadata: { allOf: [{ $ref: `#/components/schemas/${META}ListMeta` }], description: 'Standard list metadata.' },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: names.listKind ?? `${names.kind}List`, version: v.name }],
  }
  return { [kindSchema]: kind, [listSchema]: list }
}

const STATUS_SUB: SubresourceInfo = { name: 'status', verbs: ['get', 'patch', 'update'] }
const SCALE_SUB: SubresourceInfo = { name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }
/** What discovery lists while a definition is being deleted. */
const TERMINATING_VERBS = ['delete', 'deletecollection', 'get', 'list', 'watch']

/** The served versions of an accepted CRD as registry entries (kube-aware order, preferred first). */
export function resourcesForCrd(crd: CrdObject, opts: { terminating: boolean }): ResourceInfo[] {
  const { spec } = crd
  const names = crd.status?.acceptedNames?.plural ? { ...spec.names, ...crd.status.acceptedNames } : spec.names
  const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]!.name
  const served = spec.versions.filter((v) => v.served).sort((a, b) => compareKubeVersions(a.name, b.name))
  return served.map((v) => {
    const schema: JSONSchemaProps = v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }
    const defName = `${reverseGroup(spec.group)}.${v.name}.${names.kind}`
    const listName = `${reverseGroup(spec.group)}.${v.name}.${names.listKind ?? names.kind + 'List'}`
    const subresources: SubresourceInfo[] = []
    if (v.subresources?.status) subresources.push(STATUS_SUB)
    if (v.subresources?.scale) subresources.push(SCALE_SUB)
    const rules = hasRules(schema)
    const lookup = structsForSchema(defName, schema, { group: spec.group, version: v.name, kind: names.kind })
    const dynamic: DynamicBehaviour = {
      lookup,
      owner: `crd:${crd.metadata?.name}`,
      storageVersion: storage,
      prune: (obj) => pruneObject(obj, schema),
      applyDefaults: (obj) => defaultObject(obj, schema),
      validate: (obj, old) => {
        const errs = validateAgainstSchema(obj, schema)
        if (!rules) return errs
        // As upstream: wrongly typed values block the rules (they would only add noise).
        if (errs.some((e) => e.type === 'FieldValueInvalid' && /in body must be of type/.test(e.detail ?? '')))
          return [
            ...errs,
            {
              type: 'FieldValueInvalid',
              field: '<nil>',
              badValue: null,
              detail: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
            },
          ]
        return [...errs, ...validateRules(obj, old, schema)]
      },
      printer: customResourcePrinter(v.additionalPrinterColumns),
      openapi: () => ({ kindSchema: defName, listSchema: listName, schemas: openapiFor(crd, v, defName, listName) }),
      scale: v.subresources?.scale,
      refuseCreate: opts.terminating ? 'create not allowed while custom resource definition is terminating' : undefined,
      deprecationWarning: v.deprecated
        ? (v.deprecationWarning ??
          `${spec.group}/${v.name} ${names.kind} is deprecated${served[0] && served[0].name !== v.name ? `; use ${spec.group}/${served[0].name} ${names.kind}` : ''}`)
        : undefined,
    }
    const info: ResourceInfo = {
      group: spec.group,
      version: v.name,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      schema: defName,
      dynamic,
      ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories?.length ? { categories: names.categories } : {}),
      ...(subresources.length ? { subresources } : {}),
      ...(opts.terminating ? { verbs: TERMINATING_VERBS } : {}),
    }
    return info
  })
}
