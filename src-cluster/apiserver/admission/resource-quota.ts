// Upstream's ResourceQuota admission (plugin/pkg/admission/resourcequota): a write that would
// take a namespace over a quota's hard limits is refused with "exceeded quota: …"; pods under a
// quota on cpu/memory must state them ("must specify …"); an admitted write is charged to the
// quotas at once (status.used, compare-and-swap) so concurrent creates cannot both slip under the
// limit. The quota controller later recounts from the stored objects (releasing what deletes and
// failed writes left charged).
import type { KubeObject } from '../../api/object'
import { type ResourceInfo } from '../../api/resources'
import { evaluatorFor, quotaMatches, type QuotaObject } from '../../api/quota/evaluators'
import { add, exceeded, fromMap, isZero, mask, prettyPrint, subtract, toMap, type ResourceList } from '../../api/quota/resource-list'
import type { ServerContext } from '../context'
import { errors } from '../status'
import { RES } from '../../kit/resources'

const MAX_ATTEMPTS = 10

/** Negative entries become 0 (upstream's SubtractWithNonNegativeResult). */
function nonNegative(l: ResourceList): ResourceList {
  const out: ResourceList = new Map()
  for (const [k, v] of l) out.set(k, v.nano < 0n ? { nano: 0n, format: v.format } : v)
  return out
}

/**
 * Checks (and unless `dryRun`, charges) the namespace's quotas for creating `obj`, or updating
 * `old` into `obj`. Throws upstream's 403s.
 */
export async function resourceQuotaAdmission(
  ctx: ServerContext,
  res: ResourceInfo,
  obj: KubeObject,
  old: KubeObject | undefined,
  dryRun: boolean,
): Promise<void> {
  if (!res.namespaced || res.virtual || res.dynamic) return
  const ns = obj.metadata?.namespace
  if (!ns) return
  const ev = evaluatorFor(res.group, res.plural)
  if (old && !ev.chargesUpdates) return
  const name = obj.metadata?.name ?? ''
  const now = ctx.now()
  // Quotas this request already charged (a retry after a conflict on another one must neither
  // check nor charge them again).
  const charged = new Set<string>()

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const quotas = (await ctx.objects.list(RES.resourcequotas, ns)).items
    if (!quotas.length) return
    const interesting: { q: QuotaObject; rev: number; hard: ResourceList }[] = []
    for (const s of quotas) {
      const q = s.obj as QuotaObject
      const hard = fromMap(q.status?.hard)
      const hardNames = [...hard.keys()]
      if (!quotaMatches(ev, q, hardNames, obj)) continue
      const restricted = ev.matchingResources(hardNames)
      const why = ev.constraints?.(restricted, obj)
      if (why) throw errors.forbiddenObject(res, name, `failed quota: ${q.metadata?.name}: ${why}`)
      const used = q.status?.used ?? {}
      const missing = restricted.filter((r) => !(r in used))
      if (missing.length)
        throw errors.forbiddenObject(res, name, `status unknown for quota: ${q.metadata?.name}, resources: ${[...restricted].sort().join(',')}`)
      interesting.push({ q, rev: s.kv.modRevision, hard })
    }
    if (!interesting.length) return
    // A create that will fail with AlreadyExists is not charged (upstream charges it until the
    // controller's next full recount).
    if (!old && (await ctx.objects.get(res, ns, name))) return

    let delta = ev.usage(obj, now)
    if (old) delta = nonNegative(subtract(delta, ev.usage(old, now)))
    if (isZero(delta)) return

    const updates: { q: QuotaObject; rev: number; used: ResourceList }[] = []
    for (const { q, rev, hard } of interesting) {
      if (charged.has(q.metadata?.name ?? '')) continue
      const requested = mask(delta, hard.keys())
      const used = fromMap(q.status?.used)
      const newUsage = add(used, requested)
      const over = exceeded(mask(newUsage, requested.keys()), hard)
      if (over.length) {
        throw errors.forbiddenObject(
          res,
          name,
          `exceeded quota: ${q.metadata?.name}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
        )
      }
      updates.push({ q, rev, used: newUsage })
    }
    // Don't update quota for dry runs (as upstream): they are checked only.
    if (dryRun) return
    let conflict = false
    for (const u of updates) {
      const next: QuotaObject = { ...u.q, status: { ...(u.q.status ?? {}), used: toMap(u.used) } }
      if (!(await ctx.objects.update(RES.resourcequotas, next, u.rev))) {
        conflict = true
        break
      }
      charged.add(u.q.metadata?.name ?? '')
    }
    if (!conflict) return
    // Another write charged a quota meanwhile: check the rest again against its new usage.
  }
  throw errors.conflict(RES.resourcequotas, 'resourcequotas', 'too many concurrent writers charging the namespace quota; try again')
}
