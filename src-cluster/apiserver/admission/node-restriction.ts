// Upstream's NodeRestriction admission plugin: what a kubelet (system:node:NAME) may write,
// beyond what the Node authorizer lets through. It may create and change only its own Node
// (not its taints, and no labels under node-restriction.kubernetes.io/ or unknown
// kubernetes.io/k8s.io labels), create only mirror pods of its own, update the status of and
// delete only pods bound to it, evict only those, write only its own Lease, and mint tokens only
// for pods bound to it. Messages are upstream's (`pods "x" is forbidden: node "n" can only …`).
import type { KubeObject } from '../../api/object'
import { type ResourceInfo } from '../../api/resources'
import { nodeIdentity } from '../authz/node-authorizer'
import { podReferences } from '../authz/node-graph'
import type { ServerContext, User } from '../context'
import { errors } from '../status'
import { RES } from '../../kit/resources'

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror'
const NODE_RESTRICTION_PREFIX = 'node-restriction.kubernetes.io'

/** Labels a kubelet may set on its Node in the kubernetes.io/k8s.io namespaces (upstream's kubeletapis). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
])
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io']

function labelNamespace(key: string): string {
  const i = key.indexOf('/')
  return i < 0 ? '' : key.slice(0, i)
}

const inNamespace = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`)

/** Whether a kubelet may set this label on its own Node (upstream's IsKubeletLabel and the node-restriction prefix). */
export function kubeletMaySetLabel(key: string): boolean {
  const ns = labelNamespace(key)
  if (inNamespace(ns, NODE_RESTRICTION_PREFIX)) return false
  const kubernetes = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io')
  if (!kubernetes) return true
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d))
}

function modifiedLabels(next: Record<string, string> | undefined, prev: Record<string, string> | undefined): string[] {
  const a = next ?? {}
  const b = prev ?? {}
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].filter((k) => a[k] !== b[k]).sort()
}

const labelsOf = (o: KubeObject | undefined): Record<string, string> | undefined => o?.metadata?.labels as Record<string, string> | undefined
const nodeNameOf = (o: KubeObject | undefined): string | undefined => (o?.spec as { nodeName?: string } | undefined)?.nodeName

function forbidden(res: ResourceInfo, name: string, why: string): Error {
  return errors.forbiddenObject(res, name, why)
}

function isCoreResource(res: ResourceInfo, plural: string): boolean {
  return res.group === '' && res.plural === plural
}

/** A kubelet creating something: its Node, a mirror pod of its own, its Lease. */
export async function nodeRestrictionCreate(ctx: ServerContext, user: User | undefined, res: ResourceInfo, obj: KubeObject): Promise<void> {
  const node = nodeIdentity(user)
  if (node === undefined) return
  const name = String(obj.metadata?.name ?? '')
  if (isCoreResource(res, 'nodes')) {
    if (name !== node) throw forbidden(res, name, `node "${node}" is not allowed to modify node "${name}"`)
    const bad = modifiedLabels(labelsOf(obj), undefined).filter((k) => !kubeletMaySetLabel(k))
    if (bad.length) throw forbidden(res, name, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`)
    return
  }
  if (isCoreResource(res, 'pods')) return admitMirrorPod(ctx, node, res, name, obj)
  if (res.group === 'coordination.k8s.io' && res.plural === 'leases') {
    if (obj.metadata?.namespace !== 'kube-node-lease' || name !== node)
      throw forbidden(res, name, 'can only access node lease with the same name as the requesting node')
  }
}

async function admitMirrorPod(ctx: ServerContext, node: string, res: ResourceInfo, name: string, pod: KubeObject): Promise<void> {
  const annotations = (pod.metadata?.annotations ?? {}) as Record<string, string>
  if (!(MIRROR_ANNOTATION in annotations))
    throw forbidden(res, name, `pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`)
  if (nodeNameOf(pod) !== node) throw forbidden(res, name, `node "${node}" can only create pods with spec.nodeName set to itself`)
  const owners = (pod.metadata?.ownerReferences ?? []) as {
    apiVersion?: string
    kind?: string
    name?: string
    uid?: string
    controller?: boolean
    blockOwnerDeletion?: boolean
  }[]
  if (owners.length > 1) throw forbidden(res, name, `node "${node}" can only create pods with a single owner reference set to itself`)
  const owner = owners[0]
  if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node)
    throw forbidden(res, name, `node "${node}" can only create pods with an owner reference set to itself`)
  if (!owner.controller) throw forbidden(res, name, `node "${node}" can only create pods with a controller owner reference set to itself`)
  if (owner.blockOwnerDeletion) throw forbidden(res, name, `node "${node}" must not set blockOwnerDeletion on an owner reference`)
  const self = await ctx.objects.get(RES.nodes, undefined, node)
  if (!self) throw errors.notFound(RES.nodes, node)
  if (owner.uid !== self.obj.metadata?.uid)
    throw forbidden(res, name, `node ${node} UID mismatch: expected ${String(self.obj.metadata?.uid)} got ${String(owner.uid)}`)
  // A mirror pod may not reach other objects: those would become readable to the node.
  const spec = (pod.spec ?? {}) as { serviceAccountName?: string; volumes?: { persistentVolumeClaim?: unknown }[] }
  if (spec.serviceAccountName) throw forbidden(res, name, `node "${node}" can not create pods that reference a service account`)
  const refs = [...podReferences(pod as Parameters<typeof podReferences>[0])]
  if (refs.some((r) => r.startsWith('secret:'))) throw forbidden(res, name, `node "${node}" can not create pods that reference secrets`)
  if (refs.some((r) => r.startsWith('configmap:'))) throw forbidden(res, name, `node "${node}" can not create pods that reference configmaps`)
  if ((spec.volumes ?? []).some((v) => v.persistentVolumeClaim))
    throw forbidden(res, name, `node "${node}" can not create pods that reference persistentvolumeclaims`)
}

/** A kubelet changing an object (update, patch, apply; `subresource` as requested). */
export function nodeRestrictionUpdate(user: User | undefined, res: ResourceInfo, subresource: string | undefined, next: KubeObject, prev: KubeObject): void {
  const node = nodeIdentity(user)
  if (node === undefined) return
  const name = String(prev.metadata?.name ?? '')
  if (isCoreResource(res, 'nodes')) {
    if (name !== node) throw forbidden(res, name, `node "${node}" is not allowed to modify node "${name}"`)
    const taints = (o: KubeObject): string => JSON.stringify((o.spec as { taints?: unknown } | undefined)?.taints ?? [])
    if (taints(next) !== taints(prev)) throw forbidden(res, name, `node "${node}" is not allowed to modify taints`)
    const bad = modifiedLabels(labelsOf(next), labelsOf(prev)).filter((k) => !kubeletMaySetLabel(k))
    if (bad.length) throw forbidden(res, name, `is not allowed to modify labels: ${bad.join(', ')}`)
    return
  }
  if (isCoreResource(res, 'pods')) {
    if (subresource !== 'status') throw forbidden(res, name, `unexpected operation "UPDATE", node "${node}" can only create and delete mirror pods`)
    if (nodeNameOf(prev) !== node) throw forbidden(res, name, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`)
    if (modifiedLabels(labelsOf(next), labelsOf(prev)).length) throw forbidden(res, name, `node "${node}" cannot update labels through pod status`)
    return
  }
  if (res.group === 'coordination.k8s.io' && res.plural === 'leases' && name !== node) {
    throw forbidden(res, name, 'can only access node lease with the same name as the requesting node')
  }
}

/** A kubelet deleting an object: only pods bound to it (and never another Node). */
export function nodeRestrictionDelete(user: User | undefined, res: ResourceInfo, cur: KubeObject): void {
  const node = nodeIdentity(user)
  if (node === undefined) return
  const name = String(cur.metadata?.name ?? '')
  if (isCoreResource(res, 'pods') && nodeNameOf(cur) !== node)
    throw forbidden(res, name, `node "${node}" can only delete pods with spec.nodeName set to itself`)
  if (isCoreResource(res, 'nodes') && name !== node) throw forbidden(res, name, `node "${node}" is not allowed to modify node "${name}"`)
}

/** A kubelet evicting a pod: only one bound to it. */
export function nodeRestrictionEvict(user: User | undefined, pod: KubeObject): void {
  const node = nodeIdentity(user)
  if (node === undefined) return
  if (nodeNameOf(pod) !== node)
    throw forbidden(RES.pods, String(pod.metadata?.name ?? ''), `node "${node}" can only evict pods with spec.nodeName set to itself`)
}

/** A kubelet asking for a ServiceAccount token: it must be bound to a pod on this node. */
export async function nodeRestrictionToken(
  ctx: ServerContext,
  user: User | undefined,
  res: ResourceInfo,
  namespace: string,
  saName: string,
  ref: { apiVersion?: string; kind?: string; name?: string; uid?: string } | undefined,
): Promise<void> {
  const node = nodeIdentity(user)
  if (node === undefined) return
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw forbidden(res, saName, 'node requested token not bound to a pod')
  if (!ref.uid) throw forbidden(res, saName, 'node requested token with a pod binding without a uid')
  const pod = await ctx.objects.get(RES.pods, namespace, ref.name)
  if (!pod) throw errors.notFound(RES.pods, ref.name)
  if (pod.obj.metadata?.uid !== ref.uid) {
    throw forbidden(
      res,
      saName,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    )
  }
  if (nodeNameOf(pod.obj) !== node) throw forbidden(res, saName, 'node requested token bound to a pod scheduled on a different node')
}
