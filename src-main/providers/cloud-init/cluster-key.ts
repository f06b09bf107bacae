// The cluster's SSH key as VM providers inject it. The key pair itself belongs to the
// provisioning path (CLUSTER/ssh/id_ed25519, made once per cluster); VM providers need its
// public half earlier than provisioning does (in cloud-init, at launch), so they make it on
// first use through the same function and both always agree on one key.
import { ensureClusterSshKey } from '../../ssh-provisioning/keys'
import { hostKeyPin } from '../../ssh-provisioning/host-keys'
import type { ProviderContext, SshTarget } from '../types'
import { PROVISIONING_USER } from './user-data'

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

/** How the host reaches a VM's sshd at `host:port`: as the provisioning user, with the cluster key and the node's pinned host key. */
export function vmSshTarget(ctx: ProviderContext, nodeName: string, key: ClusterKey, host: string, port: number): SshTarget {
  return { host, port, user: PROVISIONING_USER, privateKeyFile: key.privateKeyFile, hostKey: hostKeyPin(ctx.clusterDir, nodeName) }
}
