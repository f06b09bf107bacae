// What each node may read, as upstream's Node authorizer graph: the pods bound to a node and
// the Secrets, ConfigMaps, PersistentVolumeClaims (and through them PersistentVolumes) and
// ServiceAccounts those pods reference. Kept in memory by a watch on the store, like the RBAC
// policy cache, so a kubelet's request costs no store read. A compacted watch re-lists. A watch
// event's object is the watch cache's (one decode shared with every watcher of the event).
import type { KubeObject } from '../../api/object'
import { type ResourceInfo } from '../../api/resources'
import type { KeyValue, Storage, Watcher } from '../../store/types'
import { decodeFor, resourcePrefix } from '../registry/objects'
import { RES } from '../../kit/resources'
import type { WatchCache } from '../cache/watch-cache'

export type NodeRefKind = 'secret' | 'configmap' | 'pvc' | 'serviceaccount'

interface LocalRef {
  readonly name?: string
}
interface EnvSource {
  readonly env?: { valueFrom?: { secretKeyRef?: LocalRef; configMapKeyRef?: LocalRef } }[]
  readonly envFrom?: { secretRef?: LocalRef; configMapRef?: LocalRef }[]
}
interface VolumeRefs {
  readonly name?: string
  readonly secret?: { secretName?: string }
  readonly configMap?: LocalRef
  readonly persistentVolumeClaim?: { claimName?: string }
  readonly ephemeral?: unknown
  readonly projected?: { sources?: { secret?: LocalRef; configMap?: LocalRef }[] }
  readonly [plugin: string]: unknown
}
interface PodShape {
  metadata?: { name?: string; namespace?: string; uid?: string }
  spec?: {
    nodeName?: string
    serviceAccountName?: string
    imagePullSecrets?: LocalRef[]
    volumes?: VolumeRefs[]
    containers?: EnvSource[]
    initContainers?: EnvSource[]
    ephemeralContainers?: EnvSource[]
  }
}

/** Volume plugins that name a Secret with `secretRef` (upstream's VisitPodSecretNames). */
const SECRET_REF_PLUGINS = ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos']

/** Every object a pod references, as `kind:name` (all in the pod's namespace). */
export function podReferences(pod: PodShape): Set<string> {
  const out = new Set<string>()
  const add = (kind: NodeRefKind, name: string | undefined): void => {
    if (name) out.add(`${kind}:${name}`)
  }
  const spec = pod.spec ?? {}
  add('serviceaccount', spec.serviceAccountName)
  for (const s of spec.imagePullSecrets ?? []) add('secret', s.name)
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add('secret', e.valueFrom?.secretKeyRef?.name)
      add('configmap', e.valueFrom?.configMapKeyRef?.name)
    }
    for (const e of c.envFrom ?? []) {
      add('secret', e.secretRef?.name)
      add('configmap', e.configMapRef?.name)
    }
  }
  for (const v of spec.volumes ?? []) {
    add('secret', v.secret?.secretName)
    add('configmap', v.configMap?.name)
    add('pvc', v.persistentVolumeClaim?.claimName)
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (v.ephemeral && pod.metadata?.name && v.name) add('pvc', `${pod.metadata.name}-${v.name}`)
    for (const s of v.projected?.sources ?? []) {
      add('secret', s.secret?.name)
      add('configmap', s.configMap?.name)
    }
    for (const p of SECRET_REF_PLUGINS) add('secret', (v[p] as { secretRef?: LocalRef } | undefined)?.secretRef?.name)
    add('secret', (v.csi as { nodePublishSecretRef?: LocalRef } | undefined)?.nodePublishSecretRef?.name)
    add('secret', (v.azureFile as { secretName?: string } | undefined)?.secretName)
  }
  return out
}

interface PodEntry {
  readonly node: string
  readonly namespace: string
  readonly uid: string
  readonly refs: ReadonlySet<string>
}

export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>() // ns/name
  /** node → `ns/kind:name` → how many of the node's pods reference it. */
  private readonly refs = new Map<string, Map<string, number>>()
  private readonly claimVolumes = new Map<string, string>() // ns/claim → PV name
  private readonly watchers: Watcher[] = []
  private closed = false

  private constructor(
    private readonly store: Storage,
    private readonly cache: WatchCache | undefined,
  ) {}

  /**
   * With `cache` (the API server's watch cache), a watch event's object is read as the cache
   * serves it: the watchers of the same event share that one decode instead of the graph
   * decoding every pod version on its own.
   */
  static async start(store: Storage, cache?: WatchCache): Promise<NodeGraph> {
    const g = new NodeGraph(store, cache)
    await g.sync(RES.pods)
    await g.sync(RES.pvcs)
    return g
  }

  private async sync(res: ResourceInfo): Promise<void> {
    const r = await this.store.range(resourcePrefix(res))
    if (res === RES.pods) {
      this.pods.clear()
      this.refs.clear()
    } else this.claimVolumes.clear()
    for (const kv of r.kvs) this.put(res, decodeFor(res, kv), kv)
    const w = this.store.watch(
      resourcePrefix(res),
      { afterRevision: r.revision },
      (events) => {
        for (const e of events) {
          if (e.type === 'put') this.put(res, this.cache ? this.cache.object(res, this.cache.encoded(res, e.kv)) : decodeFor(res, e.kv), e.kv)
          else this.remove(res, e.kv.key.slice(resourcePrefix(res).length))
        }
      },
      (err) => {
        if (this.closed || err.code === 'closed') return
        void this.sync(res).catch(() => undefined)
      },
    )
    this.watchers.push(w)
  }

  /** `obj`: the object stored at `kv` (read only, never kept). */
  private put(res: ResourceInfo, obj: KubeObject, kv: KeyValue): void {
    const key = kv.key.slice(resourcePrefix(res).length)
    if (res === RES.pvcs) {
      const pvc = obj as { spec?: { volumeName?: string } }
      if (pvc.spec?.volumeName) this.claimVolumes.set(key, pvc.spec.volumeName)
      else this.claimVolumes.delete(key)
      return
    }
    this.remove(res, key)
    const pod = obj as PodShape
    const node = pod.spec?.nodeName
    if (!node) return
    const entry: PodEntry = { node, namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '', refs: podReferences(pod) }
    this.pods.set(key, entry)
    let m = this.refs.get(node)
    if (!m) this.refs.set(node, (m = new Map()))
    for (const r of entry.refs) m.set(`${entry.namespace}/${r}`, (m.get(`${entry.namespace}/${r}`) ?? 0) + 1)
  }

  private remove(res: ResourceInfo, key: string): void {
    if (res === RES.pvcs) {
      this.claimVolumes.delete(key)
      return
    }
    const old = this.pods.get(key)
    if (!old) return
    this.pods.delete(key)
    const m = this.refs.get(old.node)
    if (!m) return
    for (const r of old.refs) {
      const k = `${old.namespace}/${r}`
      const n = (m.get(k) ?? 0) - 1
      if (n > 0) m.set(k, n)
      else m.delete(k)
    }
    if (!m.size) this.refs.delete(old.node)
  }

  /** Whether a pod bound to `node` references this object. */
  references(node: string, kind: NodeRefKind, namespace: string, name: string): boolean {
    return (this.refs.get(node)?.get(`${namespace}/${kind}:${name}`) ?? 0) > 0
  }

  /** Whether a PersistentVolume is bound to a claim a pod on `node` uses. */
  referencesVolume(node: string, pv: string): boolean {
    const m = this.refs.get(node)
    if (!m) return false
    for (const k of m.keys()) {
      const i = k.indexOf('/pvc:')
      if (i >= 0 && this.claimVolumes.get(`${k.slice(0, i)}/${k.slice(i + 5)}`) === pv) return true
    }
    return false
  }

  /** The node a pod is bound to, if the graph knows the pod. */
  podNode(namespace: string, name: string): string | undefined {
    return this.pods.get(`${namespace}/${name}`)?.node
  }

  close(): void {
    this.closed = true
    for (const w of this.watchers) w.cancel()
  }
}
