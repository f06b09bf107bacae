// `kubelab create --default-toleration-seconds N` reaches the all-in-one control plane's API
// server: new pods get N-second not-ready/unreachable tolerations (the node failure drill's delay).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { startControlPlane } from '../../src-cluster/cmd/control-plane'
import { resourceRef } from '../../src-cluster/client'

const dir = mkdtempSync(join(tmpdir(), 'kl-cp-tol-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('gives new pods the configured default toleration seconds', async () => {
  const cp = await startControlPlane({
    dataDir: dir,
    securePort: 0,
    scheduler: false,
    controllerManager: false,
    controllerOptions: { defaultTolerationSeconds: 7 },
    log: () => {},
  })
  try {
    // No controller manager here to make the namespace's default ServiceAccount, which the
    // ServiceAccount admission plugin requires of a pod (as upstream).
    await cp.client.create(resourceRef('v1', 'serviceaccounts'), 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })
    const pod = await cp.client.create<{ spec?: { tolerations?: { key?: string; tolerationSeconds?: number }[] } }>(resourceRef('v1', 'pods'), 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    })
    const secs = Object.fromEntries((pod.spec?.tolerations ?? []).map((t) => [t.key, t.tolerationSeconds]))
    expect(secs).toEqual({ 'node.kubernetes.io/not-ready': 7, 'node.kubernetes.io/unreachable': 7 })
  } finally {
    await cp.close()
  }
})
