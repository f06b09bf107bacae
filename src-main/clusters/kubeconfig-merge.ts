// `kubelab kubeconfig NAME --merge`: add (or update) one context in ~/.kube/config without
// touching anything else in it. Entries are renamed to `kubelab-NAME` so clusters never clash
// with each other or with the user's own contexts.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parse, stringify } from 'yaml'

interface Named {
  name: string
  [k: string]: unknown
}
interface KubeconfigDoc {
  apiVersion?: string
  kind?: string
  clusters?: Named[]
  users?: Named[]
  contexts?: Named[]
  'current-context'?: string
  preferences?: Record<string, unknown>
  [k: string]: unknown
}

function readDoc(path: string): KubeconfigDoc {
  if (!existsSync(path)) return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], preferences: {} }
  const text = readFileSync(path, 'utf8')
  let doc: unknown
  try {
    doc = parse(text) ?? {}
  } catch (e) {
    throw new Error(`cannot merge into ${path}: it is not valid YAML (${(e as Error).message})`)
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`cannot merge into ${path}: it does not hold a kubeconfig mapping`)
  return doc as KubeconfigDoc
}

function upsert(list: Named[] | undefined, item: Named): Named[] {
  const out = (list ?? []).filter((x) => x.name !== item.name)
  out.push(item)
  return out
}

function writeDoc(path: string, doc: KubeconfigDoc): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.kubelab-${process.pid}.tmp`
  writeFileSync(tmp, stringify(doc), { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

/** Copies the current context of `source` into `target` as context/cluster/user `name`. */
export function mergeKubeconfig(source: string, target: string, name: string, makeCurrent: boolean): void {
  const src = readDoc(source)
  const ctx = src.contexts?.find((c) => c.name === src['current-context'])
  const ctxBody = (ctx?.context ?? {}) as Record<string, unknown>
  const cluster = src.clusters?.find((c) => c.name === ctxBody.cluster)
  const user = src.users?.find((u) => u.name === ctxBody.user)
  if (!ctx || !cluster || !user) throw new Error(`${source} has no complete current context to merge`)
  const doc = readDoc(target)
  doc.clusters = upsert(doc.clusters, { name, cluster: cluster.cluster })
  doc.users = upsert(doc.users, { name, user: user.user })
  doc.contexts = upsert(doc.contexts, { name, context: { ...ctxBody, cluster: name, user: name } })
  if (makeCurrent || !doc['current-context']) doc['current-context'] = name
  doc.apiVersion ??= 'v1'
  doc.kind ??= 'Config'
  writeDoc(target, doc)
}

/** Removes context/cluster/user `name` from `target` (on cluster delete); true if anything went. */
export function unmergeKubeconfig(target: string, name: string): boolean {
  if (!existsSync(target)) return false
  const doc = readDoc(target)
  const before = (doc.clusters?.length ?? 0) + (doc.users?.length ?? 0) + (doc.contexts?.length ?? 0)
  doc.clusters = (doc.clusters ?? []).filter((x) => x.name !== name)
  doc.users = (doc.users ?? []).filter((x) => x.name !== name)
  doc.contexts = (doc.contexts ?? []).filter((x) => x.name !== name)
  const after = doc.clusters.length + doc.users.length + doc.contexts.length
  if (after === before) return false
  if (doc['current-context'] === name) doc['current-context'] = ''
  writeDoc(target, doc)
  return true
}
