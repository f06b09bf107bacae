// Pieces of the local provider and provisioning that need no root: the kubelet's role label
// (passed only to a build that has the flag), the one containerd config renderer, and a cancel
// that lands while a step runs (its signal aborts, the error names the step).
import { describe, expect, it } from 'vitest'
import { renderContainerdConfig, type ContainerdConfigOptions } from '../../src-main/providers/local/containerd-config'
import { containerdConfig, containerdFiles } from '../../src-main/providers/local/containerd'
import { nodeComponents, type NodePlanInput } from '../../src-main/ssh-provisioning/node-plan'
import { CancelledError, StepRunner, type StepEvent } from '../../src-main/ssh-provisioning/steps'
import { tempDir } from '../helpers/temp-dir'

const plan = (o: Partial<NodePlanInput> = {}): NodePlanInput => ({
  cluster: 'demo',
  node: { name: 'control-plane', role: 'control-plane', ip: '10.231.10.2' },
  masterIp: '10.231.10.2',
  root: '/',
  nodeBinary: '/usr/bin/node',
  serviceMode: 'supervisor',
  available: new Set(['apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy']),
  ...o,
})
const kubeletArgs = (p: NodePlanInput): readonly string[] => nodeComponents(p).components.find((c) => c.name === 'kubelet')!.args

describe('kubelet role label', () => {
  it('never asks a kubelet to set its own role label (NodeRestriction forbids it), but registers the control plane tainted', () => {
    const flags = new Set(['kubeconfig', 'node-labels'])
    const master = kubeletArgs(plan({ kubeletFlags: flags }))
    expect(master).not.toContain('--node-labels')
    expect(master[master.indexOf('--register-with-taints') + 1]).toBe('node-role.kubernetes.io/control-plane=:NoSchedule')
    expect(kubeletArgs(plan({ kubeletFlags: flags, node: { name: 'node-1', role: 'worker', ip: '10.231.10.3' } }))).not.toContain('--node-labels')
  })

  it('leaves the flag out for a build without it', () => {
    expect(kubeletArgs(plan({ kubeletFlags: new Set(['kubeconfig']) }))).not.toContain('--node-labels')
    expect(kubeletArgs(plan())).not.toContain('--node-labels')
  })
})

describe('containerd config', () => {
  const base: ContainerdConfigOptions = {
    root: '/r/lib',
    state: '/r/run',
    socket: '/r/c.sock',
    optDir: '/r/opt',
    runcRoot: '/r/runc',
    cniConfDir: '/r/cni',
    snapshotter: 'native',
    sandboxImage: 'p:1',
    streamAddress: '10.0.0.2',
    netnsMountsUnderState: false,
  }

  it('puts every path where it is told and hides pod netns only when asked', () => {
    const text = renderContainerdConfig(base)
    for (const line of [
      'root = "/r/lib"',
      'state = "/r/run"',
      'address = "/r/c.sock"',
      'address = "/r/c.sock.ttrpc"',
      'path = "/r/opt"',
      'Root = "/r/runc"',
      'conf_dir = "/r/cni"',
      'snapshotter = "native"',
      'sandbox_image = "p:1"',
      'stream_server_address = "10.0.0.2"',
    ])
      expect(text).toContain(line)
    expect(text).not.toContain('netns_mounts_under_state_dir')
    expect(renderContainerdConfig({ ...base, netnsMountsUnderState: true })).toContain('netns_mounts_under_state_dir = true')
  })

  it('renders a local node with its folder layout', () => {
    const f = containerdFiles('/k/nodes/n1')
    const text = containerdConfig(f, { snapshotter: 'overlayfs', nodeIp: '10.231.9.3', sandboxImage: 'p:1' })
    expect(text).toContain('Root = "/k/nodes/n1/run/containerd/runc"')
    expect(text).toContain('netns_mounts_under_state_dir = true')
    expect(text).toContain(`address = "${f.socket}"`)
  })
})

describe('cancel while a step runs', () => {
  it('aborts the step signal and fails with a CancelledError naming the step and node', async () => {
    let why: string | undefined
    const events: StepEvent[] = []
    const r = new StepRunner({ logDir: tempDir('kl-cancel-'), onEvent: (e) => events.push(e), cancelled: () => why })
    let sawAbort = false
    const step = r.run(
      'install',
      'node-1',
      (ctx) =>
        new Promise<string>((resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true
            reject(new Error('channel closed'))
          })
          // Would finish much later if nobody cancelled it.
          setTimeout(() => resolve('finished'), 60_000).unref()
        }),
    )
    setTimeout(() => (why = 'SIGINT'), 50)
    const err = await step.catch((e: unknown) => e)
    expect(sawAbort).toBe(true)
    expect(err).toBeInstanceOf(CancelledError)
    expect((err as Error).message).toBe('cancelled: SIGINT during step "install" on node node-1')
    expect(events.at(-1)).toMatchObject({ step: 'install', status: 'failed' })
    expect(r.timings).toEqual([{ step: 'install', node: 'node-1', ms: expect.any(Number), ok: false }])
  })

  it('reports a step that finished as the cancel came as cancelled too (the run stops there)', async () => {
    let why: string | undefined
    const r = new StepRunner({ logDir: tempDir('kl-cancel-'), cancelled: () => why })
    const step = r.run('upload', 'n', async (ctx) => {
      why = 'SIGTERM'
      await new Promise((res) => ctx.signal.addEventListener('abort', res))
      return 1
    })
    await expect(step).rejects.toBeInstanceOf(CancelledError)
  })
})
