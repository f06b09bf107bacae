// Test pods on a bench node (the pods and node-agent benches): the locally built busybox and
// pause images loaded into the node's containerd, a busybox pod that sleeps until TERM, and
// deleting pods until the node is quiet again (objects and sandboxes gone).
import { join } from 'node:path'
import type { Pod } from 'kubernetes-types/core/v1'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage, BUSYBOX_IMAGE } from '../../provisioning/images'
import type { KubeObject } from '../../src-cluster/api/object'
import type { Client } from '../../src-cluster/client'
import { RES } from '../../src-cluster/kit/resources'
import type { CriClient } from '../../src-cluster/kubelet/cri/client'

/** Builds the busybox and pause images into `dir` and imports them into the node's containerd. */
export async function loadTestImages(rt: { socket: string; snapshotter?: string }, dir: string): Promise<void> {
  for (const spec of [busyboxImageSpec(), pauseImageSpec()]) {
    const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
    await writeImage(spec, tar)
    await loadImage(tar, { socket: rt.socket, snapshotter: rt.snapshotter })
  }
}

/** A busybox pod (image present, grace 0) that sleeps until TERM. */
export function sleeperPod(name: string, labels: Record<string, string>): Pod & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 5; done'] },
      ],
    },
  }
}

/** Waits until `want` pods of `labelSelector` in `namespace` are Running; `alive` throws to stop early. */
export async function waitPodsRunning(
  client: Client,
  opts: { namespace: string; labelSelector: string; want: number; timeoutMs: number; alive?: () => void },
): Promise<void> {
  const end = Date.now() + opts.timeoutMs
  for (;;) {
    const pods = (await client.list<Pod & KubeObject>(RES.pods, { namespace: opts.namespace, labelSelector: opts.labelSelector })).items
    const running = pods.filter((p) => p.status?.phase === 'Running').length
    if (running >= opts.want) return
    opts.alive?.()
    if (Date.now() > end) throw new Error(`${running} of ${opts.want} pods (${opts.labelSelector}) Running after ${opts.timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/**
 * Deletes the pods and waits until the node is quiet again: the objects gone (grace 0 removes
 * them at once) and the kubelet done tearing their sandboxes down (CNI DEL, shims), so what is
 * measured next does not share the node with the teardown.
 */
export async function deletePodsAndWait(
  client: Client,
  cri: CriClient,
  names: string[],
  opts: { namespace: string; labelSelector: string; timeoutMs: number },
): Promise<void> {
  await Promise.all(names.map((n) => client.delete(RES.pods, opts.namespace, n, { gracePeriodSeconds: 0 }).catch(() => undefined)))
  const end = Date.now() + opts.timeoutMs
  while (Date.now() < end) {
    const left = (await client.list<Pod & KubeObject>(RES.pods, { namespace: opts.namespace, labelSelector: opts.labelSelector })).items.length
    if (!left && !(await cri.listPodSandbox()).length) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`pods (${opts.labelSelector}) were not deleted in ${opts.timeoutMs} ms`)
}
