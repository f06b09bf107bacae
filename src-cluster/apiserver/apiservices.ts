// apiregistration.k8s.io/v1 APIServices for what this API server serves, as kube-aggregator's
// autoregistration writes them: one per group/version, named VERSION.GROUP ("v1." for core),
// upstream's group and version priorities, no spec.service (served locally) and
// Available=True/Local. Built-in groups are labelled automanaged "onstart"; custom resources'
// groups (priority 1000/100, as upstream's CRD registration) "true", and their APIServices go
// when the last CRD of that group/version does. Clients only read these; their own
// Service-backed APIServices are served by aggregator.ts.
import { RESOURCES, findResource, groupVersions } from '../api/resources'
import type { KubeObject } from '../api/object'
import { type ServerContext } from './context'
import { updateTracker } from './fieldmanager'
import { createObject } from './handlers/write'
import { rfc3339 } from '../kit/time'

const APISERVICES = findResource('apiregistration.k8s.io', 'v1', 'apiservices')!
export const AUTOMANAGED = 'kube-aggregator.kubernetes.io/automanaged'

/** Upstream's priorities for built-in group versions (pkg/controlplane/apiserver/aggregator.go). */
const PRIORITIES: Record<string, [number, number]> = {
  '/v1': [18000, 1],
  'apiregistration.k8s.io/v1': [18000, 15],
  'apps/v1': [17800, 15],
  'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15],
  'authorization.k8s.io/v1': [17600, 15],
  'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30],
  'batch/v1': [17400, 15],
  'certificates.k8s.io/v1': [17300, 15],
  'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'storage.k8s.io/v1': [16800, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1': [16700, 15],
  'scheduling.k8s.io/v1': [16600, 15],
  'coordination.k8s.io/v1': [16500, 15],
  'node.k8s.io/v1': [16300, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
}

interface Wanted {
  readonly name: string
  readonly group: string
  readonly version: string
  readonly priority: [number, number]
  readonly automanaged: 'onstart' | 'true'
}

function wanted(): Wanted[] {
  const gvs = [...groupVersions(), { group: 'metrics.k8s.io', version: 'v1beta1' }]
  return gvs.map(({ group, version }) => {
    const known = PRIORITIES[`${group}/${version}`]
    const builtIn = !!known || group === 'metrics.k8s.io' || RESOURCES.some((r) => r.group === group && r.version === version)
    return { name: `${version}.${group}`, group, version, priority: known ?? (builtIn ? [100, 15] : [1000, 100]), automanaged: builtIn ? 'onstart' : 'true' }
  })
}

function apiService(w: Wanted, now: string): KubeObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: w.name, labels: { [AUTOMANAGED]: w.automanaged } },
    spec: { ...(w.group ? { group: w.group } : {}), version: w.version, groupPriorityMinimum: w.priority[0], versionPriority: w.priority[1] },
    status: {
      conditions: [{ type: 'Available', status: 'True', lastTransitionTime: now, reason: 'Local', message: 'Local APIServices are always available' }],
    },
  }
}

/** Create the APIServices that are missing and delete automanaged ones nothing serves any more. */
export async function syncApiServices(ctx: ServerContext): Promise<void> {
  const want = wanted()
  const stored = new Map((await ctx.objects.list(APISERVICES, undefined)).items.map((s) => [s.obj.metadata!.name!, s]))
  const now = rfc3339(ctx.now())
  for (const w of want) {
    if (stored.has(w.name)) continue
    try {
      await createObject(ctx, APISERVICES, apiService(w, now), undefined, false, updateTracker(APISERVICES, { manager: 'kube-apiserver' }, ctx.now))
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e // another API server made it first
    }
  }
  const names = new Set(want.map((w) => w.name))
  for (const [name, s] of stored) {
    if (names.has(name) || !s.obj.metadata?.labels?.[AUTOMANAGED]) continue
    await ctx.objects.delete(APISERVICES, s.obj, s.kv.modRevision)
  }
}
