// Preemption, as upstream's DefaultPreemption PostFilter plugin. When a pod fits nowhere, find
// nodes where evicting pods of lower priority would make it fit: on each node take every
// lower-priority pod out (what-if, in the cache), check the pod fits, then give pods back one
// by one, most important first and those a PodDisruptionBudget protects before the others,
// keeping only those it cannot do without. Of the candidates pick the one with the fewest PDB
// violations, then the lowest highest victim priority, the lowest sum of priorities, the fewest
// victims, the latest start among its highest-priority victims. Pure over the cache: evicting
// the victims and nominating the node are the scheduler's business.
import { labelSelectorFromObject, matchLabels, type LabelSelector, type LabelSelectorObject } from '../api/selectors'
import type { SchedulerCache } from './cache'
import { fitErrorMessage, type FitError } from './diagnosis'
import type { Framework } from './framework'
import type { NodeInfo } from './node-info'
import { REASON_AFFINITY } from './plugins/inter-pod-affinity'
import { REASON_SPREAD_MISSING_LABEL } from './plugins/pod-topology-spread'
import type { CycleContext, PodInfo } from './types'
import type { KubeObject } from '../api/object'

export const MSG_NOT_HELPFUL = 'Preemption is not helpful for scheduling'
export const MSG_NO_VICTIMS = 'No preemption victims found for incoming pod'
export const MSG_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.'
export const MSG_TERMINATING = 'not eligible due to a terminating pod on the nominated node.'

/** The condition the scheduler puts on a victim before deleting it (upstream's names). */
export const DISRUPTION_TARGET = 'DisruptionTarget'
export const REASON_PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler'

/** Filter plugins whose rejection evicting pods can undo (upstream: Unschedulable, not ...AndUnresolvable). */
const RESOLVABLE_PLUGINS = new Set(['NodeResourcesFit', 'NodePorts', 'InterPodAffinity', 'PodTopologySpread'])
const UNRESOLVABLE_REASONS = new Set([REASON_AFFINITY, REASON_SPREAD_MISSING_LABEL])

/** Upstream's MinCandidateNodesPercentage / MinCandidateNodesAbsolute. */
const MIN_CANDIDATE_NODES_PERCENTAGE = 10
const MIN_CANDIDATE_NODES_ABSOLUTE = 100

/** A PodDisruptionBudget as preemption reads it. */
export interface PdbView {
  readonly namespace: string
  readonly selector: LabelSelector
  readonly disruptionsAllowed: number
  readonly disruptedPods: ReadonlySet<string>
}

export function pdbView(pdb: KubeObject): PdbView {
  const o = pdb as KubeObject & {
    spec?: { selector?: LabelSelectorObject | null }
    status?: { disruptionsAllowed?: number; disruptedPods?: Record<string, string> }
  }
  let selector: LabelSelector
  try {
    selector = labelSelectorFromObject(o.spec?.selector ?? null)
  } catch {
    selector = labelSelectorFromObject(null)
  }
  return {
    namespace: o.metadata?.namespace ?? 'default',
    selector,
    disruptionsAllowed: o.status?.disruptionsAllowed ?? 0,
    disruptedPods: new Set(Object.keys(o.status?.disruptedPods ?? {})),
  }
}

export interface Candidate {
  readonly node: string
  /** Most important first. */
  readonly victims: readonly PodInfo[]
  /** Victims whose eviction goes past a PodDisruptionBudget. */
  readonly pdbViolations: number
}

export type PreemptionOutcome =
  /** Evict these pods and nominate the node. */
  | { readonly candidate: Candidate }
  /** Preemption cannot help: the sentence to append, and whether to clear the pod's nomination. */
  | { readonly candidate?: undefined; readonly message: string; readonly clearNomination: boolean }

export interface PreemptionInput {
  readonly framework: Framework
  readonly ctx: CycleContext
  readonly fit: FitError
  /** The node the pod is nominated to (memory or status), if any. */
  readonly nominatedNode: string | undefined
  /** PodDisruptionBudgets of a namespace. */
  readonly pdbs: (namespace: string) => readonly PdbView[]
  readonly random?: () => number
}

function rejectionResolvable(fit: FitError, node: string): boolean {
  const plugin = fit.rejectedBy.get(node)
  if (plugin === undefined || !RESOLVABLE_PLUGINS.has(plugin)) return false
  return !(fit.nodeReasons.get(node) ?? []).some((r) => UNRESOLVABLE_REASONS.has(r))
}

function startTime(p: PodInfo): number {
  const s = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp
  const t = s ? Date.parse(String(s)) : NaN
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t
}

/** Upstream's MoreImportantPod: higher priority, then the one that started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  return startTime(a) - startTime(b)
}

/** A victim going away by the scheduler's own earlier preemption. */
export function terminatingByPreemption(podInfo: PodInfo): boolean {
  return podInfo.terminating && (podInfo.pod.status?.conditions ?? []).some((c) => c.type === DISRUPTION_TARGET && c.reason === REASON_PREEMPTION_BY_SCHEDULER)
}

/** Upstream's filterPodsWithPDBViolation: which pods an eviction would take past a budget. */
function splitByPdb(pods: readonly PodInfo[], pdbs: (namespace: string) => readonly PdbView[]): { violating: PodInfo[]; other: PodInfo[] } {
  const allowed = new Map<PdbView, number>()
  const violating: PodInfo[] = []
  const other: PodInfo[] = []
  for (const p of pods) {
    let violated = false
    if (Object.keys(p.labels).length > 0) {
      for (const pdb of pdbs(p.namespace)) {
        // A budget with an empty selector matches nothing here, as upstream's scheduler reads it.
        if (pdb.selector.requirements.length === 0 || !matchLabels(pdb.selector, p.labels)) continue
        if (pdb.disruptedPods.has(String(p.pod.metadata?.name))) continue
        const left = (allowed.get(pdb) ?? pdb.disruptionsAllowed) - 1
        allowed.set(pdb, left)
        if (left < 0) violated = true
      }
    }
    ;(violated ? violating : other).push(p)
  }
  return { violating, other }
}

type NodeVerdict = { victims: PodInfo[]; pdbViolations: number } | { reasons: readonly string[] }

/** Upstream's selectVictimsOnNode, as a what-if on the cache that leaves it as it found it. */
function selectVictimsOnNode(fw: Framework, ctx: CycleContext, cache: SchedulerCache, node: NodeInfo, pdbs: PreemptionInput['pdbs']): NodeVerdict {
  const pod = ctx.pod
  const lower = [...node.pods.values()].filter((p) => p.priority < pod.priority)
  if (lower.length === 0) return { reasons: [MSG_NO_VICTIMS] }
  const out = new Map(lower.map((p) => [p.key, cache.detach(p.key)!] as const))
  try {
    const fits = fw.fitsOn(ctx, node)
    if (fits) return { reasons: fits.reasons }
    lower.sort(moreImportant)
    const { violating, other } = splitByPdb(lower, pdbs)
    const victims: PodInfo[] = []
    let pdbViolations = 0
    const reprieve = (p: PodInfo, violates: boolean): void => {
      const d = out.get(p.key)!
      cache.reattach(d)
      out.delete(p.key)
      if (!fw.fitsOn(ctx, node)) return
      cache.detach(p.key)
      out.set(p.key, d)
      victims.push(p)
      if (violates) pdbViolations++
    }
    for (const p of violating) reprieve(p, true)
    for (const p of other) reprieve(p, false)
    victims.sort(moreImportant)
    return { victims, pdbViolations }
  } finally {
    for (const d of out.values()) cache.reattach(d)
  }
}

/** Upstream's pickOneNodeForPreemption. */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  const OFFSET = 2 ** 31 // priorities may be negative: sum them shifted, as upstream
  const byMin = (list: readonly Candidate[], f: (c: Candidate) => number): Candidate[] => {
    const best = Math.min(...list.map(f))
    return list.filter((c) => f(c) === best)
  }
  let list = [...candidates]
  if (list.length === 0) return undefined
  list = byMin(list, (c) => c.pdbViolations)
  list = byMin(list, (c) => (c.victims.length === 0 ? -Infinity : c.victims[0]!.priority))
  list = byMin(list, (c) => c.victims.reduce((s, v) => s + v.priority + OFFSET, 0))
  list = byMin(list, (c) => c.victims.length)
  // The latest start among each candidate's highest-priority victims: evict what ran least long.
  list = byMin(list, (c) => {
    if (c.victims.length === 0) return -Infinity
    const top = c.victims[0]!.priority
    return -Math.min(...c.victims.filter((v) => v.priority === top).map(startTime))
  })
  return list[0]
}

/** The PostFilter: a node and victims, or why preemption does not help. */
export function preempt(input: PreemptionInput): PreemptionOutcome {
  const { framework, ctx, fit } = input
  const pod = ctx.pod
  const cache = ctx.cache
  if (pod.pod.spec?.preemptionPolicy === 'Never') return { message: MSG_POLICY_NEVER, clearNomination: false }
  const nominated = input.nominatedNode
  if (nominated && rejectionResolvable(fit, nominated)) {
    const ni = cache.getNode(nominated)
    for (const p of ni?.pods.values() ?? []) {
      if (p.priority < pod.priority && terminatingByPreemption(p)) return { message: MSG_TERMINATING, clearNomination: false }
    }
  }
  const nodes = cache.listNodes()
  const statuses = new Map<string, readonly string[]>()
  const potential: NodeInfo[] = []
  for (const n of nodes) {
    if (rejectionResolvable(fit, n.name)) potential.push(n)
    else statuses.set(n.name, [MSG_NOT_HELPFUL])
  }
  const want = Math.min(potential.length, Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100)))
  const offset = potential.length === 0 ? 0 : Math.floor((input.random ?? Math.random)() * potential.length)
  const clean: Candidate[] = []
  const violating: Candidate[] = []
  for (let i = 0; i < potential.length; i++) {
    const node = potential[(offset + i) % potential.length]!
    const v = selectVictimsOnNode(framework, ctx, cache, node, input.pdbs)
    if ('reasons' in v) {
      statuses.set(node.name, v.reasons)
      continue
    }
    const c: Candidate = { node: node.name, victims: v.victims, pdbViolations: v.pdbViolations }
    ;(c.pdbViolations === 0 ? clean : violating).push(c)
    if (clean.length > 0 && clean.length + violating.length >= want) break
  }
  const best = pickCandidate([...clean, ...violating])
  if (best) return { candidate: best }
  return { message: fitErrorMessage(nodes.length, statuses), clearNomination: true }
}
