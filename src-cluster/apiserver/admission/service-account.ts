// Upstream's ServiceAccount admission on pod creation: `spec.serviceAccountName` defaults to
// `default`, and unless the pod or its ServiceAccount opts out (`automountServiceAccountToken:
// false`) the pod gets the `kube-api-access-XXXXX` projected volume — a bound token the kubelet
// requests and refreshes (3607 s), the cluster CA from `kube-root-ca.crt` and the namespace —
// mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container.
// Deviation: upstream refuses a pod whose ServiceAccount does not exist (403 "error looking up
// service account"); here such a pod is admitted without the volume, so an API server running
// without the controller manager (which makes each namespace's `default`) still takes pods.
import { randomInt } from 'node:crypto'
import type { Pod, Volume } from 'kubernetes-types/core/v1'
import type { ServerContext } from '../context'
import { findResource } from '../../api/resources'

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount'
const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror'
// utilrand.String's alphabet (no vowels, no confusable digits).
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789'

function apiAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  }
}

export async function serviceAccountAdmission(ctx: ServerContext, pod: Pod): Promise<void> {
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return
  const spec = (pod.spec ??= { containers: [] })
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default'
  // The deprecated alias follows the name, as upstream's defaulting keeps them equal.
  ;(spec as { serviceAccount?: string }).serviceAccount = spec.serviceAccountName
  const sa = await ctx.objects.get(SERVICE_ACCOUNTS, pod.metadata?.namespace, spec.serviceAccountName)
  if (!sa) return
  const automount = spec.automountServiceAccountToken ?? (sa.obj as { automountServiceAccountToken?: boolean }).automountServiceAccountToken ?? true
  if (!automount) return
  const containers = [...(spec.initContainers ?? []), ...spec.containers]
  if (containers.some((c) => c.volumeMounts?.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT))) return
  const taken = new Set((spec.volumes ?? []).map((v) => v.name))
  let name: string
  do name = `kube-api-access-${Array.from({ length: 5 }, () => ALPHANUMS[randomInt(ALPHANUMS.length)]).join('')}`
  while (taken.has(name))
  spec.volumes = [...(spec.volumes ?? []), apiAccessVolume(name)]
  for (const c of containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT }]
}
