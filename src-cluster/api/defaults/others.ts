// Defaults of the remaining kinds: Service, Secret, Namespace, Node, networking, autoscaling,
// RBAC, EndpointSlice.
import { child, ensure, items, setDefault, type Obj } from './util'

export function defaultService(svc: Obj): void {
  const spec = child(svc, 'spec')
  if (!spec) return
  setDefault(spec, 'type', 'ClusterIP')
  setDefault(spec, 'sessionAffinity', 'None')
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = ensure(ensure(spec, 'sessionAffinityConfig'), 'clientIP')
    setDefault(cfg, 'timeoutSeconds', 10800)
  }
  for (const p of items(spec, 'ports')) {
    setDefault(p, 'protocol', 'TCP')
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port
  }
  const type = spec.type
  if (type !== 'ExternalName') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster')
    // The registry picks the families; KubeLab clusters are IPv4 only.
    setDefault(spec, 'ipFamilies', ['IPv4'])
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack')
  }
  if (type === 'NodePort' || type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster')
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true)
}

export function defaultSecret(secret: Obj): void {
  setDefault(secret, 'type', 'Opaque')
}

export function defaultNamespace(ns: Obj): void {
  setDefault(ensure(ns, 'status'), 'phase', 'Active')
  // Upstream labels every namespace with its own name so selectors can pick namespaces by name.
  const meta = ensure(ns, 'metadata')
  if (typeof meta.name === 'string' && meta.name !== '') ensure(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name
}

export function defaultNode(node: Obj): void {
  const status = child(node, 'status')
  const capacity = child(status, 'capacity')
  if (status && capacity && !child(status, 'allocatable')) status.allocatable = { ...capacity }
}

export function defaultNetworkPolicy(np: Obj): void {
  const spec = child(np, 'spec')
  if (!spec) return
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']
  }
  for (const rule of [...items(spec, 'ingress'), ...items(spec, 'egress')]) {
    for (const p of items(rule, 'ports')) setDefault(p, 'protocol', 'TCP')
  }
}

export function defaultHPA(hpa: Obj): void {
  const spec = child(hpa, 'spec')
  if (!spec) return
  setDefault(spec, 'minReplicas', 1)
  // autoscaling/v1 has only targetCPUUtilizationPercentage; the v2 defaults apply once stored.
  if (hpa.apiVersion === 'autoscaling/v1') return
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]
  }
  const behavior = child(spec, 'behavior')
  if (behavior) {
    defaultScalingRules(
      behavior,
      'scaleUp',
      0,
      [
        { type: 'Percent', value: 100, periodSeconds: 15 },
        { type: 'Pods', value: 4, periodSeconds: 15 },
      ],
      'Max',
    )
    defaultScalingRules(behavior, 'scaleDown', 300, [{ type: 'Percent', value: 100, periodSeconds: 15 }], 'Max')
  }
}

function defaultScalingRules(behavior: Obj, key: string, window: number, policies: Obj[], select: string): void {
  const rules = ensure(behavior, key)
  setDefault(rules, 'stabilizationWindowSeconds', window)
  setDefault(rules, 'selectPolicy', select)
  if (!Array.isArray(rules.policies) || rules.policies.length === 0) rules.policies = policies
}

export function defaultEndpointSlice(slice: Obj): void {
  for (const p of items(slice, 'ports')) {
    setDefault(p, 'name', '')
    setDefault(p, 'protocol', 'TCP')
  }
}

export function defaultBinding(binding: Obj): void {
  for (const s of items(binding, 'subjects')) {
    if (s.kind === 'ServiceAccount') setDefault(s, 'apiGroup', '')
    else if (s.kind === 'User' || s.kind === 'Group') setDefault(s, 'apiGroup', 'rbac.authorization.k8s.io')
  }
}
