// The default plugin set, in upstream's order, with upstream's default score weights.
import type { FilterPlugin, ScorePlugin } from '../types'
import { balancedAllocation } from './balanced-allocation'
import { interPodAffinityFilter, interPodAffinityScore } from './inter-pod-affinity'
import { nodeAffinityFilter, nodeAffinityScore } from './node-affinity'
import { nodeName } from './node-name'
import { nodePorts } from './node-ports'
import { nodeResourcesFitFilter, nodeResourcesFitScore } from './node-resources-fit'
import { nodeUnschedulable } from './node-unschedulable'
import { podTopologySpreadFilter, podTopologySpreadScore } from './pod-topology-spread'
import { taintTolerationFilter, taintTolerationScore } from './taint-toleration'
import { volumeBindingFilter } from './volume-binding'

export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintTolerationFilter,
  nodeAffinityFilter,
  nodePorts,
  nodeResourcesFitFilter,
  volumeBindingFilter,
  podTopologySpreadFilter,
  interPodAffinityFilter,
]

export const DEFAULT_SCORES: readonly ScorePlugin[] = [
  taintTolerationScore, // 3
  nodeAffinityScore, // 2
  podTopologySpreadScore, // 2
  interPodAffinityScore, // 2
  nodeResourcesFitScore, // 1
  balancedAllocation, // 1
]
