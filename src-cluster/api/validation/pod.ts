// PodSpec rules (used for Pods and for every pod template), with upstream's messages.
import { fieldErr, type FieldError } from '../errors'
import { parseQuantity } from '../quantity'
import { checkName, isDNS1123Label, isEnvVarName, isIANASvcName } from './names'
import { validateAnnotations, validateLabels } from './metadata'
import { child, has, items, num, str, type Obj } from './util'

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never']
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc']
const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
]

export function validPort(errs: FieldError[], path: string, value: unknown, allowZero = false): void {
  if (typeof value !== 'number') return
  if ((allowZero && value === 0) || (value >= 1 && value <= 65535)) return
  errs.push(fieldErr.invalid(path, value, 'must be between 1 and 65535, inclusive'))
}

/** A port given as number or name (targetPort, probe ports). */
export function validPortOrName(errs: FieldError[], path: string, value: unknown): void {
  if (typeof value === 'number') validPort(errs, path, value)
  else if (typeof value === 'string') for (const msg of isIANASvcName(value)) errs.push(fieldErr.invalid(path, value, msg))
}

/** Template metadata + spec; `path` is the template path ("spec.template"). */
export function validatePodTemplate(template: Obj | undefined, path: string, extraVolumes: readonly string[] = []): FieldError[] {
  if (!template) return [fieldErr.required(path)]
  const meta = child(template, 'metadata')
  return [
    ...validateLabels(child(meta, 'labels'), `${path}.metadata.labels`),
    ...validateAnnotations(child(meta, 'annotations'), `${path}.metadata.annotations`),
    ...validatePodSpec(child(template, 'spec'), `${path}.spec`, extraVolumes),
  ]
}

/** `extraVolumes`: names mounted from elsewhere (a StatefulSet's volumeClaimTemplates). */
export function validatePodSpec(spec: Obj | undefined, path: string, extraVolumes: readonly string[] = []): FieldError[] {
  const errs: FieldError[] = []
  if (!spec) return [fieldErr.required(path)]
  const volumes = items(spec, 'volumes')
  const volumeNames = new Set<string>()
  volumes.forEach((v, i) => {
    const p = `${path}.volumes[${i}]`
    const name = str(v, 'name')
    if (!name) errs.push(fieldErr.required(`${p}.name`))
    else {
      errs.push(...checkName(`${p}.name`, name, isDNS1123Label))
      if (volumeNames.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name))
      volumeNames.add(name)
    }
    const sources = VOLUME_SOURCES.filter((s) => has(v, s))
    if (sources.length === 0) errs.push(fieldErr.required(p, 'must specify a volume type'))
    else if (sources.length > 1) errs.push(fieldErr.forbidden(`${p}.${sources[1]}`, 'may not specify more than 1 volume type'))
    const pvc = child(v, 'persistentVolumeClaim')
    if (pvc && !str(pvc, 'claimName')) errs.push(fieldErr.required(`${p}.persistentVolumeClaim.claimName`))
    const hostPath = child(v, 'hostPath')
    if (hostPath && !str(hostPath, 'path')) errs.push(fieldErr.required(`${p}.hostPath.path`))
  })
  const mountable = new Set([...volumeNames, ...extraVolumes])

  const containers = items(spec, 'containers')
  if (containers.length === 0) errs.push(fieldErr.required(`${path}.containers`))
  const names = new Set<string>()
  const check = (list: Obj[], key: string, isInit: boolean): void =>
    list.forEach((c, i) => errs.push(...validateContainer(c, `${path}.${key}[${i}]`, names, mountable, isInit)))
  check(items(spec, 'initContainers'), 'initContainers', true)
  check(containers, 'containers', false)

  const restart = str(spec, 'restartPolicy')
  if (restart !== undefined && !RESTART_POLICIES.includes(restart)) errs.push(fieldErr.notSupported(`${path}.restartPolicy`, restart, RESTART_POLICIES))
  const dns = str(spec, 'dnsPolicy')
  if (dns !== undefined && !DNS_POLICIES.includes(dns)) errs.push(fieldErr.notSupported(`${path}.dnsPolicy`, dns, DNS_POLICIES))
  if (dns === 'None' && !child(spec, 'dnsConfig')) errs.push(fieldErr.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'))
  const deadline = num(spec, 'activeDeadlineSeconds')
  if (deadline !== undefined && deadline < 1)
    errs.push(fieldErr.invalid(`${path}.activeDeadlineSeconds`, deadline, 'must be between 1 and 2147483647, inclusive'))
  const grace = num(spec, 'terminationGracePeriodSeconds')
  if (grace !== undefined && grace < 0) errs.push(fieldErr.invalid(`${path}.terminationGracePeriodSeconds`, grace, 'must be greater than or equal to 0'))
  const hostname = str(spec, 'hostname')
  if (hostname) errs.push(...checkName(`${path}.hostname`, hostname, isDNS1123Label))
  const subdomain = str(spec, 'subdomain')
  if (subdomain) errs.push(...checkName(`${path}.subdomain`, subdomain, isDNS1123Label))
  items(spec, 'tolerations').forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`
    const op = str(t, 'operator')
    if (op !== undefined && op !== 'Exists' && op !== 'Equal') errs.push(fieldErr.notSupported(`${p}.operator`, op, ['Equal', 'Exists']))
    if (op === 'Exists' && str(t, 'value')) errs.push(fieldErr.invalid(`${p}.operator`, op, "value must be empty when `operator` is 'Exists'"))
    if (!str(t, 'key') && op !== 'Exists')
      errs.push(fieldErr.invalid(`${p}.operator`, op ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
    const effect = str(t, 'effect')
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) {
      errs.push(fieldErr.notSupported(`${p}.effect`, effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']))
    }
  })
  return errs
}

function validateContainer(c: Obj, p: string, names: Set<string>, volumes: Set<string>, isInit: boolean): FieldError[] {
  const errs: FieldError[] = []
  const name = str(c, 'name')
  if (!name) errs.push(fieldErr.required(`${p}.name`))
  else {
    errs.push(...checkName(`${p}.name`, name, isDNS1123Label))
    if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name))
    names.add(name)
  }
  if (!str(c, 'image')) errs.push(fieldErr.required(`${p}.image`))

  const portNames = new Set<string>()
  items(c, 'ports').forEach((port, i) => {
    const pp = `${p}.ports[${i}]`
    const cp = port.containerPort
    if (cp === undefined) errs.push(fieldErr.required(`${pp}.containerPort`))
    validPort(errs, `${pp}.containerPort`, cp)
    validPort(errs, `${pp}.hostPort`, port.hostPort, true)
    const pn = str(port, 'name')
    if (pn) {
      for (const msg of isIANASvcName(pn)) errs.push(fieldErr.invalid(`${pp}.name`, pn, msg))
      if (portNames.has(pn)) errs.push(fieldErr.duplicate(`${pp}.name`, pn))
      portNames.add(pn)
    }
  })

  items(c, 'env').forEach((e, i) => {
    const ep = `${p}.env[${i}]`
    const en = str(e, 'name')
    if (!en) errs.push(fieldErr.required(`${ep}.name`))
    else for (const msg of isEnvVarName(en)) errs.push(fieldErr.invalid(`${ep}.name`, en, msg))
    const from = child(e, 'valueFrom')
    if (from) {
      const kinds = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => has(from, k))
      if (kinds.length !== 1) errs.push(fieldErr.invalid(`${ep}.valueFrom`, '', 'may not have more than one field specified at a time'))
      if (has(e, 'value') && str(e, 'value') !== '') errs.push(fieldErr.invalid(`${ep}.valueFrom`, '', 'may not be specified when `value` is not empty'))
    }
  })

  const mountPaths = new Set<string>()
  items(c, 'volumeMounts').forEach((m, i) => {
    const mp = `${p}.volumeMounts[${i}]`
    const vn = str(m, 'name')
    if (!vn) errs.push(fieldErr.required(`${mp}.name`))
    else if (!volumes.has(vn)) errs.push(fieldErr.invalid(`${mp}.name`, vn, 'not found: must match the name of a volume in the pod spec'))
    const path = str(m, 'mountPath')
    if (!path) errs.push(fieldErr.required(`${mp}.mountPath`))
    else {
      if (mountPaths.has(path)) errs.push(fieldErr.invalid(`${mp}.mountPath`, path, 'must be unique'))
      mountPaths.add(path)
    }
  })

  errs.push(...validateResources(child(c, 'resources'), `${p}.resources`))
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = child(c, probe)
    if (!pr) continue
    const pp = `${p}.${probe}`
    const handlers = PROBE_HANDLERS.filter((h) => has(pr, h))
    if (handlers.length === 0) errs.push(fieldErr.required(pp, 'must specify a handler type'))
    else if (handlers.length > 1) errs.push(fieldErr.forbidden(`${pp}.${handlers[1]}`, 'may not specify more than 1 handler type'))
    for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
      const v = num(pr, k)
      if (v !== undefined && v < 0) errs.push(fieldErr.invalid(`${pp}.${k}`, v, 'must be greater than or equal to 0'))
    }
    if (probe !== 'readinessProbe' && num(pr, 'successThreshold') !== undefined && num(pr, 'successThreshold') !== 1) {
      errs.push(fieldErr.invalid(`${pp}.successThreshold`, num(pr, 'successThreshold'), 'must be 1'))
    }
    const http = child(pr, 'httpGet')
    if (http) validPortOrName(errs, `${pp}.httpGet.port`, http.port)
    const tcp = child(pr, 'tcpSocket')
    if (tcp) validPortOrName(errs, `${pp}.tcpSocket.port`, tcp.port)
    if (isInit && child(c, probe) && c.restartPolicy !== 'Always') {
      errs.push(fieldErr.forbidden(pp, 'may not be set for init containers without restartPolicy=Always'))
    }
  }
  const pull = str(c, 'imagePullPolicy')
  if (pull !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pull)) {
    errs.push(fieldErr.notSupported(`${p}.imagePullPolicy`, pull, ['Always', 'IfNotPresent', 'Never']))
  }
  return errs
}

export function validateResources(res: Obj | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  const limits = child(res, 'limits') ?? {}
  const requests = child(res, 'requests') ?? {}
  const values = (m: Obj, key: string): Record<string, number> => {
    const out: Record<string, number> = {}
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') continue
      try {
        const n = parseQuantity(v)
        if (n < 0) errs.push(fieldErr.invalid(`${path}.${key}[${k}]`, v, 'must be greater than or equal to 0'))
        out[k] = n
      } catch {
        // reported by the structural check
      }
    }
    return out
  }
  const lim = values(limits, 'limits')
  const req = values(requests, 'requests')
  for (const [k, r] of Object.entries(req)) {
    if (lim[k] !== undefined && r > lim[k]) {
      errs.push(fieldErr.invalid(`${path}.requests`, requests[k], `must be less than or equal to ${k} limit of ${String(limits[k])}`))
    }
  }
  return errs
}
