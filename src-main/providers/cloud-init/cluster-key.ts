// The cluster's SSH key as VM providers inject it. The key pair itself belongs to the
// provisioning path (CLUSTER/ssh/id_ed25519, made once per cluster); VM providers need its
// public half earlier than provisioning does (in cloud-init, at launch), so they make it on
// first use through the same function and both always agree on one key.
import { ensureClusterSshKey } from '../../ssh-provisioning/keys'

export interface ClusterKey {
  readonly privateKeyFile: string
  /** One OpenSSH public key line: "ssh-ed25519 AAAA… kubelab-demo". */
  readonly publicKey: string
}

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/

/** The cluster key (made on first use); throws naming the file and what to do when it is malformed. */
export function clusterKey(clusterDir: string, clusterName: string): ClusterKey {
  const k = ensureClusterSshKey(clusterDir, `kubelab-${clusterName}`)
  if (!KEY_LINE.test(k.publicKey)) throw new Error(`${k.publicKeyFile} is not an OpenSSH public key line: delete the cluster and create it again`)
  return { privateKeyFile: k.privateKeyFile, publicKey: k.publicKey }
}
