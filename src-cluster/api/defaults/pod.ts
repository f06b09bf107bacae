// Pod and PodTemplateSpec defaulting, following what upstream's SetDefaults_PodSpec/_Container/
// _Probe/_Volume (and the Priority admission plugin, for Pods) fill in.
import { isPlainObject } from '../schema/walk'
import { child, ensure, items, setDefault, type Obj } from './util'

/** Defaults of a standalone Pod: the spec defaults plus what only Pods get. */
export function defaultPod(pod: Obj): void {
  const spec = child(pod, 'spec')
  if (!spec) return
  defaultPodSpec(spec)
  // spec.priority and preemptionPolicy come from the Priority admission plugin
  // (apiserver/admission/priority.ts), which runs after defaulting.
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) requestsFromLimits(c)
}

/** Defaults inside a PodTemplateSpec (Deployment, Job, ... templates). */
export function defaultPodTemplate(template: Obj | undefined): void {
  const spec = child(template, 'spec')
  if (spec) defaultPodSpec(spec)
}

export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always')
  setDefault(spec, 'dnsPolicy', 'ClusterFirst')
  setDefault(spec, 'terminationGracePeriodSeconds', 30)
  setDefault(spec, 'securityContext', {})
  setDefault(spec, 'schedulerName', 'default-scheduler')
  setDefault(spec, 'enableServiceLinks', true)
  const hostNetwork = spec.hostNetwork === true
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers'), ...items(spec, 'ephemeralContainers')]) {
    defaultContainer(c, hostNetwork)
  }
  for (const v of items(spec, 'volumes')) defaultVolume(v)
}

/** Untagged and ":latest" images are always pulled; tagged or digested images only when missing. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent'
  const lastSlash = image.lastIndexOf('/')
  const colon = image.lastIndexOf(':')
  if (colon <= lastSlash) return 'Always'
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log')
  setDefault(c, 'terminationMessagePolicy', 'File')
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image))
  setDefault(c, 'resources', {})
  for (const p of items(c, 'ports')) {
    setDefault(p, 'protocol', 'TCP')
    if (hostNetwork && p.hostPort === undefined) p.hostPort = p.containerPort
  }
  for (const e of items(c, 'env')) {
    const fieldRef = child(child(e, 'valueFrom'), 'fieldRef')
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1')
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = child(c, probe)
    if (p) defaultProbe(p)
  }
  const lifecycle = child(c, 'lifecycle')
  for (const hook of ['postStart', 'preStop']) defaultHandler(child(lifecycle, hook))
}

function defaultHandler(h: Obj | undefined): void {
  const httpGet = child(h, 'httpGet')
  if (httpGet) {
    setDefault(httpGet, 'path', '/')
    setDefault(httpGet, 'scheme', 'HTTP')
  }
}

function defaultProbe(p: Obj): void {
  setDefault(p, 'timeoutSeconds', 1)
  setDefault(p, 'periodSeconds', 10)
  setDefault(p, 'successThreshold', 1)
  setDefault(p, 'failureThreshold', 3)
  defaultHandler(p)
}

const VOLUME_SOURCES_WITH_MODE = ['configMap', 'secret', 'downwardAPI', 'projected']

function defaultVolume(v: Obj): void {
  // A volume that names no source is an emptyDir.
  if (Object.keys(v).every((k) => k === 'name')) v.emptyDir = {}
  for (const src of VOLUME_SOURCES_WITH_MODE) {
    const s = child(v, src)
    if (s) setDefault(s, 'defaultMode', 420)
  }
  const hostPath = child(v, 'hostPath')
  if (hostPath) setDefault(hostPath, 'type', '')
  for (const item of items(child(v, 'downwardAPI'), 'items')) {
    const fieldRef = child(item, 'fieldRef')
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1')
  }
  for (const source of items(child(v, 'projected'), 'sources')) {
    const token = child(source, 'serviceAccountToken')
    if (token) setDefault(token, 'expirationSeconds', 3600)
  }
  const ephemeral = child(child(v, 'ephemeral'), 'volumeClaimTemplate')
  const claimSpec = child(ephemeral, 'spec')
  if (claimSpec) setDefault(claimSpec, 'volumeMode', 'Filesystem')
}

/** A container that sets only limits gets the same requests (upstream SetDefaults_Pod). */
function requestsFromLimits(c: Obj): void {
  const resources = child(c, 'resources')
  const limits = child(resources, 'limits')
  if (!resources || !limits || Object.keys(limits).length === 0) return
  const requests = ensure(resources, 'requests')
  for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v
  if (!isPlainObject(resources.requests)) resources.requests = requests
}
