// Pod volumes on the node's disk under <root-dir>/pods/<uid>/volumes/<plugin>/<name>:
// emptyDir, configMap/secret/downwardAPI/projected files (rewritten when their sources change;
// a projected serviceAccountToken is the token manager's current token for the pod),
// hostPath, and persistentVolumeClaims bound to local or hostPath PersistentVolumes.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import type { Container, KeyToPath, PersistentVolume, PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1'
import type { Mount } from './cri/types'
import { ConfigError, fieldPathValue, resourceFieldValue, type ObjectSource } from './env'
import { PROVISIONED_BY_ANNOTATION as PROVISIONED_BY } from '../kit/resources'
import { LOCAL_PATH_PROVISIONER } from '../kit/resources'

export interface VolumeSource extends ObjectSource {
  pvc(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>
  pv(name: string): Promise<PersistentVolume | undefined>
  /** A service-account token bound to the pod (the kubelet's token manager: cached, refreshed before expiry). */
  token(pod: Pod, req: { audience?: string; expirationSeconds: number }): Promise<string>
}

export interface VolumeContext {
  pod: Pod
  podIP?: string
  hostIP?: string
  node: { cpu: number; memory: number }
  source: VolumeSource
}

/** Where a pod's data lives on the node. */
export function podDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid)
}

/** One file a volume projects: relative path, bytes, mode. */
interface ProjectedFile {
  path: string
  data: Buffer
  mode: number
}

function safeRel(p: string): string {
  const n = normalize(p)
  if (n.startsWith('..') || n.startsWith('/')) throw new ConfigError(`volume item path ${JSON.stringify(p)} must stay inside the volume`)
  return n
}

function itemsOf(data: Record<string, Buffer>, items: readonly KeyToPath[] | undefined, defaultMode: number, what: string, optional: boolean): ProjectedFile[] {
  if (!items?.length) return Object.entries(data).map(([k, v]) => ({ path: safeRel(k), data: v, mode: defaultMode }))
  const out: ProjectedFile[] = []
  for (const it of items) {
    const v = data[it.key]
    if (v === undefined) {
      if (optional) continue
      throw new ConfigError(`couldn't find key ${it.key} in ${what}`)
    }
    out.push({ path: safeRel(it.path), data: v, mode: it.mode ?? defaultMode })
  }
  return out
}

const b64map = (o: Record<string, string> | undefined): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
const strmap = (o: Record<string, string> | undefined): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Buffer.from(v)]))

async function configMapFiles(
  ns: string,
  src: { name?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean },
  ctx: VolumeContext,
  mode: number,
): Promise<ProjectedFile[]> {
  const cm = await ctx.source.configMap(ns, src.name ?? '')
  if (!cm) {
    if (src.optional) return []
    throw new ConfigError(`configmap "${src.name}" not found`)
  }
  return itemsOf({ ...strmap(cm.data), ...b64map(cm.binaryData) }, src.items, src.defaultMode ?? mode, `ConfigMap ${ns}/${src.name}`, !!src.optional)
}

async function secretFiles(
  ns: string,
  name: string,
  src: { items?: KeyToPath[]; defaultMode?: number; optional?: boolean },
  ctx: VolumeContext,
  mode: number,
): Promise<ProjectedFile[]> {
  const s = await ctx.source.secret(ns, name)
  if (!s) {
    if (src.optional) return []
    throw new ConfigError(`secret "${name}" not found`)
  }
  return itemsOf({ ...b64map(s.data), ...strmap(s.stringData) }, src.items, src.defaultMode ?? mode, `Secret ${ns}/${name}`, !!src.optional)
}

function downwardFiles(
  items: readonly {
    path: string
    fieldRef?: { fieldPath: string }
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: unknown }
    mode?: number
  }[],
  ctx: VolumeContext,
  mode: number,
): ProjectedFile[] {
  return items.map((it) => {
    let value = ''
    if (it.fieldRef) value = fieldPathValue(ctx.pod, it.fieldRef.fieldPath, ctx)
    else if (it.resourceFieldRef) {
      const c = [...(ctx.pod.spec?.containers ?? [])].find((x) => x.name === it.resourceFieldRef?.containerName) ?? ctx.pod.spec?.containers?.[0]
      if (!c) throw new ConfigError('downwardAPI resourceFieldRef names no container')
      value = resourceFieldValue(
        c,
        it.resourceFieldRef.resource,
        it.resourceFieldRef.divisor === undefined ? undefined : String(it.resourceFieldRef.divisor),
        ctx.node,
      )
    }
    return { path: safeRel(it.path), data: Buffer.from(value), mode: it.mode ?? mode }
  })
}

/** Writes files that changed and removes ones no longer projected. Returns true if anything changed. */
function syncFiles(dir: string, files: ProjectedFile[]): boolean {
  mkdirSync(dir, { recursive: true })
  let changed = false
  const want = new Set(files.map((f) => f.path))
  for (const f of files) {
    const p = join(dir, f.path)
    mkdirSync(dirname(p), { recursive: true })
    if (!existsSync(p) || !readFileSync(p).equals(f.data)) {
      // Through a rename, so a container reading a refreshed token never sees half of it.
      const tmp = join(dirname(p), `..${f.path.split('/').pop()}.tmp`)
      writeFileSync(tmp, f.data, { mode: f.mode & 0o777 })
      renameSync(tmp, p)
      changed = true
    }
    if ((statSync(p).mode & 0o777) !== (f.mode & 0o777)) chmodSync(p, f.mode & 0o777)
  }
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(join(d, e.name), r)
      else if (!want.has(r)) {
        rmSync(join(d, e.name), { force: true })
        changed = true
      }
    }
  }
  walk(dir, '')
  return changed
}

/** Host paths of the pod's volumes, by volume name. */
export type VolumePaths = Map<string, { hostPath: string; readOnly: boolean }>

/** Creates or refreshes every volume of the pod; throws ConfigError for missing sources. */
export async function setUpVolumes(rootDir: string, ctx: VolumeContext): Promise<VolumePaths> {
  const pod = ctx.pod
  const ns = pod.metadata?.namespace ?? 'default'
  const base = join(podDir(rootDir, pod.metadata?.uid ?? ''), 'volumes')
  const out: VolumePaths = new Map()
  for (const v of pod.spec?.volumes ?? []) out.set(v.name, await setUpVolume(base, ns, v, ctx))
  return out
}

async function setUpVolume(base: string, ns: string, v: Volume, ctx: VolumeContext): Promise<{ hostPath: string; readOnly: boolean }> {
  const dir = (plugin: string): string => join(base, plugin, v.name)
  if (v.emptyDir) {
    mkdirSync(dir('kubernetes.io~empty-dir'), { recursive: true, mode: 0o777 })
    chmodSync(dir('kubernetes.io~empty-dir'), 0o777)
    return { hostPath: dir('kubernetes.io~empty-dir'), readOnly: false }
  }
  if (v.configMap) {
    syncFiles(dir('kubernetes.io~configmap'), await configMapFiles(ns, v.configMap, ctx, 0o644))
    return { hostPath: dir('kubernetes.io~configmap'), readOnly: true }
  }
  if (v.secret) {
    syncFiles(dir('kubernetes.io~secret'), await secretFiles(ns, v.secret.secretName ?? '', v.secret, ctx, 0o644))
    return { hostPath: dir('kubernetes.io~secret'), readOnly: true }
  }
  if (v.downwardAPI) {
    syncFiles(dir('kubernetes.io~downward-api'), downwardFiles(v.downwardAPI.items ?? [], ctx, v.downwardAPI.defaultMode ?? 0o644))
    return { hostPath: dir('kubernetes.io~downward-api'), readOnly: true }
  }
  if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644
    const files: ProjectedFile[] = []
    for (const s of v.projected.sources ?? []) {
      if (s.configMap) files.push(...(await configMapFiles(ns, s.configMap, ctx, mode)))
      if (s.secret) files.push(...(await secretFiles(ns, s.secret.name ?? '', s.secret, ctx, mode)))
      if (s.downwardAPI) files.push(...downwardFiles(s.downwardAPI.items ?? [], ctx, mode))
      if (s.serviceAccountToken) {
        const t = s.serviceAccountToken
        const token = await ctx.source.token(ctx.pod, { audience: t.audience || undefined, expirationSeconds: t.expirationSeconds ?? 3600 })
        files.push({ path: safeRel(t.path), data: Buffer.from(token), mode })
      }
    }
    syncFiles(dir('kubernetes.io~projected'), files)
    return { hostPath: dir('kubernetes.io~projected'), readOnly: true }
  }
  if (v.hostPath) {
    const p = v.hostPath.path
    const type = v.hostPath.type ?? ''
    if (type === 'DirectoryOrCreate' && !existsSync(p)) mkdirSync(p, { recursive: true, mode: 0o755 })
    else if (type === 'FileOrCreate' && !existsSync(p)) {
      mkdirSync(dirname(p), { recursive: true })
      writeFileSync(p, '')
    } else if ((type === 'Directory' || type === 'File') && !existsSync(p)) throw new ConfigError(`hostPath ${p} does not exist (type ${type})`)
    return { hostPath: p, readOnly: false }
  }
  if (v.persistentVolumeClaim) {
    const claim = v.persistentVolumeClaim.claimName
    const pvc = await ctx.source.pvc(ns, claim)
    if (!pvc) throw new ConfigError(`persistentvolumeclaim "${claim}" not found`)
    const pvName = pvc.spec?.volumeName
    if (!pvName || pvc.status?.phase !== 'Bound') throw new ConfigError(`persistentvolumeclaim "${claim}" is not bound`)
    const pv = await ctx.source.pv(pvName)
    let p = pv?.spec?.local?.path ?? pv?.spec?.hostPath?.path
    if (!p) throw new ConfigError(`persistentvolume "${pvName}" is neither local nor hostPath; this kubelet mounts only those`)
    // Volumes of KubeLab's local-path provisioner are made here, on the node the claim was
    // bound to (as rancher's provisioner does with a helper pod), under the node's root: `/` on
    // a VM, the node's folder on a local node (so deleting the cluster takes them along).
    if (pv?.metadata?.annotations?.[PROVISIONED_BY] === LOCAL_PATH_PROVISIONER && pv.spec?.local) {
      p = join(process.env.KUBELAB_ROOT || '/', p)
      mkdirSync(p, { recursive: true, mode: 0o777 })
    }
    if (!existsSync(p)) {
      if (pv?.spec?.hostPath) mkdirSync(p, { recursive: true })
      else throw new ConfigError(`local volume path ${p} of persistentvolume "${pvName}" does not exist on this node`)
    }
    return { hostPath: p, readOnly: !!v.persistentVolumeClaim.readOnly }
  }
  throw new ConfigError(
    `volume ${v.name}: unsupported volume type (supported: emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim)`,
  )
}

/** CRI mounts for a container's volumeMounts. */
export function containerMounts(container: Container, vols: VolumePaths): Mount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const v = vols.get(m.name)
    if (!v) throw new ConfigError(`container ${container.name}: volumeMount ${m.name} names no volume of the pod`)
    let host = v.hostPath
    if (m.subPath) {
      host = join(host, safeRel(m.subPath))
      if (!existsSync(host)) mkdirSync(host, { recursive: true })
    }
    const propagation =
      m.mountPropagation === 'Bidirectional'
        ? 'PROPAGATION_BIDIRECTIONAL'
        : m.mountPropagation === 'HostToContainer'
          ? 'PROPAGATION_HOST_TO_CONTAINER'
          : 'PROPAGATION_PRIVATE'
    return { containerPath: m.mountPath, hostPath: host, readonly: !!m.readOnly || v.readOnly, propagation }
  })
}

/** Removes the pod's folder (off the event loop: many pods deleted at once spent seconds of the main thread in unlink and rmdir). */
export async function tearDownVolumes(rootDir: string, uid: string): Promise<void> {
  await rm(podDir(rootDir, uid), { recursive: true, force: true })
}
