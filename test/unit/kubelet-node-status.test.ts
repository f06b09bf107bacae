import { describe, expect, it } from 'vitest'
import { NODE_STATUS_REPORT_MS, nodeStatus, nodeStatusNeedsPost, type MachineInfo } from '../../src-cluster/kubelet/node'

const machine: MachineInfo = {
  cpu: 2,
  memoryBytes: 2 * 1024 ** 3,
  ephemeralBytes: 10 * 1024 ** 3,
  machineID: 'm',
  bootID: 'b',
  kernelVersion: '6.1.0',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  arch: 'amd64',
}
const input = (ok = true, images = [{ names: ['kubelab.local/busybox:1'], sizeBytes: 1000 }]) => ({
  machine,
  nodeIP: '10.0.0.2',
  hostname: 'n1',
  kubeletPort: 10250,
  version: { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6', runtimeApiVersion: 'v1' },
  ready: { ok, message: ok ? 'kubelet is posting ready status' : 'runtime down' },
  images,
})
const t0 = new Date('2026-12-07T03:00:00Z')
const later = (ms: number) => new Date(t0.getTime() + ms)

describe('node status reports (upstream nodeStatusReportFrequency)', () => {
  const stored = nodeStatus(input(), t0, undefined)

  it('skips a post when only time passed, until the report frequency is reached', () => {
    const at = t0.getTime()
    expect(nodeStatusNeedsPost(nodeStatus(input(), later(10_000), stored), stored, later(10_000), at)).toBe(false)
    expect(nodeStatusNeedsPost(nodeStatus(input(), later(NODE_STATUS_REPORT_MS - 1000), stored), stored, later(NODE_STATUS_REPORT_MS - 1000), at)).toBe(false)
    expect(nodeStatusNeedsPost(nodeStatus(input(), later(NODE_STATUS_REPORT_MS), stored), stored, later(NODE_STATUS_REPORT_MS), at)).toBe(true)
  })

  it('posts at once when the node changed: readiness, images', () => {
    expect(nodeStatusNeedsPost(nodeStatus(input(false), later(10_000), stored), stored, later(10_000), t0.getTime())).toBe(true)
    expect(nodeStatusNeedsPost(nodeStatus(input(true, []), later(10_000), stored), stored, later(10_000), t0.getTime())).toBe(true)
  })

  it('posts at once when someone else changed the stored status (the node controller marking it Unknown)', () => {
    const unknown = {
      ...stored,
      conditions: stored.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c)),
    }
    expect(nodeStatusNeedsPost(nodeStatus(input(), later(10_000), unknown), unknown, later(10_000), t0.getTime())).toBe(true)
  })

  it('posts when nothing is stored yet, and first thing after the kubelet starts (waiters look for a fresh heartbeat)', () => {
    expect(nodeStatusNeedsPost(stored, undefined, t0, t0.getTime())).toBe(true)
    expect(nodeStatusNeedsPost(stored, {}, t0, t0.getTime())).toBe(true)
    expect(nodeStatusNeedsPost(nodeStatus(input(), later(10_000), stored), stored, later(10_000), undefined)).toBe(true)
  })
})
