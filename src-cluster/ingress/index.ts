// The ingress controller: Ingresses (networking.k8s.io/v1) of class `kubelab` routed to Service
// endpoints by an HTTP(S) reverse proxy on every node.
export { IngressController, ensureDefaultClass, type IngressControllerOptions } from './controller'
export { IngressProxy, type IngressProxyOptions, type ProxyAddresses } from './proxy'
export {
  buildRoutingTable,
  resolveBackend,
  byAge,
  type RoutingTable,
  type RoutingInput,
  type RouteEntry,
  type RouteResult,
  type ResolvedBackend,
  type BackendRef,
} from './routes'
export { buildTlsTable, type TlsTable, type TlsCert } from './tls'
export { classView, isOurIngress, defaultIngressClass, type ClassView } from './class'
export { hostMatches, pathMatches, pathLength, normalizeHost, requestPath, type PathType } from './match'
export { statusChanges, isStatusWriter, writeStatus, type StatusChange } from './status'
export { Presence, liveInstances, presenceLeaseName, PRESENCE_SELECTOR, type Instance, type PresenceOptions } from './presence'
export { endToEndHeaders, withForwarded, type ClientInfo } from './forward'
export { defaultCertificate } from './default-cert'
export * from './types'
