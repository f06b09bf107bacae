// Container environment as the kubelet builds it: envFrom first (ConfigMaps, Secrets, with
// prefixes), then env in order (values, fieldRef, resourceFieldRef, configMapKeyRef,
// secretKeyRef), with $(VAR) references expanded against what came before, and last the
// Service variables for names the pod did not set itself.
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from 'kubernetes-types/core/v1'
import { parseQuantity } from '../api/quantity'
import { serviceEnv } from './service-env'

/** Reads ConfigMaps and Secrets of the pod's namespace (undefined = not found). */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>
  secret(namespace: string, name: string): Promise<Secret | undefined>
}

/** A problem the user must fix in the pod spec or its referenced objects (CreateContainerConfigError). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8')

/** Expands $(NAME) from vars; $$(NAME) is an escaped literal; unknown references stay as written. */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$'
    return name !== undefined && vars.has(name) ? (vars.get(name) as string) : m
  })
}

/** The value of a downward-API field path (metadata.name, metadata.labels['x'], status.podIP, ...). */
export function fieldPathValue(pod: Pod, path: string, ips: { podIP?: string; hostIP?: string }): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path)
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] as string] ?? ''
  const kv = (o: Record<string, string> | undefined): string =>
    Object.entries(o ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n')
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? ''
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? ''
    case 'metadata.uid':
      return pod.metadata?.uid ?? ''
    case 'metadata.labels':
      return kv(pod.metadata?.labels)
    case 'metadata.annotations':
      return kv(pod.metadata?.annotations)
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? ''
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? ''
    case 'status.podIP':
    case 'status.podIPs':
      return ips.podIP ?? ''
    case 'status.hostIP':
    case 'status.hostIPs':
      return ips.hostIP ?? ''
    default:
      throw new ConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(path)}`)
  }
}

/** limits.cpu / requests.memory ... divided by divisor, rounded up as upstream does. */
export function resourceFieldValue(container: Container, resource: string, divisor: string | undefined, node: { cpu: number; memory: number }): string {
  const [kind, name] = resource.split('.') as [string, string]
  const src = kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined
  if (!src && kind !== 'limits' && kind !== 'requests') throw new ConfigError(`unsupported resourceFieldRef resource ${resource}`)
  let v = src?.[name] !== undefined ? parseQuantity(String(src[name])) : undefined
  // an unset limit reports the node's allocatable, as upstream does
  if (v === undefined) v = kind === 'limits' ? (name === 'cpu' ? node.cpu : name === 'memory' ? node.memory : 0) : 0
  const d = divisor ? parseQuantity(divisor) : 1
  return String(Math.ceil(v / (d || 1)))
}

export interface EnvContext {
  pod: Pod
  podIP?: string
  hostIP?: string
  node: { cpu: number; memory: number }
  source: ObjectSource
  /** Services of the cluster as the kubelet sees them now (for Service variables); none when absent. */
  services?: () => readonly Service[]
}

export async function buildEnv(container: Container, ctx: EnvContext): Promise<{ key: string; value: string }[]> {
  const ns = ctx.pod.metadata?.namespace ?? 'default'
  const vars = new Map<string, string>()
  const svcEnv = serviceEnv(ctx.services?.() ?? [], ns, ctx.pod.spec?.enableServiceLinks ?? true)
  // $(VAR) in env values sees the pod's own variables first, then the Service ones (as upstream)
  const lookup = new Map(svcEnv)
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? ''
    if (from.configMapRef) {
      const cm = await ctx.source.configMap(ns, from.configMapRef.name ?? '')
      if (!cm) {
        if (from.configMapRef.optional) continue
        throw new ConfigError(`configmap "${from.configMapRef.name}" not found`)
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) set(vars, lookup, prefix + k, v)
    }
    if (from.secretRef) {
      const s = await ctx.source.secret(ns, from.secretRef.name ?? '')
      if (!s) {
        if (from.secretRef.optional) continue
        throw new ConfigError(`secret "${from.secretRef.name}" not found`)
      }
      for (const [k, v] of Object.entries(s.data ?? {})) set(vars, lookup, prefix + k, decode(v))
      for (const [k, v] of Object.entries(s.stringData ?? {})) set(vars, lookup, prefix + k, v)
    }
  }
  for (const e of container.env ?? []) {
    const v = await envValue(e, container, ctx, ns, lookup)
    if (v !== undefined) set(vars, lookup, e.name, v)
  }
  for (const [k, v] of svcEnv) if (!vars.has(k)) vars.set(k, v)
  return [...vars].map(([key, value]) => ({ key, value }))
}

function set(vars: Map<string, string>, lookup: Map<string, string>, k: string, v: string): void {
  vars.set(k, v)
  lookup.set(k, v)
}

async function envValue(e: EnvVar, c: Container, ctx: EnvContext, ns: string, vars: ReadonlyMap<string, string>): Promise<string | undefined> {
  if (e.value !== undefined) return expandVars(e.value, vars)
  const from = e.valueFrom
  if (!from) return ''
  if (from.fieldRef) return fieldPathValue(ctx.pod, from.fieldRef.fieldPath, ctx)
  if (from.resourceFieldRef) {
    const target = from.resourceFieldRef.containerName
      ? ([...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((x) => x.name === from.resourceFieldRef?.containerName) ?? c)
      : c
    return resourceFieldValue(
      target,
      from.resourceFieldRef.resource,
      from.resourceFieldRef.divisor === undefined ? undefined : String(from.resourceFieldRef.divisor),
      ctx.node,
    )
  }
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef
    const cm = await ctx.source.configMap(ns, ref.name ?? '')
    const v = cm?.data?.[ref.key]
    if (v === undefined) {
      if (ref.optional) return undefined
      throw new ConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`)
    }
    return v
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef
    const s = await ctx.source.secret(ns, ref.name ?? '')
    // stringData is write-only upstream; an API server that keeps it is read as well
    const raw = s?.data?.[ref.key] ?? (s?.stringData?.[ref.key] !== undefined ? Buffer.from(s.stringData[ref.key] as string).toString('base64') : undefined)
    if (raw === undefined) {
      if (ref.optional) return undefined
      throw new ConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`)
    }
    return decode(raw)
  }
  return ''
}
