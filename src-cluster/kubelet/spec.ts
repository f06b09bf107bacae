// Translates a Pod into CRI requests: the sandbox config (hostname, DNS, port mappings, log
// directory, labels) and each container's config (command, env, mounts, resources, security).
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1'
import { parseQuantity } from '../api/quantity'
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext, Mount, PodSandboxConfig, PortMapping } from './cri/types'
import { expandVars } from './env'

export const LABEL_POD_NAME = 'io.kubernetes.pod.name'
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace'
export const LABEL_POD_UID = 'io.kubernetes.pod.uid'
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name'
/** Our label: "init" or "main", so status knows which list a container belongs to. */
export const LABEL_CONTAINER_KIND = 'kubelab.dev/container-kind'

export interface DnsOptions {
  clusterDns: string[]
  clusterDomain: string
}

export function podLogDir(base: string, pod: Pod): string {
  return `${base}/${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`
}

/** resolv.conf for the pod per its dnsPolicy (ClusterFirst by default). */
export function podDnsConfig(pod: Pod, dns: DnsOptions): PodSandboxConfig['dnsConfig'] | undefined {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst'
  const ns = pod.metadata?.namespace ?? 'default'
  const custom = pod.spec?.dnsConfig
  let servers: string[] = []
  let searches: string[] = []
  let options: string[] = []
  const clusterFirst = policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet' && pod.spec?.hostNetwork)
  if (clusterFirst && dns.clusterDns.length) {
    servers = [...dns.clusterDns]
    const d = dns.clusterDomain
    searches = [`${ns}.svc.${d}`, `svc.${d}`, d]
    options = ['ndots:5']
  } else if (policy === 'Default' || (clusterFirst && !dns.clusterDns.length)) {
    return undefined // runtime copies the node's resolv.conf
  }
  if (custom) {
    servers = [...servers, ...(custom.nameservers ?? [])]
    searches = [...searches, ...(custom.searches ?? [])]
    for (const o of custom.options ?? []) {
      options = options.filter((x) => x.split(':')[0] !== o.name)
      options.push(o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''))
    }
  }
  return { servers, searches, options }
}

export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = []
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue
      out.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' })
    }
  }
  return out
}

export function sandboxConfig(pod: Pod, opts: { logDirBase: string; dns: DnsOptions; cgroupParent: string; attempt: number }): PodSandboxConfig {
  const meta = pod.metadata ?? {}
  const hostname = (pod.spec?.hostname ?? meta.name ?? 'pod').slice(0, 63)
  const privileged = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.securityContext?.privileged)
  const psc = pod.spec?.securityContext
  const dnsConfig = podDnsConfig(pod, opts.dns)
  return {
    metadata: { name: meta.name ?? '', uid: meta.uid ?? '', namespace: meta.namespace ?? 'default', attempt: opts.attempt },
    hostname,
    logDirectory: podLogDir(opts.logDirBase, pod),
    ...(dnsConfig ? { dnsConfig } : {}),
    portMappings: portMappings(pod),
    labels: { ...(meta.labels ?? {}), [LABEL_POD_NAME]: meta.name ?? '', [LABEL_POD_NAMESPACE]: meta.namespace ?? '', [LABEL_POD_UID]: meta.uid ?? '' },
    annotations: { ...(meta.annotations ?? {}) },
    linux: {
      cgroupParent: opts.cgroupParent,
      securityContext: {
        namespaceOptions: {
          network: pod.spec?.hostNetwork ? 'NODE' : 'POD',
          pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
          ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
        },
        privileged,
        ...(psc?.runAsUser !== undefined ? { runAsUser: { value: psc.runAsUser } } : {}),
        ...(psc?.runAsGroup !== undefined ? { runAsGroup: { value: psc.runAsGroup } } : {}),
        ...(psc?.supplementalGroups ? { supplementalGroups: psc.supplementalGroups } : {}),
      },
      sysctls: Object.fromEntries((psc?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  }
}

const CPU_PERIOD = 100_000
const MIN_SHARES = 2

/** requests.cpu → shares, limits.cpu → CFS quota, limits.memory → memory limit (as upstream). */
export function linuxResources(container: Container): LinuxContainerResources {
  const req = container.resources?.requests ?? {}
  const lim = container.resources?.limits ?? {}
  const q = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : parseQuantity(String(v)))
  const cpuReq = q(req.cpu) ?? q(lim.cpu)
  const cpuLim = q(lim.cpu)
  const memLim = q(lim.memory)
  const out: LinuxContainerResources = {
    cpuShares: cpuReq === undefined ? MIN_SHARES : Math.max(MIN_SHARES, Math.floor((cpuReq * 1000 * 1024) / 1000)),
  }
  if (cpuLim !== undefined) {
    out.cpuPeriod = CPU_PERIOD
    out.cpuQuota = Math.max(1000, Math.floor(cpuLim * CPU_PERIOD))
  }
  if (memLim !== undefined) out.memoryLimitInBytes = Math.floor(memLim)
  return out
}

export function linuxSecurity(pod: Pod, container: Container): LinuxContainerSecurityContext {
  const psc = pod.spec?.securityContext ?? {}
  const sc: SecurityContext = container.securityContext ?? {}
  const runAsUser = sc.runAsUser ?? psc.runAsUser
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup
  const out: LinuxContainerSecurityContext = {
    privileged: !!sc.privileged,
    readonlyRootfs: !!sc.readOnlyRootFilesystem,
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    namespaceOptions: {
      network: pod.spec?.hostNetwork ? 'NODE' : 'POD',
      pid: pod.spec?.hostPID ? 'NODE' : pod.spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
      ipc: pod.spec?.hostIPC ? 'NODE' : 'POD',
    },
  }
  if (runAsUser !== undefined) out.runAsUser = { value: runAsUser }
  if (runAsGroup !== undefined) out.runAsGroup = { value: runAsGroup }
  const groups = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])]
  if (groups.length) out.supplementalGroups = groups
  if (sc.capabilities) out.capabilities = { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] }
  return out
}

export interface ContainerInputs {
  pod: Pod
  container: Container
  kind: 'init' | 'main'
  attempt: number
  image: string
  envs: { key: string; value: string }[]
  mounts: Mount[]
}

export function containerConfig(containerInputs: ContainerInputs): ContainerConfig {
  const c = containerInputs.container
  const vars = new Map(containerInputs.envs.map((e) => [e.key, e.value]))
  const meta = containerInputs.pod.metadata ?? {}
  return {
    metadata: { name: c.name, attempt: containerInputs.attempt },
    image: { image: containerInputs.image, userSpecifiedImage: c.image ?? '' },
    command: (c.command ?? []).map((s) => expandVars(s, vars)),
    args: (c.args ?? []).map((s) => expandVars(s, vars)),
    workingDir: c.workingDir ?? '',
    envs: containerInputs.envs,
    mounts: containerInputs.mounts,
    labels: {
      [LABEL_POD_NAME]: meta.name ?? '',
      [LABEL_POD_NAMESPACE]: meta.namespace ?? '',
      [LABEL_POD_UID]: meta.uid ?? '',
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_CONTAINER_KIND]: containerInputs.kind,
    },
    annotations: {
      'io.kubernetes.container.restartCount': String(containerInputs.attempt),
      'io.kubernetes.pod.terminationGracePeriod': String(containerInputs.pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    logPath: `${c.name}/${containerInputs.attempt}.log`,
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    tty: !!c.tty,
    linux: { resources: linuxResources(c), securityContext: linuxSecurity(containerInputs.pod, c) },
  }
}
