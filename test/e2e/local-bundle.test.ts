// What provisioning ships to a local node, checked without making one: the bundle's kubelet
// finds the CRI proto next to itself (and says so when it is missing), the kubelet is pointed
// at the CNI folder the node's containerd reads, and image import passes containerd's CRI
// snapshotter to ctr.
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLE_FILES, buildNodeBundle } from '../../provisioning/bundle'
import { containerdConfig, containerdFiles } from '../../src-main/providers/local/containerd'
import { importCommand } from '../../src-main/ssh-provisioning/images'
import { nodeComponents, type NodePlanInput } from '../../src-main/ssh-provisioning/node-plan'
import { createCA, issueClientCert } from '../../src-cluster/kit/pki'
import { kubeconfigYaml } from '../../src-cluster/apiserver/kubeconfig'

const work = mkdtempSync(join(tmpdir(), 'kl-ship-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the node bundle ships the CRI proto next to the code', () => {
  const bare = join(work, 'bare')
  beforeAll(async () => {
    const b = await buildNodeBundle({ outDir: join(work, 'build') })
    mkdirSync(bare)
    for (const f of BUNDLE_FILES) cpSync(join(b.dir, f), join(bare, f))
    const ca = createCA('kl-ship-test')
    const user = issueClientCert(ca, 'system:node:ship')
    // An API server that is not there: the kubelet gets as far as the runtime and stops.
    writeFileSync(
      join(bare, 'kubelet.kubeconfig'),
      kubeconfigYaml({
        server: 'https://127.0.0.1:1',
        caPem: ca.certPem,
        user: 'system:node:ship',
        certPem: user.certPem,
        keyPem: user.keyPem,
        clusterName: 'ship',
      }),
    )
  }, 60_000)

  const runKubelet = (): string => {
    const r = spawnSync(
      process.execPath,
      [
        join(bare, 'kubelab-node.js'),
        'kubelet',
        '--kubeconfig',
        join(bare, 'kubelet.kubeconfig'),
        '--node-name',
        'ship',
        '--node-ip',
        '127.0.0.1',
        '--container-runtime-endpoint',
        `unix://${join(bare, 'no-containerd.sock')}`,
        '--root-dir',
        join(bare, 'root'),
        '--pod-log-dir',
        join(bare, 'pods'),
      ],
      { encoding: 'utf8', cwd: bare, env: { PATH: process.env.PATH }, timeout: 30_000 },
    )
    return `${r.stdout}${r.stderr}`
  }

  it('loads runtime-v1.proto from beside kubelab-node.js and speaks CRI', () => {
    const o = runKubelet()
    // Reaching the gRPC call means the proto was read and parsed.
    expect(o).toMatch(/CRI Version failed \(gRPC code 14\)/)
    expect(o).not.toContain('cannot read its proto file')
  })

  it('names the missing proto when it is not shipped', () => {
    renameSync(join(bare, 'runtime-v1.proto'), join(bare, 'moved.proto'))
    try {
      expect(runKubelet()).toContain(`cannot read its proto file file://${join(bare, 'runtime-v1.proto')}`)
    } finally {
      renameSync(join(bare, 'moved.proto'), join(bare, 'runtime-v1.proto'))
    }
  })
})

describe('a local node is provisioned to match its containerd', () => {
  const root = join(work, 'node')
  const plan = (role: 'control-plane' | 'worker'): NodePlanInput => ({
    cluster: 'c',
    node: { name: 'n1', role, ip: '10.231.9.3' },
    masterIp: '10.231.9.2',
    root,
    nodeBinary: '/usr/bin/node',
    serviceMode: 'supervisor',
    available: new Set(['apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy']),
  })
  const flag = (args: readonly string[], name: string): string | undefined => {
    const i = args.indexOf(name)
    return i < 0 ? undefined : args[i + 1]
  }

  it('points the kubelet at the CNI conf_dir, CA and log folder of that node', () => {
    const kubelet = nodeComponents(plan('worker')).components.find((c) => c.name === 'kubelet')!
    const ctrd = containerdFiles(root)
    expect(flag(kubelet.args, '--cni-conf-dir')).toBe(ctrd.cniConfDir)
    expect(containerdConfig(ctrd, { snapshotter: 'native', nodeIp: '10.231.9.3', sandboxImage: 'x' })).toContain(
      `conf_dir = "${flag(kubelet.args, '--cni-conf-dir')}"`,
    )
    expect(flag(kubelet.args, '--container-runtime-endpoint')).toBe(`unix://${ctrd.socket}`)
    expect(flag(kubelet.args, '--client-ca-file')).toBe(join(root, 'etc', 'kubelab', 'pki', 'ca.crt'))
    expect(flag(kubelet.args, '--pod-log-dir')).toBe(join(root, 'var', 'log', 'pods'))
    expect(flag(kubelet.args, '--cluster-cidr')).toBe('10.244.0.0/16')
    expect(flag(kubelet.args, '--register-with-taints')).toBeUndefined()
    const master = nodeComponents(plan('control-plane')).components.find((c) => c.name === 'kubelet')!
    expect(flag(master.args, '--register-with-taints')).toBe('node-role.kubernetes.io/control-plane=:NoSchedule')
  })

  it('imports images into the snapshotter named in the node containerd config', () => {
    const bin = join(work, 'bin')
    mkdirSync(bin, { recursive: true })
    const argsFile = join(work, 'ctr-args')
    // A stand-in ctr that records its arguments and prints what the real one prints.
    writeFileSync(join(bin, 'ctr'), `#!/bin/sh\necho "$@" > ${argsFile}\necho "unpacking kubelab.local/busybox:1 (sha256:abc)...done"\n`)
    chmodSync(join(bin, 'ctr'), 0o755)
    const ctrd = containerdFiles(root)
    mkdirSync(join(root, 'etc', 'containerd'), { recursive: true })
    const tar = join(work, 'img.tar')
    const run = (): number | null => {
      writeFileSync(tar, 'x')
      return spawnSync('sh', ['-c', importCommand(root, tar)], { env: { PATH: `${bin}:${process.env.PATH}` } }).status
    }

    writeFileSync(ctrd.config, containerdConfig(ctrd, { snapshotter: 'native', nodeIp: '10.231.9.3', sandboxImage: 'x' }))
    expect(run()).toBe(0)
    expect(readFileSync(argsFile, 'utf8').trim()).toBe(`-a ${ctrd.socket} -n k8s.io images import --snapshotter native ${tar}`)

    // A VM's stock config names no snapshotter: ctr then uses containerd's default, as the CRI does.
    writeFileSync(ctrd.config, 'version = 2\n')
    expect(run()).toBe(0)
    expect(readFileSync(argsFile, 'utf8').trim()).toBe(`-a ${ctrd.socket} -n k8s.io images import ${tar}`)
  })
})
