// The ConfigMaps and Secrets the node's pods use, kept current by watches (upstream's
// watch-based configmap/secret managers, pkg/kubelet/util/manager): each object a pod refers to
// (volumes, projected sources, envFrom, env valueFrom, imagePullSecrets) gets one informer of
// that object alone (its namespace, fieldSelector metadata.name=NAME: what the Node authorizer
// lets a node read), shared by every pod that refers to it and stopped when the last such pod is
// gone. Pods read the cache instead of GETting the object on every volume set-up, and a pod is
// told when an object it uses changes (its volume files are rewritten at once).
import type { ConfigMap, EnvFromSource, EnvVar, Pod, Secret } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../api/object'
import { Informer, isNotFound, type Client, type ResourceRef } from '../client'

/** How long a read waits for a new object's first list before it asks the API server itself. */
const SYNC_WAIT_MS = 5000

type Kind = 'configmap' | 'secret'

/** The ConfigMaps or Secrets a pod refers to, as upstream's VisitPodConfigmapNames / VisitPodSecretNames. */
export function podReferences(pod: Pod, kind: Kind): string[] {
  const out = new Set<string>()
  const add = (name: string | undefined): void => {
    if (name) out.add(name)
  }
  const spec = pod.spec
  for (const v of spec?.volumes ?? []) {
    if (kind === 'configmap') add(v.configMap?.name)
    else add(v.secret?.secretName)
    for (const s of v.projected?.sources ?? []) add(kind === 'configmap' ? s.configMap?.name : s.secret?.name)
  }
  const containers = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...((spec?.ephemeralContainers ?? []) as { envFrom?: EnvFromSource[]; env?: EnvVar[] }[]),
  ]
  for (const c of containers) {
    for (const f of c.envFrom ?? []) add(kind === 'configmap' ? f.configMapRef?.name : f.secretRef?.name)
    for (const e of c.env ?? []) add(kind === 'configmap' ? e.valueFrom?.configMapKeyRef?.name : e.valueFrom?.secretKeyRef?.name)
  }
  if (kind === 'secret') for (const s of spec?.imagePullSecrets ?? []) add(s.name)
  return [...out]
}

interface Entry<T extends KubeObject> {
  readonly informer: Informer<T>
  /** Pods (uids) that refer to the object. */
  readonly pods: Set<string>
  readonly synced: Promise<void>
}

/** One kind's watched objects (ConfigMaps or Secrets), reference-counted by pod. */
export class WatchedObjects<T extends KubeObject> {
  private readonly entries = new Map<string, Entry<T>>()
  /** The keys each pod registered (namespace/name). */
  private readonly byPod = new Map<string, string[]>()
  private stopped = false

  constructor(
    private readonly client: Client,
    private readonly res: ResourceRef,
    private readonly kind: Kind,
    private readonly opts: { log: (line: string) => void; changed: (podUids: readonly string[]) => void },
  ) {}

  /** Starts watching what the pod refers to (again after a spec change); stops what no pod uses any more. */
  register(pod: Pod): void {
    if (this.stopped) return
    const uid = pod.metadata?.uid ?? ''
    const ns = pod.metadata?.namespace ?? 'default'
    const keys = podReferences(pod, this.kind).map((n) => `${ns}/${n}`)
    const before = this.byPod.get(uid) ?? []
    if (before.length === keys.length && before.every((k, i) => k === keys[i])) return
    for (const k of keys) this.entry(k).pods.add(uid)
    this.byPod.set(uid, keys)
    for (const k of before) if (!keys.includes(k)) this.release(k, uid)
  }

  /** The pod is gone from this node. */
  unregister(uid: string): void {
    for (const k of this.byPod.get(uid) ?? []) this.release(k, uid)
    this.byPod.delete(uid)
  }

  /** The object from the watch cache (undefined: it does not exist); a GET for objects no pod registered. */
  async get(namespace: string, name: string): Promise<T | undefined> {
    const e = this.entries.get(`${namespace}/${name}`)
    if (e) {
      let timer: NodeJS.Timeout | undefined
      const waited = await Promise.race([
        e.synced.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), SYNC_WAIT_MS)
        }),
      ])
      clearTimeout(timer)
      if (waited && e.informer.hasSynced()) return e.informer.getByName(namespace, name)
    }
    return this.client.get<T>(this.res, namespace, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))
  }

  /** Objects watched now (tests, benches). */
  watched(): string[] {
    return [...this.entries.keys()]
  }

  stop(): void {
    this.stopped = true
    for (const e of this.entries.values()) e.informer.stop()
    this.entries.clear()
    this.byPod.clear()
  }

  private entry(key: string): Entry<T> {
    let e = this.entries.get(key)
    if (e) return e
    const slash = key.indexOf('/')
    const informer = new Informer<T>(this.client, this.res, {
      namespace: key.slice(0, slash),
      fieldSelector: `metadata.name=${key.slice(slash + 1)}`,
      stripManagedFields: true,
      log: this.opts.log,
    })
    const pods = new Set<string>()
    // Changes after the first list: an edit rewrites the pods' volume files; a created object
    // lets pods waiting for it start; a deleted one shows as an error on their next set-up.
    const changed = (): void => {
      if (informer.hasSynced() && pods.size) this.opts.changed([...pods])
    }
    informer.addHandler({
      add: changed,
      update: (a, b) => (a.metadata?.resourceVersion !== b.metadata?.resourceVersion ? changed() : undefined),
      delete: changed,
    })
    e = { informer, pods, synced: informer.start() }
    this.entries.set(key, e)
    return e
  }

  private release(key: string, uid: string): void {
    const e = this.entries.get(key)
    if (!e) return
    e.pods.delete(uid)
    if (e.pods.size) return
    e.informer.stop()
    this.entries.delete(key)
  }
}

/** The node's ConfigMap and Secret managers. */
export class PodObjectManager {
  readonly configMaps: WatchedObjects<ConfigMap & KubeObject>
  readonly secrets: WatchedObjects<Secret & KubeObject>

  constructor(
    client: Client,
    res: { configmaps: ResourceRef; secrets: ResourceRef },
    opts: { log: (line: string) => void; changed: (podUids: readonly string[]) => void },
  ) {
    this.configMaps = new WatchedObjects(client, res.configmaps, 'configmap', opts)
    this.secrets = new WatchedObjects(client, res.secrets, 'secret', opts)
  }

  register(pod: Pod): void {
    this.configMaps.register(pod)
    this.secrets.register(pod)
  }

  unregister(uid: string): void {
    this.configMaps.unregister(uid)
    this.secrets.unregister(uid)
  }

  stop(): void {
    this.configMaps.stop()
    this.secrets.stop()
  }
}
