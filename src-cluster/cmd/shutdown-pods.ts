// `kubelab-node shutdown-pods`: stops every pod's containers and sandbox through the CRI when the
// machine powers off. Without it, systemd's final kill waits its full stop timeout (90 s) on
// container init processes, which ignore SIGTERM as every PID 1 does, so a VM's ACPI shutdown
// took minutes. Pod objects are left alone: after the boot the kubelet restarts their
// containers, as it does after any node reboot without graceful node shutdown configured.
// Run by the kubelab-shutdown unit's ExecStop only while the machine is going down.
import { CriClient } from '../kubelet/cri/client'
import { defineComponent } from './component'

export const shutdownPods = defineComponent({
  name: 'shutdown-pods',
  about: "stop every pod's containers through the CRI (run at machine power-off)",
  description: `Stops every container (SIGTERM, then SIGKILL after the grace period) and every pod sandbox
(tearing down its network) on this node's container runtime. For machine shutdown: the kubelet
restarts the pods' containers after the next boot.`,
  flags: {
    'container-runtime-endpoint': {
      type: 'string',
      arg: 'URL',
      default: 'unix:///run/containerd/containerd.sock',
      help: 'CRI socket (default unix:///run/containerd/containerd.sock)',
    },
    'grace-period': { type: 'string', arg: 'SECONDS', default: '5', help: 'how long containers get between SIGTERM and SIGKILL (default 5)' },
  },
  async run(values) {
    const grace = Number(values['grace-period'])
    if (!Number.isInteger(grace) || grace < 0) throw new Error(`--grace-period ${values['grace-period']}: give whole seconds (0 or more)`)
    const cri = new CriClient(values['container-runtime-endpoint']!, { timeoutMs: (grace + 20) * 1000 })
    const t0 = Date.now()
    try {
      const containers = (await cri.listContainers()).filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED')
      const failed: string[] = []
      // All at once: the grace period bounds the whole shutdown, not each container.
      await Promise.all(
        containers.map((c) => cri.stopContainer(c.id, grace).catch((e: Error) => failed.push(`container ${c.metadata?.name ?? c.id}: ${e.message}`))),
      )
      const sandboxes = (await cri.listPodSandbox()).filter((s) => s.state === 'SANDBOX_READY')
      await Promise.all(
        sandboxes.map((s) => cri.stopPodSandbox(s.id).catch((e: Error) => failed.push(`pod ${s.metadata?.namespace}/${s.metadata?.name}: ${e.message}`))),
      )
      console.log(`shutdown-pods: stopped ${containers.length} containers and ${sandboxes.length} pod sandboxes in ${Date.now() - t0} ms`)
      if (failed.length) throw new Error(`could not stop ${failed.length}: ${failed.join('; ')} (systemd kills what is left when the machine powers off)`)
    } finally {
      cri.close()
    }
  },
})
