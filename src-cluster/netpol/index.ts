// NetworkPolicy enforcement on a node: plan (model), compile (rules), apply (iptables), watch (agent).
export { NetworkPolicyAgent, NetpolSyncer, type NetworkPolicyAgentOptions } from './agent'
export { planNode, policyTypes, podIPs, namedPort, type Allow, type Direction, type IsolatedPod, type NodePlan, type PlanInput, type PolicyPlan } from './model'
export {
  buildNetpolRules,
  allowMatch,
  podChain,
  policyChain,
  ALLOW_MARK,
  BASE_CHAINS,
  CHAIN_PREFIX,
  DYNAMIC_CHAIN,
  FORWARD_CHAIN,
  INPUT_CHAIN,
  type NetpolRulesInput,
} from './rules'
export { ensureBridgeNetfilter, ensureFirstJumps, listNetpolChains, removeNetpolRules, restoreNetpolRules, NETPOL_JUMPS } from './iptables'
export { subtractCidrs, inIpBlock } from './cidr'
export type { Protocol } from './types'
