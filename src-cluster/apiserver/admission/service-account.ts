// Upstream's ServiceAccount admission on pod creation: `spec.serviceAccountName` defaults to
// `default`, and unless the pod or its ServiceAccount opts out (`automountServiceAccountToken:
// false`) the pod gets the `kube-api-access-XXXXX` projected volume — a bound token the kubelet
// requests and refreshes (3607 s), the cluster CA from `kube-root-ca.crt` and the namespace —
// mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container.
// A pod whose ServiceAccount does not exist is refused (403 `error looking up service account
// NS/NAME: serviceaccount "NAME" not found`). The controller manager makes each namespace's
// `default` account just after the namespace appears, so, as upstream, a missing `default` is
// looked up again for a while (10 tries 100–200 ms apart) before the pod is refused; a
// ReplicaSet's pods refused in that window are created again by its controller. An API server
// started with `disableAdmissionPlugins: ['ServiceAccount']` (upstream's
// `--disable-admission-plugins=ServiceAccount`, as its integration tests run without a controller
// manager) skips all of this.
import { randomInt } from 'node:crypto'
import type { Pod, Volume } from 'kubernetes-types/core/v1'
import type { ServerContext } from '../context'
import { findResource } from '../../api/resources'
import { errors } from '../status'

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

/** Upstream's getServiceAccount: the account, looked up again for a while when it is `default` (the controller may not have made it yet). */
async function lookUp(ctx: ServerContext, namespace: string | undefined, name: string): ReturnType<ServerContext['objects']['get']> {
  const attempts = name === 'default' ? 10 : 1
  const interval = 100 + randomInt(100)
  for (let i = 0; i < attempts; i++) {
    if (i) await new Promise((r) => setTimeout(r, interval))
    // Read only (its automount flag): a shared decoded object.
    const sa = await ctx.objects.getShared(SERVICE_ACCOUNTS, namespace, name)
    if (sa) return sa
  }
  return undefined
}

export async function serviceAccountAdmission(ctx: ServerContext, pod: Pod): Promise<void> {
  if (ctx.config.disabledAdmissionPlugins.has('ServiceAccount')) return
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return
  const spec = (pod.spec ??= { containers: [] })
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default'
  // The deprecated alias follows the name, as upstream's defaulting keeps them equal.
  ;(spec as { serviceAccount?: string }).serviceAccount = spec.serviceAccountName
  const namespace = pod.metadata?.namespace
  const sa = await lookUp(ctx, namespace, spec.serviceAccountName)
  if (!sa) {
    // admission.NewForbidden names the pod by name, else by generateName, else "Unknown".
    const name = pod.metadata?.name || pod.metadata?.generateName || 'Unknown'
    const account = spec.serviceAccountName
    throw errors.forbiddenObject(
      { group: '', plural: 'pods' },
      name,
      `error looking up service account ${namespace}/${account}: serviceaccount "${account}" not found`,
    )
  }
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
