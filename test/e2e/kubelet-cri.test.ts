// The image loader and the CRI client against a real containerd in its own network namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUSYBOX_IMAGE, PAUSE_IMAGE, busyboxImageSpec, loadImage, pauseImageSpec, writeImage } from '../../provisioning/images'
import { CriClient, isCriNotFound, type PodSandboxConfig } from '../../src-cluster/kubelet/cri/client'
import { shutdownPods } from '../../src-cluster/cmd/shutdown-pods'
import { runComponent } from '../../src-cluster/cmd/component'
import { createTestBridge, removeCgroupTree, startContainerdNode, writeBridgeCniConf, type ContainerdNode, type TestBridge } from '../helpers/containerd'

const POD_CIDR = '10.232.1.0/24'
let bridge: TestBridge
let node: ContainerdNode
let cri: CriClient
let dir: string
let progress: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-cri-'))
  bridge = await createTestBridge(`klbcri${process.pid % 1000}`, '10.231.7.1/24')
  node = await startContainerdNode('cri', { bridge, ip: '10.231.7.2', podCidr: POD_CIDR })
  writeBridgeCniConf(node, POD_CIDR)
  for (const spec of [busyboxImageSpec(), pauseImageSpec()]) {
    const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
    await writeImage(spec, tar)
    await loadImage(tar, { socket: node.socket, snapshotter: node.snapshotter, onProgress: (l) => progress.push(l) })
  }
  cri = new CriClient(`unix://${node.socket}`)
})

afterAll(async () => {
  cri?.close()
  await node?.stop()
  await bridge?.remove()
  removeCgroupTree(`/kubelab-cri-${process.pid}`)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('image loader', () => {
  it('imports into the k8s.io namespace with progress, visible to ctr and CRI', async () => {
    expect(progress.some((l) => l.includes(BUSYBOX_IMAGE))).toBe(true)
    const ls = execFileSync('ctr', ['-a', node.socket, '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' })
    expect(ls).toContain(BUSYBOX_IMAGE)
    expect(ls).toContain(PAUSE_IMAGE)
    const img = await cri.imageStatus(BUSYBOX_IMAGE)
    expect(img?.repoTags).toContain(BUSYBOX_IMAGE)
    expect(await cri.imageStatus('kubelab.local/absent:1')).toBeNull()
    expect((await cri.listImages()).map((i) => i.repoTags).flat()).toContain(PAUSE_IMAGE)
  })

  it('fails with a clear message for a missing tarball', async () => {
    await expect(loadImage(join(dir, 'nope.tar'), { socket: node.socket })).rejects.toThrow(/does not exist/)
  })
})

describe('CRI client', () => {
  it('reports the runtime version and status', async () => {
    const v = await cri.version()
    expect(v.runtimeName).toBe('containerd')
    expect(v.runtimeApiVersion).toBe('v1')
    const s = await cri.status()
    expect(s.status?.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true)
  })

  it('runs a sandbox and a container, reads status, logs, exec, then stops and removes', async () => {
    const logDir = join(dir, 'pods', 'default_p1_uid1')
    const sandboxConfig: PodSandboxConfig = {
      metadata: { name: 'p1', uid: 'uid1', namespace: 'default', attempt: 0 },
      hostname: 'p1',
      logDirectory: logDir,
      dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      labels: { 'io.kubernetes.pod.name': 'p1' },
      linux: { cgroupParent: `/kubelab-cri-${process.pid}/poduid1` },
    }
    const sb = await cri.runPodSandbox(sandboxConfig)
    const sbs = await cri.podSandboxStatus(sb)
    expect(sbs.status?.state).toBe('SANDBOX_READY')
    const ip = sbs.status?.network?.ip ?? ''
    expect(ip.startsWith('10.232.1.')).toBe(true)
    expect((await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'p1' } })).map((s) => s.id)).toContain(sb)

    const id = await cri.createContainer(
      sb,
      {
        metadata: { name: 'main', attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command: ['sh', '-c'],
        args: ['echo hello from $WHO; exec sleep 3600'],
        envs: [{ key: 'WHO', value: 'kubelab' }],
        logPath: 'main/0.log',
        linux: { resources: { memoryLimitInBytes: 64 * 1024 * 1024, cpuShares: 512 } },
      },
      sandboxConfig,
    )
    await cri.startContainer(id)
    const st = await cri.containerStatus(id)
    expect(st.status?.state).toBe('CONTAINER_RUNNING')
    expect(st.status?.startedAt).toBeGreaterThan(0)
    expect(st.status?.imageRef).toMatch(/^sha256:/)
    const logPath = join(logDir, 'main/0.log')
    for (let i = 0; i < 50 && !(existsSync(logPath) && readFileSync(logPath, 'utf8').includes('hello')); i++) await new Promise((r) => setTimeout(r, 100))
    // CRI log format: "<RFC3339Nano> stdout F <line>"
    expect(readFileSync(logPath, 'utf8')).toMatch(/^\S+ stdout F hello from kubelab$/m)

    const ex = await cri.execSync(id, ['sh', '-c', 'hostname; cat /etc/resolv.conf; exit 3'], 10)
    expect(ex.exitCode).toBe(3)
    expect(ex.stdout.toString()).toContain('p1')
    expect(ex.stdout.toString()).toContain('nameserver 10.96.0.10')
    expect((await cri.exec({ containerId: id, cmd: ['sh'], stdout: true })).url).toMatch(/^http:\/\/10\.231\.7\.2:\d+\/exec\//)
    expect((await cri.portForward({ podSandboxId: sb, port: [80] })).url).toMatch(/\/portforward\//)

    const stats = await cri.listContainerStats({ id })
    expect(stats[0]?.attributes?.id).toBe(id)
    expect(stats[0]?.memory?.workingSetBytes?.value).toBeGreaterThan(0)

    await cri.stopContainer(id, 2)
    const stopped = await cri.containerStatus(id)
    expect(stopped.status?.state).toBe('CONTAINER_EXITED')
    expect(stopped.status?.finishedAt).toBeGreaterThan(0)
    await cri.removeContainer(id)
    await expect(cri.containerStatus(id)).rejects.toSatisfy(isCriNotFound)
    await cri.stopPodSandbox(sb)
    await cri.removePodSandbox(sb)
    expect((await cri.listPodSandbox()).map((s) => s.id)).not.toContain(sb)
  })
})

describe('kubelab-node shutdown-pods (a VM powering off)', () => {
  it('stops every container, even a PID 1 that ignores SIGTERM, and every sandbox, within the grace period', async () => {
    const ids: { sb: string; c: string }[] = []
    for (const name of ['s1', 's2']) {
      const sandboxConfig: PodSandboxConfig = {
        metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
        hostname: name,
        logDirectory: join(dir, 'pods', `default_${name}`),
        labels: { 'io.kubernetes.pod.name': name },
        linux: { cgroupParent: `/kubelab-cri-${process.pid}/pod${name}` },
      }
      const sb = await cri.runPodSandbox(sandboxConfig)
      // `sleep` as PID 1 has no SIGTERM handler, so the kernel drops the signal: only SIGKILL ends it.
      const c = await cri.createContainer(
        sb,
        { metadata: { name: 'main', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '3600'], logPath: 'main/0.log' },
        sandboxConfig,
      )
      await cri.startContainer(c)
      ids.push({ sb, c })
    }
    const lines: string[] = []
    const log = console.log
    console.log = (l: string) => lines.push(l)
    try {
      await runComponent(shutdownPods, ['--container-runtime-endpoint', `unix://${node.socket}`, '--grace-period', '1'])
    } finally {
      console.log = log
    }
    expect(lines.join('\n')).toMatch(/stopped 2 containers and 2 pod sandboxes/)
    for (const { sb, c } of ids) {
      expect((await cri.containerStatus(c)).status?.state).toBe('CONTAINER_EXITED')
      expect((await cri.podSandboxStatus(sb)).status?.state).toBe('SANDBOX_NOTREADY')
      await cri.removeContainer(c)
      await cri.removePodSandbox(sb)
    }
  })

  it('refuses a grace period that is not whole seconds', async () => {
    await expect(runComponent(shutdownPods, ['--container-runtime-endpoint', `unix://${node.socket}`, '--grace-period', 'soon'])).rejects.toThrow(
      /whole seconds/,
    )
  })
})
