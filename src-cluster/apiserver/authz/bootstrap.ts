// Writes the bootstrap roles and bindings at start: missing ones are created, and ones still
// marked autoupdate are brought back to KubeLab's definition (so an upgrade fixes old rules),
// as upstream's RBAC post-start hook does. A learner who sets autoupdate to "false" keeps theirs.
import { findResource, type ResourceInfo } from '../../api/resources'
import type { KubeObject } from '../../api/object'
import type { ServerContext } from '../context'
import { createObject } from '../handlers/write'
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy'

const RBAC = 'rbac.authorization.k8s.io'
const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate'

function desiredRole(r: (typeof BOOTSTRAP_CLUSTER_ROLES)[number]): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: r.name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...(r.labels ?? {}) }, annotations: { [AUTOUPDATE]: 'true' } },
    ...(r.aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [r.aggregateFrom]: 'true' } }] } } : {}),
    rules: r.rules.map((x) => ({ ...x })),
  }
}

function desiredBinding(b: (typeof BOOTSTRAP_CLUSTER_ROLE_BINDINGS)[number]): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: b.name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { [AUTOUPDATE]: 'true' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: b.role },
    subjects: b.subjects.map((s) => ({ ...s })),
  }
}

async function reconcile(ctx: ServerContext, res: ResourceInfo, want: KubeObject, fields: readonly string[]): Promise<void> {
  const name = String(want.metadata?.name)
  const cur = await ctx.objects.get(res, undefined, name)
  if (!cur) {
    await createObject(ctx, res, want, undefined, false)
    return
  }
  const annotations = (cur.obj.metadata?.annotations ?? {}) as Record<string, string>
  if (annotations[AUTOUPDATE] === 'false') return
  const differs = fields.some(
    (f) => JSON.stringify((cur.obj as Record<string, unknown>)[f] ?? null) !== JSON.stringify((want as Record<string, unknown>)[f] ?? null),
  )
  const labels = (cur.obj.metadata?.labels ?? {}) as Record<string, string>
  const wantLabels = (want.metadata?.labels ?? {}) as Record<string, string>
  const labelsDiffer = Object.entries(wantLabels).some(([k, v]) => labels[k] !== v)
  if (!differs && !labelsDiffer) return
  const next: KubeObject = { ...cur.obj, metadata: { ...cur.obj.metadata, labels: { ...labels, ...wantLabels } } }
  for (const f of fields) (next as Record<string, unknown>)[f] = (want as Record<string, unknown>)[f]
  await ctx.objects.update(res, next, cur.kv.modRevision)
}

export async function ensureBootstrapPolicy(ctx: ServerContext): Promise<void> {
  const roles = findResource(RBAC, 'v1', 'clusterroles')!
  const bindings = findResource(RBAC, 'v1', 'clusterrolebindings')!
  for (const r of BOOTSTRAP_CLUSTER_ROLES) await reconcile(ctx, roles, desiredRole(r), ['rules', 'aggregationRule'])
  for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) await reconcile(ctx, bindings, desiredBinding(b), ['roleRef', 'subjects'])
}
