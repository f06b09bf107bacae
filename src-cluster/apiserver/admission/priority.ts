// Upstream's Priority admission plugin: a pod's spec.priority (and preemptionPolicy) come from
// its PriorityClass, or from the global default class (lowest value if several), else 0; a
// PriorityClass may not become a second global default.
import type { Pod } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../../api/object'
import type { ServerContext } from '../context'
import { errors } from '../status'
import { RES } from '../../kit/resources'

interface PriorityClassObj {
  metadata?: { name?: string }
  value?: number
  globalDefault?: boolean
  preemptionPolicy?: string
}

async function classes(ctx: ServerContext): Promise<PriorityClassObj[]> {
  // Read only: shared decoded objects.
  return (await ctx.objects.listShared(RES.priorityclasses, undefined)).items.map((s) => s.obj as PriorityClassObj)
}

export async function priorityAdmission(ctx: ServerContext, pod: Pod): Promise<void> {
  const spec = pod.spec
  if (!spec) return
  const name = pod.metadata?.name ?? ''
  const all = await classes(ctx)
  let cls: PriorityClassObj | undefined
  if (spec.priorityClassName) {
    cls = all.find((c) => c.metadata?.name === spec.priorityClassName)
    if (!cls) throw errors.forbiddenObject(RES.pods, name, `no PriorityClass with name ${spec.priorityClassName} was found`)
  } else {
    cls = all.filter((c) => c.globalDefault).sort((a, b) => (a.value ?? 0) - (b.value ?? 0))[0]
  }
  const value = cls?.value ?? 0
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw errors.forbiddenObject(
      RES.pods,
      name,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    )
  }
  spec.priority = value
  if (cls && !spec.priorityClassName) spec.priorityClassName = cls.metadata?.name
  if (!spec.preemptionPolicy) spec.preemptionPolicy = (cls?.preemptionPolicy ?? 'PreemptLowerPriority') as 'PreemptLowerPriority' | 'Never'
}

/** Only one PriorityClass may have globalDefault. */
export async function priorityClassAdmission(ctx: ServerContext, obj: KubeObject): Promise<void> {
  if ((obj as PriorityClassObj).globalDefault !== true) return
  const other = (await classes(ctx)).find((c) => c.globalDefault && c.metadata?.name !== obj.metadata?.name)
  if (other)
    throw errors.forbiddenObject(
      RES.priorityclasses,
      obj.metadata?.name ?? '',
      `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`,
    )
}
