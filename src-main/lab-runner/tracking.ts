// What a lab's setup scripts create, found by listing the cluster's objects before and after a
// script: an imported Killercoda scenario's background may `kubectl create namespace X` and a
// Deployment there, which the lab never declared. Killercoda resets to a fresh environment;
// KubeLab deletes exactly what the scripts added, so replaying them starts clean. Objects owned
// by another object (a ReplicaSet's pods) go with their owner, objects inside a namespace the
// script created go with the namespace, and the lab's declared namespaces are reset anyway.
import type { Kubectl } from './kubectl'

/** Resources whose new objects are recorded (the kinds scripts create); those the server serves are used. */
const TRACKED = [
  'namespaces',
  'deployments',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
  'pods',
  'services',
  'configmaps',
  'secrets',
  'serviceaccounts',
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
  'persistentvolumeclaims',
  'persistentvolumes',
  'storageclasses',
  'priorityclasses',
  'networkpolicies',
  'ingresses',
  'poddisruptionbudgets',
  'horizontalpodautoscalers',
  'resourcequotas',
  'limitranges',
  'customresourcedefinitions',
]

/** One object: `Kind/namespace/name` (namespace empty when cluster-scoped) → uid. */
export type Snapshot = ReadonlyMap<string, { uid: string; owned: boolean }>

/** The TRACKED resources this API server serves, fully qualified (deployments.apps). */
export async function trackableResources(kubectl: Kubectl): Promise<string[]> {
  const r = await kubectl(['api-resources', '--verbs=list', '-o', 'name'], { timeoutMs: 20_000 })
  if (r.code !== 0) throw new Error(`cannot list the API's resources to track what lab scripts create: ${r.stderr.trim()}`)
  const served = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return TRACKED.flatMap((t) => served.filter((s) => s === t || s.startsWith(`${t}.`)).slice(0, 1))
}

export async function snapshotObjects(kubectl: Kubectl, resources: readonly string[]): Promise<Snapshot> {
  const out = new Map<string, { uid: string; owned: boolean }>()
  if (resources.length === 0) return out
  const tpl =
    '{range .items[*]}{.kind}{"\\t"}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.metadata.uid}{"\\t"}{.metadata.ownerReferences[0].uid}{"\\n"}{end}'
  const r = await kubectl(['get', resources.join(','), '-A', '-o', `jsonpath=${tpl}`], { timeoutMs: 30_000 })
  if (r.code !== 0) throw new Error(`cannot list the cluster's objects to track what lab scripts create: ${r.stderr.trim()}`)
  for (const line of r.stdout.split('\n')) {
    const [kind, ns, name, uid, owner] = line.split('\t')
    if (!kind || !name || !uid) continue
    out.set(`${kind}/${ns ?? ''}/${name}`, { uid, owned: Boolean(owner) })
  }
  return out
}

const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease'])

/**
 * Objects in `after` that `before` did not have (by uid): new namespaces, and new unowned
 * objects outside new namespaces and outside the lab's declared ones.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot, declared: readonly string[]): string[] {
  const fresh = [...after].filter(([ref, o]) => before.get(ref)?.uid !== o.uid)
  const newNamespaces = new Set(fresh.filter(([ref]) => ref.startsWith('Namespace/')).map(([ref]) => ref.split('/')[2]!))
  const made: string[] = []
  for (const [ref, o] of fresh) {
    const [kind, ns] = ref.split('/') as [string, string]
    if (kind === 'Namespace') {
      if (!declared.includes(ref.split('/')[2]!)) made.push(ref)
      continue
    }
    if (o.owned || SYSTEM_NAMESPACES.has(ns) || newNamespaces.has(ns) || declared.includes(ns)) continue
    // A namespace's own defaults appear with it (its default ServiceAccount, the root CA ConfigMap).
    if ((kind === 'ServiceAccount' && ref.endsWith('/default')) || (kind === 'ConfigMap' && ref.endsWith('/kube-root-ca.crt'))) continue
    made.push(ref)
  }
  return made.sort()
}
