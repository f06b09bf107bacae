// Kubeconfig files: what `kubectl --kubeconfig FILE` needs and nothing else. Mode 0600: they
// hold credentials.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { stringify } from 'yaml'

export interface KubeconfigSpec {
  readonly server: string
  readonly caPem: string
  readonly user: string
  readonly certPem?: string
  readonly keyPem?: string
  readonly token?: string
  readonly clusterName?: string
  readonly contextName?: string
  readonly namespace?: string
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')

export function kubeconfigYaml(s: KubeconfigSpec): string {
  const cluster = s.clusterName ?? 'kubelab'
  const context = s.contextName ?? `${s.user}@${cluster}`
  const user: Record<string, string> = {}
  if (s.certPem && s.keyPem) {
    user['client-certificate-data'] = b64(s.certPem)
    user['client-key-data'] = b64(s.keyPem)
  }
  if (s.token) user.token = s.token
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: s.server, 'certificate-authority-data': b64(s.caPem) } }],
    users: [{ name: s.user, user }],
    contexts: [{ name: context, context: { cluster, user: s.user, ...(s.namespace ? { namespace: s.namespace } : {}) } }],
    'current-context': context,
    preferences: {},
  })
}

export function writeKubeconfig(path: string, s: KubeconfigSpec): void {
  mkdirSync(dirname(path), { recursive: true })
  // Through a temporary file and a rename: a reader polling for the file (kubelab create's
  // wait, tests) never sees it half-written.
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, kubeconfigYaml(s), { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}
