// ServiceAccount controller and root-CA publisher: every active namespace has a `default`
// ServiceAccount and a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA, so pods
// can verify the API server. Both are recreated when deleted and the ConfigMap is put back
// when edited.
import type { Informer } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { isAlreadyExists } from './util'
import type { ConfigMapObj, NamespaceObj, ServiceAccountObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { splitKey } from '../../kit/keys'

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt'
const DESCRIPTION =
  'The cluster CA bundle: pods use it to check the API server certificate when they connect through the kubernetes.default service. Nothing else about it is guaranteed.'

/** The CA PEM to publish: ControllerOptions.rootCAPem, else the CA this controller's client trusts. */
export function rootCAPem(ctx: ControllerContext): string {
  const fromOptions = (ctx.options as { rootCAPem?: string }).rootCAPem
  return fromOptions ?? ctx.client.config.caPem
}

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller'
  private q?: ControllerQueue

  async start(ctx: ControllerContext): Promise<void> {
    const namespaces = ctx.informers.for<NamespaceObj>(RES.namespaces)
    const accounts = ctx.informers.for<ServiceAccountObj>(RES.serviceaccounts)
    const configmaps = ctx.informers.for<ConfigMapObj>(RES.configmaps)
    const q = (this.q = startQueue(ctx, this.name, 2, (ns) => this.reconcile(ctx, ns, namespaces, accounts, configmaps)))
    namespaces.addHandler({ add: (n) => q.queue.add(String(n.metadata?.name)), update: (_o, n) => q.queue.add(String(n.metadata?.name)) })
    accounts.addHandler({ delete: (sa) => sa.metadata?.name === 'default' && q.queue.add(String(sa.metadata.namespace)) })
    const onCm = (cm: ConfigMapObj) => cm.metadata?.name === ROOT_CA_CONFIGMAP && q.queue.add(String(cm.metadata.namespace))
    configmaps.addHandler({ update: (_o, n) => onCm(n), delete: onCm })
    await Promise.all([namespaces.start(), accounts.start(), configmaps.start()])
    for (const n of namespaces.list()) q.queue.add(String(n.metadata?.name))
  }

  stop(): void {
    this.q?.stop()
  }

  private async reconcile(
    ctx: ControllerContext,
    ns: string,
    namespaces: Informer<NamespaceObj>,
    accounts: Informer<ServiceAccountObj>,
    configmaps: Informer<ConfigMapObj>,
  ): Promise<void> {
    const namespace = namespaces.get(splitKey(ns).name)
    // A terminating namespace refuses new content; a missing one needs nothing.
    if (!namespace || namespace.metadata?.deletionTimestamp) return
    if (!accounts.get(`${ns}/default`)) {
      await this.createIgnoringExisting(ctx, RES.serviceaccounts, ns, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: ns },
      })
    }
    const ca = rootCAPem(ctx)
    const cm = configmaps.get(`${ns}/${ROOT_CA_CONFIGMAP}`)
    if (!cm) {
      await this.createIgnoringExisting(ctx, RES.configmaps, ns, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': DESCRIPTION } },
        data: { 'ca.crt': ca },
      })
    } else if (cm.data?.['ca.crt'] !== ca || Object.keys(cm.data ?? {}).length !== 1) {
      await ctx.client.update(RES.configmaps, { ...cm, data: { 'ca.crt': ca } })
    }
  }

  private async createIgnoringExisting(ctx: ControllerContext, res: typeof RES.configmaps, ns: string, body: ConfigMapObj | ServiceAccountObj): Promise<void> {
    try {
      await ctx.client.create(res, ns, body)
    } catch (e) {
      // Our cache was behind; the informer will show it. A terminating namespace answers 403: fine.
      if (isAlreadyExists(e) || (e as { code?: number }).code === 403) return
      throw e
    }
  }
}
