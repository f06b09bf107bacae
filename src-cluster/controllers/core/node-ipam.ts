// Node IPAM: every Node gets spec.podCIDR / spec.podCIDRs, a /nodeCIDRMaskSize slice of the
// cluster CIDR (10.244.N.0/24 by default). What existing nodes hold is learnt at start, so
// assignments are stable across controller restarts; a deleted node's range is reused.
import type { Informer } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { CidrAllocator } from './cidr'
import { isNotFound } from './util'
import type { NodeObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

export class NodeIpamController implements Controller {
  readonly name = 'node-ipam-controller'
  private q?: ControllerQueue
  private alloc?: CidrAllocator
  /** node name → the CIDR we hold for it (so a deletion releases the right range). */
  private readonly held = new Map<string, string>()

  async start(ctx: ControllerContext): Promise<void> {
    const alloc = (this.alloc = new CidrAllocator(ctx.options.clusterCIDR, ctx.options.nodeCIDRMaskSize))
    const nodes = ctx.informers.for<NodeObj>(RES.nodes)
    await nodes.start()
    for (const n of nodes.list()) this.remember(n)
    // One worker: allocation order is then deterministic and never races.
    const q = (this.q = startQueue(ctx, this.name, 1, (key) => this.reconcile(ctx, key, nodes)))
    nodes.addHandler({
      add: (n) => q.queue.add(String(n.metadata?.name)),
      update: (_o, n) => {
        this.remember(n)
        if (!n.spec?.podCIDR) q.queue.add(String(n.metadata?.name))
      },
      delete: (n) => {
        const name = String(n.metadata?.name)
        const cidr = this.held.get(name)
        if (cidr) alloc.release(cidr)
        this.held.delete(name)
      },
    })
  }

  stop(): void {
    this.q?.stop()
  }

  private remember(n: NodeObj): void {
    const cidr = n.spec?.podCIDR
    if (cidr && this.alloc?.occupy(cidr)) this.held.set(String(n.metadata?.name), cidr)
  }

  private async reconcile(ctx: ControllerContext, name: string, nodes: Informer<NodeObj>): Promise<void> {
    const node = nodes.get(name)
    if (!node || node.spec?.podCIDR) return
    let cidr = this.held.get(name)
    if (!cidr) {
      cidr = this.alloc!.allocate()
      if (!cidr) {
        ctx.recorder('cidrAllocator').event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`)
        return
      }
      this.held.set(name, cidr)
    }
    try {
      await ctx.client.patch(RES.nodes, undefined, name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge')
      ctx.log(`node-ipam-controller: node ${name} gets podCIDR ${cidr}`)
    } catch (e) {
      if (isNotFound(e)) {
        this.alloc!.release(cidr)
        this.held.delete(name)
        return
      }
      throw e
    }
  }
}
