// Where a cluster's SSH key lives and how to read its public half for cloud-init. The key pair
// itself is made at cluster create time by the provisioning path; VM providers only inject it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ClusterKey {
  readonly privateKeyFile: string
  /** One OpenSSH public key line: "ssh-ed25519 AAAA… kubelab-demo". */
  readonly publicKey: string
}

export function clusterKeyFiles(clusterDir: string): { privateKeyFile: string; publicKeyFile: string } {
  const privateKeyFile = join(clusterDir, 'keys', 'id_ed25519')
  return { privateKeyFile, publicKeyFile: `${privateKeyFile}.pub` }
}

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/

/** Reads the cluster key; throws naming the file and what to do when it is missing or malformed. */
export function readClusterKey(clusterDir: string): ClusterKey {
  const { privateKeyFile, publicKeyFile } = clusterKeyFiles(clusterDir)
  if (!existsSync(publicKeyFile)) {
    throw new Error(`the cluster's SSH key ${publicKeyFile} is missing: it is made when the cluster is created; delete the cluster and create it again`)
  }
  const publicKey = readFileSync(publicKeyFile, 'utf8').trim()
  if (!KEY_LINE.test(publicKey)) throw new Error(`${publicKeyFile} is not an OpenSSH public key line: delete the cluster and create it again`)
  return { privateKeyFile, publicKey }
}
