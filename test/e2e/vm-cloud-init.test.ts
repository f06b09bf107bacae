// `cloud-init status --wait` over SSH against a double's VM (a local node running the user-data
// as cloud-init would): running → done, and an apt failure reported with cloud-init's errors and
// the end of its output log. Root Linux with sshd and containerd.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { clusterKey } from '../../src-main/providers/cloud-init/cluster-key'
import { CloudInitError, waitForCloudInit } from '../../src-main/providers/cloud-init/status'
import { renderUserData } from '../../src-main/providers/cloud-init/user-data'
import { DOUBLES, freeSubnet, leftovers, missingHostDeps } from './vm-doubles'

const missing = missingHostDeps()
const home = mkdtempSync('/tmp/kl-')
const state = join(home, 'mp')
const bridge = 'klci9'
const env = { ...process.env, MULTIPASS_DOUBLE_STATE: state, MULTIPASS_DOUBLE_BACKEND: join(DOUBLES, 'vm-node') }
const key = clusterKey(join(home, 'ci9'), 'ci9')
const vms: string[] = []

function launch(vm: string, outcome: 'done' | 'error'): string {
  mkdirSync(state, { recursive: true })
  writeFileSync(
    join(state, 'config.json'),
    JSON.stringify({
      launchOutcome: 'init-timeout',
      bootPolls: 0,
      backend: { bridge, subnet: freeSubnet(['192.168.70', '192.168.71']), cloudInitMs: 5000, cloudInitOutcome: outcome },
    }),
  )
  const ud = renderUserData({ clusterName: 'ci9', hostname: vm, authorizedKeys: [key.publicKey] })
  vms.push(vm)
  const r = spawnSync(join(DOUBLES, 'multipass'), ['launch', '24.04', '--name', vm, '--cloud-init', '-'], { input: ud, env, encoding: 'utf8' })
  expect(r.stderr).toContain('timed out waiting for initialization')
  const info = JSON.parse(spawnSync(join(DOUBLES, 'multipass'), ['info', vm, '--format', 'json'], { env, encoding: 'utf8' }).stdout) as {
    info: Record<string, { ipv4: string[] }>
  }
  return info.info[vm]!.ipv4[0]!
}

afterAll(() => {
  for (const vm of vms) spawnSync(join(DOUBLES, 'multipass'), ['delete', '--purge', vm], { env })
  if (!missing) expect(leftovers([home, bridge, 'kl-ci9-'])).toEqual({ netns: [], links: [], iptables: [], mounts: [], processes: [] })
  rmSync(home, { recursive: true, force: true })
}, 120_000)

describe.skipIf(missing !== undefined)('cloud-init status --wait on a double VM', { timeout: 180_000 }, () => {
  it('waits while cloud-init runs, logging elapsed time, and returns when it is done', async () => {
    const ip = launch('kl-ci9-ok', 'done')
    const lines: string[] = []
    await waitForCloudInit(
      { host: ip, port: 22, user: 'root', privateKeyFile: key.privateKeyFile },
      { node: 'ok', log: (l) => lines.push(l), tickMs: 1000, sshWaitMs: 60_000 },
    )
    expect(lines[0]).toMatch(/ok: waiting for cloud-init to finish/)
    expect(lines.some((l) => /cloud-init still running, \d+s elapsed/.test(l))).toBe(true)
    expect(lines.at(-1)).toMatch(/ok: cloud-init done after \d+s/)
  })

  it('reports a failed cloud-init with its errors and the end of its output log', async () => {
    const ip = launch('kl-ci9-bad', 'error')
    const err = await waitForCloudInit(
      { host: ip, port: 22, user: 'root', privateKeyFile: key.privateKeyFile },
      { node: 'bad', log: () => {}, sshWaitMs: 60_000 },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CloudInitError)
    const msg = (err as Error).message
    expect(msg).toContain('cloud-init failed on node bad')
    expect(msg).toContain('status: error')
    expect(msg).toContain('scripts_user')
    expect(msg).toContain('E: Unable to locate package')
    expect(msg).toContain('what to try')
  })
})
