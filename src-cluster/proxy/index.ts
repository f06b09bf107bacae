// The service proxy (kube-proxy's iptables mode) and the LoadBalancer address allocator.
export { ServiceProxy, RuleSyncer, type ServiceProxyOptions, type ProxyState } from './proxier'
export { buildProxyRules, chainName, svcChain, sepChain, extChain, MASQ_MARK, type RulesInput } from './rules'
export { servicePorts, type ServicePortInfo } from './model'
export { removeProxyRules } from './iptables'
