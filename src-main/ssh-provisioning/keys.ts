// The cluster's SSH key: one ed25519 key pair per cluster, in OpenSSH format, kept in
// CLUSTER/ssh/ (private key mode 0600). Providers put the public key on every node (cloud-init
// for VMs, authorized_keys for local nodes); the host logs in with the private key.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ssh2 from 'ssh2'

// ssh2 is CommonJS: Node's ESM loader only gives its default export.
const { utils } = ssh2

export interface ClusterSshKey {
  readonly privateKeyFile: string
  readonly publicKeyFile: string
  /** The `ssh-ed25519 AAAA... kubelab-NAME` line. */
  readonly publicKey: string
}

export function sshKeyFiles(clusterDir: string): { dir: string; privateKeyFile: string; publicKeyFile: string } {
  const dir = join(clusterDir, 'ssh')
  return { dir, privateKeyFile: join(dir, 'id_ed25519'), publicKeyFile: join(dir, 'id_ed25519.pub') }
}

/**
 * ssh2's ed25519 generator now and then (about 1 in 170 here) writes a key its own parser rejects
 * ("Malformed OpenSSH private key"): keep only a key that parses.
 */
export function generateParseableKey(comment: string): { private: string; public: string } {
  for (let i = 0; i < 20; i++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment })
    if (!(utils.parseKey(pair.private) instanceof Error)) return pair
  }
  throw new Error('could not generate an SSH key that ssh2 can read back (20 tries); report this with your Node.js and ssh2 versions')
}

/** Reuses the cluster's key, or makes one (idempotent: a re-run of create keeps the key). */
export function ensureClusterSshKey(clusterDir: string, comment: string): ClusterSshKey {
  const f = sshKeyFiles(clusterDir)
  mkdirSync(f.dir, { recursive: true, mode: 0o700 })
  if (!existsSync(f.privateKeyFile) || !existsSync(f.publicKeyFile)) {
    const pair = generateParseableKey(comment)
    writeFileSync(f.privateKeyFile, pair.private, { mode: 0o600 })
    writeFileSync(f.publicKeyFile, `${pair.public.trim()}\n`, { mode: 0o644 })
  }
  chmodSync(f.privateKeyFile, 0o600)
  return { privateKeyFile: f.privateKeyFile, publicKeyFile: f.publicKeyFile, publicKey: readFileSync(f.publicKeyFile, 'utf8').trim() }
}
