// Applying edited YAML from the detail page: replace the object when it exists (PUT, so a stale
// resourceVersion is a conflict rather than a silent overwrite), create it otherwise. Strict
// field validation makes a misspelt field an error at that field instead of being dropped.
import { parseAllDocuments } from 'yaml'
import type { KubeObject } from '../../../src-cluster/api/object'
import { RESOURCES } from '../../../src-cluster/api/resources'
import { ApiClientError, resourcePath, resourceRef, type Client } from '../../../src-cluster/client'
import type { ApplyResult } from '../../contract'
import { problemsFromStatus } from './field-lines'
import { toYaml } from './yaml-view'

function rejected(code: number, reason: string, message: string, line: number | null = null): ApplyResult {
  return { outcome: 'rejected', code, reason, message, problems: [{ field: '', message, reason, line }] }
}

export async function applyYaml(client: Client, yamlText: string): Promise<ApplyResult> {
  const docs = parseAllDocuments(yamlText)
  if (!Array.isArray(docs)) return rejected(0, 'ParseError', 'the text is empty: paste or write one Kubernetes object as YAML')
  const nonEmpty = docs.filter((d) => d.contents !== null)
  if (nonEmpty.length !== 1)
    return rejected(0, 'ParseError', `found ${nonEmpty.length} YAML documents; apply one object at a time here (kubectl apply -f takes several)`)
  const doc = nonEmpty[0]!
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const line = e.linePos?.[0]?.line ?? null
    // Said as ours: nothing was sent to the API server.
    const first = e.message.split('\n')[0] ?? e.message
    return rejected(0, 'ParseError', `local parse error${line ? `, line ${line}` : ''}: ${first} (nothing was sent to the API server)`, line)
  }
  const obj = doc.toJS() as KubeObject & Record<string, unknown>
  if (!obj || typeof obj !== 'object' || Array.isArray(obj))
    return rejected(0, 'ParseError', 'the YAML must be one object (a mapping with apiVersion, kind and metadata)')
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : ''
  const kind = typeof obj.kind === 'string' ? obj.kind : ''
  if (!apiVersion || !kind) return rejected(0, 'ParseError', 'the object needs apiVersion and kind (e.g. apiVersion: v1, kind: Pod)')
  const i = apiVersion.indexOf('/')
  const group = i < 0 ? '' : apiVersion.slice(0, i)
  const version = i < 0 ? apiVersion : apiVersion.slice(i + 1)
  const info = RESOURCES.find((r) => r.group === group && r.version === version && r.kind === kind && !r.virtual)
  if (!info) return rejected(0, 'UnknownKind', `this cluster does not serve kind ${kind} in ${apiVersion}; see kubectl api-resources`)
  const ref = resourceRef(apiVersion, info.plural)
  const name = obj.metadata?.name
  const namespace = info.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined
  if (info.namespaced) obj.metadata = { ...obj.metadata, namespace }
  const q = '?fieldValidation=Strict&fieldManager=kubelab-desktop'
  try {
    const exists = name ? (await client.get(ref, namespace, name)) !== undefined : false
    const saved = exists
      ? await client.request<KubeObject>('PUT', resourcePath(ref, namespace, name) + q, obj)
      : await client.request<KubeObject>('POST', resourcePath(ref, namespace) + q, obj)
    return {
      outcome: exists ? 'updated' : 'created',
      type: info.plural,
      namespace: namespace ?? null,
      name: String(saved.metadata?.name ?? name ?? ''),
      yaml: toYaml(saved),
    }
  } catch (e) {
    if (!(e instanceof ApiClientError)) throw e
    if (e.code === 0) throw e // unreachable server: an error, not a verdict on the YAML
    const message =
      e.code === 409 && e.reason === 'Conflict'
        ? `${e.message} — someone changed the object since you opened it: reload to get the latest version, then redo your edit`
        : e.message
    return { outcome: 'rejected', code: e.code, reason: e.reason, message, problems: problemsFromStatus(e.status, e.message, yamlText) }
  }
}
