// Job podFailurePolicy: the first rule matching a failed pod decides what its failure means —
// FailJob (fail the whole Job now), Ignore (do not count it against backoffLimit), Count (the
// default: count it), FailIndex (Indexed jobs: treated as Count here, see the package report).
import type { Job } from 'kubernetes-types/batch/v1'
import type { Pod } from 'kubernetes-types/core/v1'

export type FailureAction = 'FailJob' | 'Ignore' | 'Count' | 'FailIndex'

export interface FailureMatch {
  readonly action: FailureAction
  readonly message: string
}

function exitCodeMatch(
  pod: Pod,
  rule: NonNullable<NonNullable<Job['spec']>['podFailurePolicy']>['rules'][number],
): { container: string; code: number } | undefined {
  const on = rule.onExitCodes
  if (!on) return undefined
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  for (const cs of statuses) {
    if (on.containerName && cs.name !== on.containerName) continue
    const code = cs.state?.terminated?.exitCode
    if (code === undefined || code === 0) continue
    const inValues = on.values.includes(code)
    if ((on.operator === 'In' && inValues) || (on.operator === 'NotIn' && !inValues)) return { container: cs.name, code }
  }
  return undefined
}

/** The action for a failed pod, or undefined when no rule matches (then it counts). */
export function matchPodFailurePolicy(job: Job, pod: Pod): FailureMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? []
  const who = `${pod.metadata?.namespace}/${pod.metadata?.name}`
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!
    const action = rule.action as FailureAction
    const ex = exitCodeMatch(pod, rule)
    if (ex) return { action, message: `Container ${ex.container} for pod ${who} failed with exit code ${ex.code} matching ${action} rule at index ${i}` }
    for (const pc of rule.onPodConditions ?? []) {
      const hit = pod.status?.conditions?.find((c) => c.type === pc.type && c.status === (pc.status ?? 'True'))
      if (hit) return { action, message: `Pod ${who} has condition ${pc.type} matching ${action} rule at index ${i}` }
    }
  }
  return undefined
}
