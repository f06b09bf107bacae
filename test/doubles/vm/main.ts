// Entry of the doubles' backend hook: `vm-node <event> <vm> [file]`, called by test/doubles/
// multipass (launch, start, stop, delete; file = the cloud-init user-data it was given) and
// test/doubles/VBoxManage (start, stop, delete; file = the seed ISO on the DVD drive). Prints the
// VM's address on its first line. Runs as root (network namespaces, sshd, containerd).
//
// Environment from the double: KUBELAB_DOUBLE_KIND multipass|virtualbox, KUBELAB_DOUBLE_STATE (its
// state folder), KUBELAB_DOUBLE_NEW_ADDRESS=1 (multipass start hands out another address),
// KUBELAB_DOUBLE_NATPF (VirtualBox NIC 1 rule "ssh,tcp,127.0.0.1,PORT,,22"),
// KUBELAB_DOUBLE_MAC2 (VirtualBox NIC 2 MAC, matched in network-config), KUBELAB_DOUBLE_HOSTONLY
// (VirtualBox: its host-only adapter's "ip/mask").
// config.json → backend: { bridge, subnet (multipass), cloudInitMs, cloudInitOutcome }.
import { spawn } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { networkConfigAddress, runCloudInit, type CloudInitConfig } from './cloud-init'
import {
  allMetas,
  ensureNetns,
  newVeth,
  ipOf,
  powerOff,
  readMeta,
  removeBridge,
  removeNetns,
  startForward,
  startServices,
  startSshd,
  VmPaths,
  writeMeta,
  type VmMeta,
} from './node'

interface BackendConfig extends CloudInitConfig {
  readonly bridge: string
  readonly subnet: string
}

const [event, vm, file] = process.argv.slice(2)
const kind = process.env.KUBELAB_DOUBLE_KIND
const state = process.env.KUBELAB_DOUBLE_STATE
if (!event || !vm || !state || (kind !== 'multipass' && kind !== 'virtualbox')) {
  console.error(
    'usage: vm-node launch|start|stop|delete|cloud-init-final VM [file], with KUBELAB_DOUBLE_KIND and KUBELAB_DOUBLE_STATE set (the doubles set them)',
  )
  process.exit(2)
}
const raw = existsSync(join(state, 'config.json'))
  ? (JSON.parse(readFileSync(join(state, 'config.json'), 'utf8')) as { backend?: Partial<BackendConfig>; launchOutcome?: string })
  : {}
const cfg: BackendConfig = {
  bridge: kind === 'multipass' ? 'mpdouble0' : 'vboxnet0',
  subnet: '192.168.64',
  cloudInitMs: 1500,
  cloudInitOutcome: 'done',
  ...raw.backend,
}
const paths = new VmPaths(state, vm)

function nextHost(subnet: string): number {
  mkdirSync(join(state!, 'vms'), { recursive: true })
  const f = join(state!, 'vms', 'next-host')
  const used = new Set(
    allMetas(state!)
      .filter((m) => m.subnet === subnet)
      .map((m) => m.host),
  )
  let n = existsSync(f) ? Number(readFileSync(f, 'utf8')) : 2
  while (used.has(n)) n++
  if (n > 254) throw new Error(`no address left in ${subnet}.0/24 for ${vm}`)
  writeFileSync(f, String(n + 1))
  return n
}

/** cloud-init runs on in the background, as in a VM that answers before its packages are in. */
function cloudInitInBackground(): void {
  const fd = openSync(paths.rooted('var/log/cloud-init-runner.log'), 'a')
  const child = spawn(process.argv[0]!, [...process.execArgv, process.argv[1]!, 'cloud-init-final', vm!], {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: process.env,
  })
  closeSync(fd)
  child.unref()
  writeFileSync(paths.cloudInitPid, `${child.pid}\n`)
}

/**
 * The double plugs the VM into a bridge on the VM's own /24 so tests keep working, but a real
 * host only reaches NIC 2 when its address is in the host-only adapter's subnet: say so.
 */
function warnUnreachable(m: VmMeta): void {
  const [hostIp, mask] = (process.env.KUBELAB_DOUBLE_HOSTONLY ?? '').split('/')
  if (!hostIp) return
  if (mask !== '255.255.255.0' || hostIp.split('.').slice(0, 3).join('.') !== m.subnet) {
    appendFileSync(
      join(state!, 'calls.log'),
      `${JSON.stringify({ warning: `${vm}: NIC 2 address ${ipOf(m)} is outside its host-only adapter (${hostIp}/${mask}): the host could not reach it` })}\n`,
    )
  }
}

async function boot(m: VmMeta, waitCloudInit: boolean): Promise<void> {
  await ensureNetns(m)
  // As on a real boot: cloud-init's init stage (users, keys) before sshd, the rest after.
  await runCloudInit(paths, m, cfg, 'init')
  startSshd(paths, m)
  startForward(paths, m)
  if (waitCloudInit) await runCloudInit(paths, m, cfg, 'final')
  else cloudInitInBackground()
  await startServices(paths, m)
}

async function main(): Promise<void> {
  switch (event) {
    case 'launch': {
      if (!file) throw new Error('launch needs the user-data file')
      const host = nextHost(cfg.subnet)
      const m: VmMeta = {
        vm: vm!,
        netns: vm!,
        bridge: cfg.bridge,
        subnet: cfg.subnet,
        host,
        veth: newVeth(cfg.bridge, host),
        seed: { kind: 'user-data', path: file },
      }
      writeMeta(paths, m)
      // `multipass launch` waits for cloud-init unless it gives up first (init-timeout cases).
      await boot(m, raw.launchOutcome === undefined || raw.launchOutcome === 'ok')
      console.log(ipOf(m))
      return
    }
    case 'start': {
      let m = readMeta(paths)
      if (!m) {
        if (kind !== 'virtualbox' || !file) throw new Error(`no machine recorded for ${vm}`)
        const mac = process.env.KUBELAB_DOUBLE_MAC2 ?? ''
        const cidr = networkConfigAddress(file, mac)
        if (!cidr) throw new Error(`the seed ISO's network-config gives NIC 2 (MAC ${mac}) no static address: the VM would have no host-only address`)
        const [ip] = cidr.split('/')
        const parts = ip!.split('.')
        const rule = (process.env.KUBELAB_DOUBLE_NATPF ?? '').split(',')
        const forward = rule[2] && rule[3] ? { host: rule[2], port: Number(rule[3]) } : undefined
        m = {
          vm: vm!,
          netns: vm!,
          bridge: cfg.bridge,
          subnet: parts.slice(0, 3).join('.'),
          host: Number(parts[3]),
          veth: newVeth(cfg.bridge, Number(parts[3])),
          ...(forward ? { forward } : {}),
          seed: { kind: 'iso', path: file },
        }
        warnUnreachable(m)
      } else if (process.env.KUBELAB_DOUBLE_NEW_ADDRESS === '1') {
        m = { ...m, host: nextHost(m.subnet) }
      }
      writeMeta(paths, m)
      await boot(m, false)
      console.log(ipOf(m))
      return
    }
    case 'stop': {
      const m = readMeta(paths)
      if (m) await powerOff(paths, m)
      return
    }
    case 'delete': {
      const m = readMeta(paths)
      if (!m) return
      await powerOff(paths, m)
      await removeNetns(m)
      rmSync(paths.root, { recursive: true, force: true })
      rmSync(paths.meta, { force: true })
      if (!allMetas(state!).some((o) => o.bridge === m.bridge)) await removeBridge(m.bridge)
      return
    }
    case 'cloud-init-final': {
      const m = readMeta(paths)
      if (!m) throw new Error(`no machine recorded for ${vm}`)
      await runCloudInit(paths, m, cfg, 'final')
      rmSync(paths.cloudInitPid, { force: true })
      return
    }
    default:
      throw new Error(`unknown event ${event}`)
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`vm-node ${event} ${vm}: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  },
)
