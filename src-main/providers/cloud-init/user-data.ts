// cloud-init user-data for KubeLab nodes on Multipass and VirtualBox.
//
// Why this shape:
// - A separate `kubelab` user carries the cluster key, and root gets it too: KubeLab's
//   provisioning installs system files and services over SSH without sudo, so it logs in as
//   root (cloud-init's users module adds keys to an existing user; Ubuntu's sshd allows root by
//   key). `users:` starts with `default`, so the image's `ubuntu` user (and on Multipass its
//   vendor-data key) stays untouched: replacing Multipass's key broke its own access
//   (canonical/multipass#965, #1523).
// - Packages come from the Ubuntu archive (containerd, runc, CNI plugins, Node.js). cloud-init
//   installs them; Multipass's init timeout may expire meanwhile, which KubeLab treats as
//   "still provisioning" and then waits for `cloud-init status --wait` over SSH.
// - An optional netplan file pins a static address on an extra NIC matched by MAC (Multipass
//   manual-mode NIC); VirtualBox uses network-config instead (see network-config.ts).
import { stringify } from 'yaml'

/** The Ubuntu packages every node needs (universe: containernetworking-plugins). */
export const NODE_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'iptables', 'conntrack', 'socat', 'curl', 'xz-utils'] as const

/**
 * Node.js for the node agents. Ubuntu 24.04's archive has Node.js 18, older than the 20 the
 * bundle is built for, so the VM takes the newest 22.x release from nodejs.org for its own
 * architecture (x64 on Intel hosts, arm64 on Apple silicon), checked against the release's
 * SHASUMS256.txt, into /usr/local ($KUBELAB_NODE_PREFIX in tests). Skipped when a new enough node is already there.
 */
export const NODE_RUNTIME_SCRIPT = [
  'set -eu',
  'if command -v node >/dev/null && [ "$(node -p "process.versions.node.split(\\".\\")[0]")" -ge 20 ]; then exit 0; fi',
  'A=$(dpkg --print-architecture); case "$A" in amd64) A=x64;; arm64) A=arm64;; *) echo "no Node.js build for $A" >&2; exit 1;; esac',
  'B=https://nodejs.org/dist/latest-v22.x',
  'curl -fsSL --retry 5 "$B/SHASUMS256.txt" -o /tmp/node-shasums',
  'F=$(grep -o "node-v[0-9.]*-linux-$A.tar.xz" /tmp/node-shasums | head -n 1)',
  '[ -n "$F" ] || { echo "no linux-$A tarball listed in $B/SHASUMS256.txt" >&2; exit 1; }',
  'curl -fsSL --retry 5 "$B/$F" -o "/tmp/$F"',
  '(cd /tmp && grep " $F\$" node-shasums | sha256sum -c -)',
  'P=${KUBELAB_NODE_PREFIX:-/usr/local}',
  'tar -xJf "/tmp/$F" -C "$P" --strip-components=1 --no-same-owner',
  'rm -f "/tmp/$F" /tmp/node-shasums',
].join('\n')

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
export function renderUserData(o: UserDataOptions): string {
  if (o.authorizedKeys.length === 0) throw new Error('user-data needs at least one SSH key for the kubelab user')
  const keys = o.authorizedKeys.map(checkKey)
  const install = o.installPackages ?? true
  const doc: Record<string, unknown> = {
    hostname: o.hostname,
    users: [
      'default',
      {
        name: KUBELAB_USER,
        gecos: `KubeLab (${o.clusterName})`,
        groups: ['adm', 'sudo'],
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: keys,
      },
      { name: 'root', ssh_authorized_keys: keys },
    ],
    package_update: install,
    ...(install ? { packages: [...(o.packages ?? NODE_PACKAGES)] } : {}),
  }
  const runcmd: string[][] = []
  if (o.staticNic) {
    doc.write_files = [{ path: '/etc/netplan/60-kubelab.yaml', permissions: '0600', content: stringify(netplanStaticNic(o.staticNic), YAML_OPTS) }]
    runcmd.push(['netplan', 'apply'])
  }
  if (install) {
    runcmd.push(['sh', '-c', NODE_RUNTIME_SCRIPT])
    runcmd.push(['systemctl', 'enable', '--now', 'containerd'])
  }
  if (runcmd.length) doc.runcmd = runcmd
  return `#cloud-config\n${stringify(doc, YAML_OPTS)}`
}

/** NoCloud meta-data. `instanceId` must change on every rebuild or cloud-init skips the seed. */
export function renderMetaData(instanceId: string, hostname: string): string {
  return stringify({ 'instance-id': instanceId, 'local-hostname': hostname }, YAML_OPTS)
}
