// Objects as Go's encoding/json writes them: `omitempty` never drops a struct, so a status
// struct (and struct fields inside it, and non-omitempty counters) is always present, e.g.
// `status: {}` on a new Deployment or `status.loadBalancer: {}` on a Service. Python and Ruby
// clients dereference these without checking, so every object we serve carries them.
import type { KubeObject } from './object'

/** Status keys Go always writes, per group/kind, with their zero values. */
const STATUS_ZERO: Record<string, Record<string, unknown>> = {
  '/Service': { loadBalancer: {} },
  'apps/Deployment': {},
  'apps/ReplicaSet': { replicas: 0 },
  'apps/StatefulSet': { replicas: 0, availableReplicas: 0 },
  'apps/DaemonSet': { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  'batch/Job': {},
  'batch/CronJob': {},
  'networking.k8s.io/Ingress': { loadBalancer: {} },
  'policy/PodDisruptionBudget': { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  'autoscaling/HorizontalPodAutoscaler': { desiredReplicas: 0 },
  '/ReplicationController': { replicas: 0 },
  '/ResourceQuota': {},
  'certificates.k8s.io/CertificateSigningRequest': {},
}

/** Whether objects of the kind may get status fields filled in when served (withGoShape). */
export function hasGoShape(group: string, kind: string): boolean {
  return STATUS_ZERO[`${group}/${kind}`] !== undefined
}

/** The object with Go's always-present status fields filled in (a new object; `obj` is untouched). */
export function withGoShape(group: string, kind: string, obj: KubeObject): KubeObject {
  const zero = STATUS_ZERO[`${group}/${kind}`]
  if (!zero) return obj
  const cur = obj.status
  if (cur !== undefined && (cur === null || typeof cur !== 'object' || Array.isArray(cur))) return obj
  const status = (cur ?? {}) as Record<string, unknown>
  let missing = cur === undefined
  for (const k of Object.keys(zero)) if (status[k] === undefined || status[k] === null) missing = true
  if (!missing) return obj
  const filled: Record<string, unknown> = { ...status }
  for (const [k, v] of Object.entries(zero)) if (filled[k] === undefined || filled[k] === null) filled[k] = structuredClone(v)
  return { ...obj, status: filled }
}
