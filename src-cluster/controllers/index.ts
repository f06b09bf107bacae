// Every controller the controller manager runs, collected from the controller folders. Each
// folder exports its list; a fresh set of instances is made per controller manager.
import type { Controller } from './framework'
import { workloadControllers } from './workloads'
import { coreControllers } from './core'
import { batchControllers } from './batch'
import { autoscalingControllers } from './autoscaling'
import { disruptionControllers } from './disruption'
import { certificateControllers } from './certificates/signer'

type ControllerSource = readonly Controller[] | (() => readonly Controller[])

const expand = (s: ControllerSource): readonly Controller[] => (typeof s === 'function' ? s() : s)

/** All controllers, in start order: core first (IPAM, service accounts), then workloads. */
export function allControllers(): Controller[] {
  const sources: ControllerSource[] = [
    coreControllers,
    workloadControllers,
    batchControllers,
    autoscalingControllers,
    disruptionControllers,
    certificateControllers,
  ]
  const out: Controller[] = []
  const seen = new Set<string>()
  for (const c of sources.flatMap((s) => [...expand(s)])) {
    if (seen.has(c.name))
      throw new Error(`two controllers are named ${JSON.stringify(c.name)}: names must be unique so logs and --controllers can tell them apart`)
    seen.add(c.name)
    out.push(c)
  }
  return out
}

export type { Controller, ControllerContext, ControllerOptions } from './framework'
