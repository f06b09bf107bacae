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

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const cluster = spec.clusterName ?? 'kubelab'
  const context = spec.contextName ?? `${spec.user}@${cluster}`
  const user: Record<string, string> = {}
  if (spec.certPem && spec.keyPem) {
    user['client-certificate-data'] = b64(spec.certPem)
    user['client-key-data'] = b64(spec.keyPem)
  }
  if (spec.token) user.token = spec.token
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.user, user }],
    contexts: [{ name: context, context: { cluster, user: spec.user, ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
    'current-context': context,
    preferences: {},
  })
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  mkdirSync(dirname(path), { recursive: true })
  // Through a temporary file and a rename: a reader polling for the file (kubelab create's
  // wait, tests) never sees it half-written.
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, kubeconfigYaml(spec), { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}
