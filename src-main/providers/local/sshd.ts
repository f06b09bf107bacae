// A local node's sshd: its own host key (pinned in the cluster's known_hosts as it is made, so
// the host refuses anything else answering at the node's address), config and authorized_keys (the cluster key only)
// under NODE/sshd, listening on the node's address inside its network namespace, root login by
// key only. Sessions get KUBELAB_ROOT (the node's folder, i.e. its filesystem root) and
// KUBELAB_NODE_BINARY (this host's Node.js) so the same install script serves VMs and local nodes.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { alive, killAll } from './host'
import { generateParseableKey } from '../../ssh-provisioning/keys'
import { pinKnownHostKey, type HostKeyPin } from '../../ssh-provisioning/host-keys'

export const SSHD = '/usr/sbin/sshd'

export function sshdFiles(dir: string): { dir: string; config: string; hostKey: string; authorizedKeys: string; pidFile: string; log: string } {
  const d = join(dir, 'sshd')
  return {
    dir: d,
    config: join(d, 'sshd_config'),
    hostKey: join(d, 'ssh_host_ed25519_key'),
    authorizedKeys: join(d, 'authorized_keys'),
    pidFile: join(d, 'sshd.pid'),
    log: join(dir, 'var', 'log', 'sshd.log'),
  }
}

export function sshdConfig(opts: {
  ip: string
  port: number
  hostKey: string
  authorizedKeys: string
  pidFile: string
  root: string
  nodeBinary: string
}): string {
  return `# Written by KubeLab's local provider: this node's own sshd.
ListenAddress ${opts.ip}:${opts.port}
HostKey ${opts.hostKey}
PidFile ${opts.pidFile}
AuthorizedKeysFile ${opts.authorizedKeys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
SetEnv KUBELAB_ROOT=${opts.root} KUBELAB_NODE_BINARY=${opts.nodeBinary}
`
}

function running(pidFile: string, config: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!(pid > 0) || !alive(pid)) return undefined
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(config) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Writes the config (idempotent) and starts sshd in the namespace unless it already runs. */
export function startSshd(dir: string, netns: string, opts: { ip: string; publicKey: string; nodeBinary: string; port?: number; pin?: HostKeyPin }): void {
  const f = sshdFiles(dir)
  mkdirSync(f.dir, { recursive: true, mode: 0o700 })
  mkdirSync(join(dir, 'var', 'log'), { recursive: true })
  const made = !existsSync(f.hostKey) || !existsSync(`${f.hostKey}.pub`)
  if (made) {
    const k = generateParseableKey(`kubelab-host-${netns}`)
    writeFileSync(f.hostKey, k.private, { mode: 0o600 })
    writeFileSync(`${f.hostKey}.pub`, `${k.public}\n`, { mode: 0o644 })
  }
  // A new key replaces the node's pin; an existing one is pinned only if nothing is (clusters made before pinning).
  if (opts.pin) pinKnownHostKey(opts.pin, readFileSync(`${f.hostKey}.pub`, 'utf8'), made)
  writeFileSync(f.authorizedKeys, `${opts.publicKey.trim()}\n`, { mode: 0o600 })
  writeFileSync(
    f.config,
    sshdConfig({
      ip: opts.ip,
      port: opts.port ?? 22,
      hostKey: f.hostKey,
      authorizedKeys: f.authorizedKeys,
      pidFile: f.pidFile,
      root: dir,
      nodeBinary: process.execPath,
    }),
    { mode: 0o600 },
  )
  if (running(f.pidFile, f.config)) return
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const test = spawnSync(SSHD, ['-t', '-f', f.config], { encoding: 'utf8' })
  if (test.status !== 0) throw new Error(`sshd rejects the config ${f.config}: ${test.stderr.trim()}`)
  // sshd daemonizes itself and writes its pid file; nsenter puts it in the node's namespace.
  const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, SSHD, '-f', f.config, '-E', f.log], { encoding: 'utf8', timeout: 15_000 })
  if (r.status !== 0) throw new Error(`could not start sshd for ${netns}: ${(r.stderr || r.stdout).trim()} (see ${f.log})`)
}

export async function stopSshd(dir: string): Promise<void> {
  const f = sshdFiles(dir)
  const pid = running(f.pidFile, f.config)
  if (pid) await killAll([pid], 5000)
  rmSync(f.pidFile, { force: true })
}
