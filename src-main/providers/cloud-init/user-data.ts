// cloud-init user-data for KubeLab nodes on Multipass and VirtualBox.
//
// Why this shape:
// - A separate `kubelab` user carries the cluster key, and root gets it too: KubeLab's
//   provisioning installs system files and services over SSH without sudo, so it logs in as
//   root (cloud-init's users module adds keys to an existing user; Ubuntu's sshd allows root by
//   key). `users:` starts with `default`, so the image's `ubuntu` user (and on Multipass its
//   vendor-data key) stays untouched: replacing Multipass's key broke its own access
//   (canonical/multipass#965, #1523).
// - Packages come from the guest's archive (containerd, runc, CNI plugins), installed only when
//   the image lacks them; Multipass's init timeout may expire meanwhile, which KubeLab treats
//   as "still provisioning" and then waits for `cloud-init status --wait` over SSH. Node.js is
//   not fetched here: provisioning uploads the host's copy (ssh-provisioning/node-runtime.ts).
// - An optional netplan file pins a static address on an extra NIC matched by MAC (Multipass
//   manual-mode NIC); VirtualBox uses network-config instead (see network-config.ts).
import { stringify } from 'yaml'

/** The Ubuntu packages every node needs (universe: containernetworking-plugins). */
export const NODE_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'iptables', 'conntrack', 'socat', 'curl', 'xz-utils'] as const

/**
 * Installs only the NODE_PACKAGES the image lacks (as `sh -c SCRIPT kubelab-ensure-packages
 * PKG...`). cloud-init's own `packages:` would run `apt-get update` even when every package is
 * already there, which needs the internet and takes minutes on a slow VM; an image that has
 * them (e.g. KubeLab's test image) thus boots without touching the network.
 */
export const ENSURE_PACKAGES_SCRIPT = [
  'set -eu',
  'missing=""',
  'for p in "$@"; do dpkg-query -W -f=\'${Status}\' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done',
  '[ -n "$missing" ] || { echo "kubelab: packages already installed: $*"; exit 0; }',
  'echo "kubelab: installing$missing"',
  'export DEBIAN_FRONTEND=noninteractive',
  'apt-get update -q',
  'apt-get install -y -q $missing',
].join('\n')

/** argv[0] of the package step, so a reader of the user-data (and our doubles) can find it. */
export const ENSURE_PACKAGES_NAME = 'kubelab-ensure-packages'

export const KUBELAB_USER = 'kubelab'

/** The user KubeLab's provisioning logs in as (it writes /etc and starts services). */
export const PROVISIONING_USER = 'root'

/** Never fold long lines: an SSH key must stay on one line. */
export const YAML_OPTS = { lineWidth: 0 } as const

export interface StaticNic {
  /** "52:54:00:4b:ab:11" — matched case-insensitively by netplan. */
  readonly mac: string
  /** Name the NIC gets in the guest, e.g. "lab0". */
  readonly name: string
  /** CIDR form: "10.13.31.11/24". */
  readonly address: string
}

export interface UserDataOptions {
  readonly clusterName: string
  readonly hostname: string
  /** OpenSSH public key lines to authorize for the kubelab user. */
  readonly authorizedKeys: readonly string[]
  /** Install packages during cloud-init (default true). */
  readonly installPackages?: boolean
  readonly packages?: readonly string[]
  /** Extra NIC with a static address written as a netplan file (Multipass manual NIC). */
  readonly staticNic?: StaticNic
}

function checkKey(k: string): string {
  if (/[\r\n]/.test(k) || !/^(ssh-|ecdsa-)\S+ \S+/.test(k.trim())) throw new Error(`not an OpenSSH public key line: ${JSON.stringify(k.slice(0, 40))}`)
  return k.trim()
}

/** The netplan document for one static NIC (also used in network-config form). */
export function netplanStaticNic(nic: StaticNic): Record<string, unknown> {
  return {
    network: {
      version: 2,
      ethernets: { [nic.name]: { match: { macaddress: nic.mac.toLowerCase() }, 'set-name': nic.name, dhcp4: false, addresses: [nic.address] } },
    },
  }
}

/** Renders "#cloud-config" user-data. */
export function renderUserData(opts: UserDataOptions): string {
  if (opts.authorizedKeys.length === 0) throw new Error('user-data needs at least one SSH key for the kubelab user')
  const keys = opts.authorizedKeys.map(checkKey)
  const install = opts.installPackages ?? true
  const doc: Record<string, unknown> = {
    hostname: opts.hostname,
    users: [
      'default',
      {
        name: KUBELAB_USER,
        gecos: `KubeLab (${opts.clusterName})`,
        groups: ['adm', 'sudo'],
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: keys,
      },
      { name: 'root', ssh_authorized_keys: keys },
    ],
  }
  const runcmd: string[][] = []
  if (opts.staticNic) {
    doc.write_files = [{ path: '/etc/netplan/60-kubelab.yaml', permissions: '0600', content: stringify(netplanStaticNic(opts.staticNic), YAML_OPTS) }]
    runcmd.push(['netplan', 'apply'])
  }
  if (install) {
    runcmd.push(['sh', '-c', ENSURE_PACKAGES_SCRIPT, ENSURE_PACKAGES_NAME, ...(opts.packages ?? NODE_PACKAGES)])
    runcmd.push(['systemctl', 'enable', '--now', 'containerd'])
  }
  if (runcmd.length) doc.runcmd = runcmd
  return `#cloud-config\n${stringify(doc, YAML_OPTS)}`
}

/** NoCloud meta-data. `instanceId` must change on every rebuild or cloud-init skips the seed. */
export function renderMetaData(instanceId: string, hostname: string): string {
  return stringify({ 'instance-id': instanceId, 'local-hostname': hostname }, YAML_OPTS)
}
