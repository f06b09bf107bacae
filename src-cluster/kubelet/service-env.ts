// Service environment variables as the upstream kubelet injects them: for every Service with a
// cluster IP in the pod's namespace (when enableServiceLinks is on, the default) plus the
// `kubernetes` Service of the default namespace (always), `<NAME>_SERVICE_HOST`/`_PORT`, one
// `_SERVICE_PORT_<PORTNAME>` per named port, and the Docker-link style `<NAME>_PORT...` set.
import type { Service } from 'kubernetes-types/core/v1'

/** Services the kubelet always links, from the default namespace (the API server's own). */
const MASTER_SERVICES = new Set(['kubernetes'])
const MASTER_NAMESPACE = 'default'

/** "my-svc" → "MY_SVC", as upstream names variables. */
export function envName(text: string): string {
  return text.toUpperCase().replace(/-/g, '_')
}

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP
  return !!ip && ip !== 'None'
}

/** The Services whose variables a pod in `namespace` gets, by name (a same-namespace one wins). */
export function linkedServices(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Service[] {
  const byName = new Map<string, Service>()
  for (const s of services) {
    if (!hasClusterIP(s)) continue
    const name = s.metadata?.name ?? ''
    const ns = s.metadata?.namespace ?? ''
    if (ns === MASTER_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, s)
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, s)
    }
  }
  return [...byName.values()]
}

/** The variables of some Services, in upstream's order per Service. */
export function serviceVariables(services: readonly Service[]): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = []
  for (const s of services) {
    const ports = s.spec?.ports ?? []
    const ip = s.spec?.clusterIP ?? ''
    if (!hasClusterIP(s) || !ports.length) continue
    const prefix = envName(s.metadata?.name ?? '')
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip })
    out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) })
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) })
    for (const [i, p] of ports.entries()) {
      const proto = (p.protocol ?? 'TCP').toLowerCase()
      const url = `${proto}://${ip}:${p.port}`
      // Docker's links name the first port without its number as well
      if (i === 0) out.push({ key: `${prefix}_PORT`, value: url })
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`
      out.push({ key: pp, value: url }, { key: `${pp}_PROTO`, value: proto }, { key: `${pp}_PORT`, value: String(p.port) }, { key: `${pp}_ADDR`, value: ip })
    }
  }
  return out
}

/** All service variables for a pod in `namespace`. */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  return new Map(serviceVariables(linkedServices(services, namespace, enableServiceLinks)).map((v) => [v.key, v.value]))
}
