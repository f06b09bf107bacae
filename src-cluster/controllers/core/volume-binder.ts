// PersistentVolume controller: binds Pending claims to fitting Available volumes (claimRef on
// the volume, volumeName on the claim, both phases Bound), provisions volumes for classes whose
// provisioner is kubelab.dev/local-path, honours volumeBindingMode WaitForFirstConsumer (binding
// waits for a scheduled pod using the claim; its node is recorded in the claim's
// volume.kubernetes.io/selected-node annotation), releases volumes whose claim is gone and
// deletes them when their reclaim policy is Delete. It also makes sure the default
// StorageClass `standard` exists.
import type { Informer } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { defaultClass, standardStorageClass } from '../../apiserver/admission/default-storage-class'
import { provisionedName, provisionLocalVolume, SELECTED_NODE_ANNOTATION } from './local-path'
import { claimClass, findVolume } from './pv-match'
import { isAlreadyExists, isConflict, isNotFound } from './util'
import type { ClassObj, NodeObj, PodObj, PVCObj, PVObj } from '../../kit/objects'
import { LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION, RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed'
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller'
const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner'
const BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner'

interface Caches {
  pvcs: Informer<PVCObj>
  pvs: Informer<PVObj>
  classes: Informer<ClassObj>
  pods: Informer<PodObj>
  nodes: Informer<NodeObj>
}

/** Claim names a pod mounts. */
function claimsOf(pod: PodObj): string[] {
  return (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((c): c is string => !!c)
}

export class VolumeBinderController implements Controller {
  readonly name = 'persistentvolume-binder-controller'
  private q?: ControllerQueue

  async start(ctx: ControllerContext): Promise<void> {
    const c: Caches = {
      pvcs: ctx.informers.for<PVCObj>(RES.pvcs),
      pvs: ctx.informers.for<PVObj>(RES.pvs),
      classes: ctx.informers.for<ClassObj>(RES.storageclasses),
      pods: ctx.informers.for<PodObj>(RES.pods),
      nodes: ctx.informers.for<NodeObj>(RES.nodes),
    }
    const q = (this.q = startQueue(ctx, this.name, 2, (key) =>
      key.startsWith('pv:') ? this.syncVolume(ctx, key.slice(3), c) : this.syncClaim(ctx, key.slice(4), c),
    ))
    const onClaim = (p: PVCObj) => q.queue.add(`pvc:${keyOf(p)}`)
    const onVolume = (v: PVObj) => {
      q.queue.add(`pv:${v.metadata?.name}`)
      const ref = v.spec?.claimRef
      if (ref?.name) q.queue.add(`pvc:${ref.namespace}/${ref.name}`)
      // A free volume may be what a waiting claim needs: the claim's event can arrive before
      // the volume's (two watches), and nothing else would look at that claim again.
      else for (const p of c.pvcs.list()) if (!p.spec?.volumeName && p.status?.phase !== 'Bound') onClaim(p)
    }
    c.pvcs.addHandler({
      add: onClaim,
      update: (_o, n) => onClaim(n),
      delete: (p) => {
        // Volumes bound to it are now released.
        for (const v of c.pvs.list()) if (v.spec?.claimRef?.uid === p.metadata?.uid) q.queue.add(`pv:${v.metadata?.name}`)
      },
    })
    c.pvs.addHandler({ add: onVolume, update: (_o, n) => onVolume(n), delete: onVolume })
    const onPod = (p: PodObj) => {
      if (p.spec?.nodeName) for (const claim of claimsOf(p)) q.queue.add(`pvc:${p.metadata?.namespace}/${claim}`)
    }
    c.pods.addHandler({ add: onPod, update: (o, n) => o.spec?.nodeName !== n.spec?.nodeName && onPod(n) })
    c.classes.addHandler({
      add: () => {
        for (const p of c.pvcs.list()) if (p.status?.phase !== 'Bound') onClaim(p)
      },
    })
    await Promise.all(Object.values(c).map((i: Informer<PVCObj> | Informer<PVObj> | Informer<ClassObj> | Informer<PodObj> | Informer<NodeObj>) => i.start()))
    await this.ensureDefaultClass(ctx, c)
  }

  stop(): void {
    this.q?.stop()
  }

  private async ensureDefaultClass(ctx: ControllerContext, c: Caches): Promise<void> {
    if (c.classes.get('standard') || defaultClass(c.classes.list())) return
    try {
      await ctx.client.create(RES.storageclasses, undefined, standardStorageClass() as ClassObj)
      ctx.log(`${this.name}: created the default StorageClass "standard" (${LOCAL_PATH_PROVISIONER})`)
    } catch (e) {
      if (!isAlreadyExists(e)) throw e
    }
  }

  private event(ctx: ControllerContext, obj: PVCObj | PVObj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    ctx.recorder('persistentvolume-controller').event(obj, type, reason, message)
  }

  private async syncClaim(ctx: ControllerContext, key: string, c: Caches): Promise<void> {
    const pvc = c.pvcs.get(key)
    if (!pvc || pvc.metadata?.deletionTimestamp) return
    const { namespace, name } = splitKey(key)
    const volumeName = pvc.spec?.volumeName
    if (volumeName) {
      const pv = c.pvs.get(volumeName)
      if (!pv) {
        if (pvc.status?.phase === 'Bound') {
          await this.setClaimPhase(ctx, pvc, 'Lost')
          this.event(ctx, pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!')
        }
        return
      }
      const ref = pv.spec?.claimRef
      if (ref && ref.uid && ref.uid !== pvc.metadata?.uid) {
        this.event(ctx, pvc, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`)
        return
      }
      return this.bind(ctx, pv, pvc)
    }
    const className = claimClass(pvc)
    const sc = className ? c.classes.get(className) : undefined
    let selectedNode = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION]
    if (sc?.volumeBindingMode === 'WaitForFirstConsumer' && !selectedNode) {
      const consumer = c.pods.list().find((p) => p.metadata?.namespace === namespace && p.spec?.nodeName && claimsOf(p).includes(name))
      if (!consumer) {
        this.event(ctx, pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding')
        return
      }
      selectedNode = String(consumer.spec!.nodeName)
      await ctx.client.patch(
        RES.pvcs,
        namespace,
        name,
        { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: selectedNode }, resourceVersion: pvc.metadata?.resourceVersion } },
        'merge',
      )
      return // the update comes back through the informer
    }
    const pv = findVolume(c.pvs.list(), pvc)
    if (pv) return this.bind(ctx, pv, pvc)
    if (sc?.provisioner === LOCAL_PATH_PROVISIONER) return this.provision(ctx, pvc, sc, selectedNode, c)
    if (sc?.provisioner) {
      this.event(
        ctx,
        pvc,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      )
      return
    }
    this.event(
      ctx,
      pvc,
      'Normal',
      'FailedBinding',
      className ? `storageclass.storage.k8s.io "${className}" not found` : 'no persistent volumes available for this claim and no storage class is set',
    )
  }

  private async provision(ctx: ControllerContext, pvc: PVCObj, sc: ClassObj, selectedNode: string | undefined, c: Caches): Promise<void> {
    const pvName = provisionedName(pvc)
    if (c.pvs.get(pvName)) return // made already; binding follows its informer event
    const node =
      selectedNode ??
      c.nodes
        .list()
        .map((n) => String(n.metadata?.name))
        .sort()[0]
    if (!node) {
      this.event(ctx, pvc, 'Warning', 'ProvisioningFailed', 'no node to place a local volume on: register a node first')
      return
    }
    const ns = pvc.metadata?.namespace
    if (pvc.metadata?.annotations?.[STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) {
      await ctx.client.patch(
        RES.pvcs,
        ns,
        String(pvc.metadata?.name),
        { metadata: { annotations: { [STORAGE_PROVISIONER]: LOCAL_PATH_PROVISIONER, [BETA_STORAGE_PROVISIONER]: LOCAL_PATH_PROVISIONER } } },
        'merge',
      )
      this.event(ctx, pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata?.name}"`)
    }
    try {
      await ctx.client.create(RES.pvs, undefined, provisionLocalVolume(pvc, sc, node) as PVObj)
    } catch (e) {
      if (!isAlreadyExists(e)) throw e
    }
    this.event(ctx, pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`)
  }

  /** Bind both ways, each step idempotent: volume claimRef, volume phase, claim volumeName, claim phase. */
  private async bind(ctx: ControllerContext, pv: PVObj, pvc: PVCObj): Promise<void> {
    const pvName = String(pv.metadata?.name)
    const ns = pvc.metadata?.namespace
    const claimName = String(pvc.metadata?.name)
    if (pv.spec?.claimRef?.uid !== pvc.metadata?.uid) {
      const claimRef = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: ns,
        name: claimName,
        uid: pvc.metadata?.uid,
        resourceVersion: pvc.metadata?.resourceVersion,
      }
      const annotations = pv.spec?.claimRef ? {} : { [BOUND_BY_CONTROLLER]: 'yes' }
      await ctx.client.patch(
        RES.pvs,
        undefined,
        pvName,
        { metadata: { annotations, resourceVersion: pv.metadata?.resourceVersion }, spec: { claimRef } },
        'merge',
      )
      return // continue from fresh caches
    }
    if (pv.status?.phase !== 'Bound') {
      await ctx.client.patch(RES.pvs, undefined, pvName, { status: { phase: 'Bound' } }, 'merge', { subresource: 'status' })
    }
    if (pvc.spec?.volumeName !== pvName || pvc.metadata?.annotations?.[BIND_COMPLETED] !== 'yes') {
      const annotations: Record<string, string> = { [BIND_COMPLETED]: 'yes' }
      if (!pvc.spec?.volumeName) annotations[BOUND_BY_CONTROLLER] = 'yes'
      await ctx.client.patch(
        RES.pvcs,
        ns,
        claimName,
        { metadata: { annotations, resourceVersion: pvc.metadata?.resourceVersion }, spec: { volumeName: pvName } },
        'merge',
      )
      return
    }
    if (pvc.status?.phase !== 'Bound') {
      await ctx.client.patch(RES.pvcs, ns, claimName, { status: { phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } }, 'merge', {
        subresource: 'status',
      })
      ctx.log(`${this.name}: bound claim ${ns}/${claimName} to volume ${pvName}`)
    }
  }

  private async setClaimPhase(ctx: ControllerContext, pvc: PVCObj, phase: string): Promise<void> {
    await ctx.client.patch(RES.pvcs, pvc.metadata?.namespace, String(pvc.metadata?.name), { status: { phase } }, 'merge', { subresource: 'status' })
  }

  private async syncVolume(ctx: ControllerContext, name: string, c: Caches): Promise<void> {
    const pv = c.pvs.get(name)
    if (!pv || pv.metadata?.deletionTimestamp) return
    const ref = pv.spec?.claimRef
    if (!ref) {
      if (pv.status?.phase !== 'Available')
        await ctx.client.patch(RES.pvs, undefined, name, { status: { phase: 'Available' } }, 'merge', { subresource: 'status' })
      return
    }
    const claim = c.pvcs.get(`${ref.namespace}/${ref.name}`)
    if (claim && (!ref.uid || claim.metadata?.uid === ref.uid)) return // bound or binding: the claim's sync does the rest
    if (!ref.uid) return // pre-bound by name to a claim that does not exist yet
    // The claim is gone (the cache may lag: confirm with the API server).
    const live = await ctx.client.get<PVCObj>(RES.pvcs, ref.namespace, String(ref.name))
    if (live && live.metadata?.uid === ref.uid) return
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain'
    if (policy === 'Delete') {
      if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) {
        // Only we know how to delete what we made; anything else stays Released, as upstream with no plugin.
        if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') {
          await ctx.client.patch(
            RES.pvs,
            undefined,
            name,
            { status: { phase: 'Failed', message: 'error getting deleter volume plugin for volume: no deletable volume plugin matched' } },
            'merge',
            { subresource: 'status' },
          )
          this.event(ctx, pv, 'Warning', 'VolumeFailedDelete', 'error getting deleter volume plugin for volume: no deletable volume plugin matched')
        }
        return
      }
      try {
        await ctx.client.delete(RES.pvs, undefined, name, { preconditions: { uid: pv.metadata?.uid } })
        ctx.log(`${this.name}: deleted volume ${name} (claim ${ref.namespace}/${ref.name} gone, reclaim policy Delete)`)
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e
      }
      return
    }
    if (pv.status?.phase !== 'Released') {
      await ctx.client.patch(RES.pvs, undefined, name, { status: { phase: 'Released' } }, 'merge', { subresource: 'status' })
    }
  }
}
