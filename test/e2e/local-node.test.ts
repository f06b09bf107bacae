// The `local` provider end to end (root): a node comes up as a network namespace with its own
// containerd and sshd that accepts only the cluster key; SFTP uploads land on its disk;
// provisioning survives a dropped SSH connection mid-install (a re-run converges, nothing
// duplicated); delete leaves nothing of the cluster (namespaces, links, iptables, mounts,
// processes found by its names: test/helpers/leaks.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildNodeBundle, type NodeBundle } from '../../provisioning/bundle'
import { localProvider } from '../../src-main/providers/local'
import { readLayout, nodeDir, netnsName } from '../../src-main/providers/local/layout'
import type { NodeRecord, ProviderContext } from '../../src-main/providers/types'
import { ensureClusterSshKey, sshKeyFiles } from '../../src-main/ssh-provisioning/keys'
import { ensureClusterPki } from '../../src-main/ssh-provisioning/pki'
import { provisionNode } from '../../src-main/ssh-provisioning/provision'
import { SshSession, loginFor } from '../../src-main/ssh-provisioning/ssh'
import { killAll } from '../../src-main/providers/local/host'
import { SSHD, sshdConfig, sshdFiles, startSshd, stopSshd } from '../../src-main/providers/local/sshd'
import { hostKeyPin } from '../../src-main/ssh-provisioning/host-keys'
import { StepRunner, type StepEvent } from '../../src-main/ssh-provisioning/steps'
import { generateParseableKey } from '../../src-main/ssh-provisioning/keys'
import { leftovers, localClusterMarks, NOTHING, subnetClaimsUnder } from '../helpers/leaks'

const base = mkdtempSync('/tmp/kl-')
// This file's own cluster name (each e2e file has its own: files run two at a time).
const cluster = 'l5n'
const clusterDir = join(base, 'clusters', cluster)
const nodes: NodeRecord[] = [{ name: 'master', role: 'control-plane', state: 'stopped' }]
const ctx: ProviderContext = { clusterName: cluster, clusterDir, nodes, ports: {}, settings: {}, log: () => {} }

const out = (cmd: string, args: string[]): string => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? ''

let bundle: NodeBundle
const node = nodes[0]!

beforeAll(async () => {
  bundle = await buildNodeBundle()
  nodes[0] = await localProvider.createNode(ctx, node)
  await localProvider.start(ctx, nodes[0])
}, 120_000)

afterAll(async () => {
  await localProvider.delete(ctx, nodes[0]!).catch(() => {})
  rmSync(base, { recursive: true, force: true })
})

async function login() {
  return loginFor((await localProvider.sshTarget(ctx, nodes[0]!))!)
}

describe('local provider', () => {
  it('gives the node its own namespace, address and containerd', async () => {
    expect(out('ip', ['netns', 'list'])).toContain(netnsName(cluster, 'master'))
    const ip = await localProvider.address(ctx, node)
    expect(ip).toMatch(/^10\.231\.\d+\.2$/)
    const sock = join(nodeDir(clusterDir, 'master'), 'run', 'containerd', 'containerd.sock')
    expect(spawnSync('ctr', ['-a', sock, 'version']).status).toBe(0)
    expect((await localProvider.list(ctx))[0]!.state).toBe('running')
  })

  it('accepts the cluster key over SSH and runs commands in the node', async () => {
    const s = await SshSession.connect(await login(), { deadline: Date.now() + 20_000, node: 'master' })
    try {
      const lines: string[] = []
      const r = await s.exec('echo hello; echo "root=$KUBELAB_ROOT"; ip -4 -o addr show dev eth0; exit 3', { onLine: (l) => lines.push(l) })
      expect(r.code).toBe(3)
      expect(lines[0]).toBe('hello')
      expect(lines[1]).toBe(`root=${nodeDir(clusterDir, 'master')}`)
      expect(lines[2]).toContain(await localProvider.address(ctx, node))
    } finally {
      s.close()
    }
  })

  it('refuses any other key', async () => {
    const other = generateParseableKey('kubelab-test')
    const l = await login()
    await expect(SshSession.connect({ ...l, privateKey: other.private }, { deadline: Date.now() + 10_000, node: 'master' })).rejects.toThrow(
      /refused the cluster's SSH key/,
    )
  })

  it('pins the host key it made for the node and refuses another sshd answering at its address', async () => {
    const dir = nodeDir(clusterDir, 'master')
    const [type, b64] = readFileSync(`${sshdFiles(dir).hostKey}.pub`, 'utf8')
      .trim()
      .split(/\s+/)
    expect(readFileSync(join(clusterDir, 'known_hosts'), 'utf8')).toBe(`master ${type} ${b64}\n`)
    // An imposter: the node's sshd is gone and another one, with its own host key but the same
    // authorized key, listens at the node's address.
    const ip = (await localProvider.address(ctx, node))!
    await stopSshd(dir)
    const fake = join(base, 'imposter')
    mkdirSync(fake, { recursive: true, mode: 0o700 })
    const k = generateParseableKey('imposter')
    writeFileSync(join(fake, 'host_key'), k.private, { mode: 0o600 })
    writeFileSync(join(fake, 'authorized_keys'), readFileSync(sshKeyFiles(clusterDir).publicKeyFile, 'utf8'), { mode: 0o600 })
    const cfg = {
      ip,
      port: 22,
      hostKey: join(fake, 'host_key'),
      authorizedKeys: join(fake, 'authorized_keys'),
      pidFile: join(fake, 'pid'),
      root: dir,
      nodeBinary: process.execPath,
    }
    writeFileSync(join(fake, 'config'), sshdConfig(cfg), { mode: 0o600 })
    const r = spawnSync('nsenter', [`--net=/run/netns/${netnsName(cluster, 'master')}`, SSHD, '-f', join(fake, 'config'), '-E', join(fake, 'log')], {
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).toBe(0)
    try {
      const refused = await SshSession.connect(await login(), { deadline: Date.now() + 20_000, node: 'master' }).then(
        (s) => (s.close(), undefined),
        (e: Error) => e,
      )
      expect(refused?.message).toContain('the SSH host key of node master has changed')
      expect(refused?.message).toContain(`ssh-keygen -R master -f ${join(clusterDir, 'known_hosts')}`)
    } finally {
      for (let i = 0; i < 50 && !existsSync(join(fake, 'pid')); i++) await new Promise((res) => setTimeout(res, 100))
      await killAll([Number(readFileSync(join(fake, 'pid'), 'utf8').trim())], 5000)
    }
    // The node's own sshd again: its key is still the pinned one.
    startSshd(dir, netnsName(cluster, 'master'), {
      ip,
      publicKey: readFileSync(sshKeyFiles(clusterDir).publicKeyFile, 'utf8'),
      nodeBinary: process.execPath,
      pin: hostKeyPin(clusterDir, 'master'),
    })
    const s = await SshSession.connect(await login(), { deadline: Date.now() + 20_000, node: 'master' })
    s.close()
    expect(readFileSync(join(clusterDir, 'known_hosts'), 'utf8')).toBe(`master ${type} ${b64}\n`)
  })

  it('uploads files with SFTP atomically, with their mode', async () => {
    const s = await SshSession.connect(await login(), { deadline: Date.now() + 20_000, node: 'master' })
    const dest = join(nodeDir(clusterDir, 'master'), 'upload-test.txt')
    try {
      await s.upload([{ remote: dest, content: 'first\n', mode: 0o600 }])
      await s.upload([{ remote: dest, content: 'second\n', mode: 0o640 }])
    } finally {
      s.close()
    }
    expect(readFileSync(dest, 'utf8')).toBe('second\n')
    expect(spawnSync('stat', ['-c', '%a', dest], { encoding: 'utf8' }).stdout.trim()).toBe('640')
    expect(existsSync(`${dest}.kubelab-tmp`)).toBe(false)
  })

  it('converges when the SSH connection drops mid-install', async () => {
    const ip = (await localProvider.address(ctx, node))!
    const pki = ensureClusterPki(clusterDir, cluster, ip, [{ name: 'master', ip }])
    ensureClusterSshKey(clusterDir, cluster)
    const events: StepEvent[] = []
    let session: SshSession | undefined
    let dropped = false
    const runner = new StepRunner({
      logDir: join(clusterDir, 'logs'),
      onEvent: (e) => {
        events.push(e)
        // Cut the link as soon as the installer prints its first line.
        if (!dropped && e.step === 'install' && e.status === 'line') {
          dropped = true
          session?.destroy()
        }
      },
    })
    const input = {
      cluster,
      node: { name: 'master', role: 'control-plane' as const, ip },
      masterIp: ip,
      login: await login(),
      bundle,
      pki,
      runner,
      onSession: (s: SshSession) => (session = s),
    }
    await expect(provisionNode(input)).rejects.toThrow(/install/)
    expect(dropped).toBe(true)
    // The re-run finishes the job.
    await provisionNode(input)
    const root = nodeDir(clusterDir, 'master')
    expect(existsSync(join(root, 'var', 'lib', 'kubelab', 'bin', 'kubelab-node.js'))).toBe(true)
    expect(readFileSync(join(root, 'etc', 'kubelab', 'node.env'), 'utf8')).toContain('KUBELAB_NODE_ROLE=control-plane')
    // Exactly one supervisor, and the API server it runs answers on the node's address.
    const sups = out('ps', ['-eo', 'args='])
      .split('\n')
      .filter((l) => l.includes(join(root, 'var', 'lib', 'kubelab', 'bin', 'supervisor.mjs')))
    expect(sups).toHaveLength(1)
    await waitForPort(ip, 6443, 60_000)
    // A third run changes nothing and keeps the same supervisor.
    const pid = readFileSync(join(root, 'run', 'kubelab', 'supervisor.pid'), 'utf8')
    const lines: string[] = []
    await provisionNode({ ...input, runner: new StepRunner({ logDir: join(clusterDir, 'logs'), onEvent: (e) => e.line && lines.push(e.line) }) })
    expect(lines).toContain('kubelab-install: all files already up to date')
    expect(readFileSync(join(root, 'run', 'kubelab', 'supervisor.pid'), 'utf8')).toBe(pid)
    // The node log kept every line, and no key material.
    const log = readFileSync(join(clusterDir, 'logs', 'master.log'), 'utf8')
    expect(log).toContain('install: kubelab-install:')
    expect(log).not.toContain('PRIVATE KEY')
  }, 180_000)

  it('stop keeps the files, start brings the components back', async () => {
    const root = nodeDir(clusterDir, 'master')
    await localProvider.stop(ctx, nodes[0]!)
    expect((await localProvider.list(ctx))[0]!.state).toBe('stopped')
    expect(
      out('ps', ['-eo', 'args='])
        .split('\n')
        .filter((l) => l.includes(root)),
    ).toEqual([])
    await localProvider.start(ctx, nodes[0]!)
    await waitForPort((await localProvider.address(ctx, node))!, 6443, 60_000)
  }, 120_000)

  it('delete leaves the machine as it was', async () => {
    const layout = readLayout(clusterDir)!
    await localProvider.delete(ctx, nodes[0]!)
    // Nothing of this node's cluster is left (its names, its folder, its subnet's chain and veths).
    expect(leftovers(localClusterMarks(cluster, base, layout.subnet))).toEqual(NOTHING)
    expect(subnetClaimsUnder(base)).toEqual([])
    expect(out('ip', ['-o', 'link'])).not.toContain(`${layout.bridge}:`)
    expect(existsSync(nodeDir(clusterDir, 'master'))).toBe(false)
  }, 120_000)
})

async function waitForPort(host: string, port: number, ms: number): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect({ host, port, timeout: 1000 }, () => {
        c.destroy()
        resolve(true)
      })
      c.on('error', () => resolve(false))
      c.on('timeout', () => {
        c.destroy()
        resolve(false)
      })
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`${host}:${port} did not accept connections within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
