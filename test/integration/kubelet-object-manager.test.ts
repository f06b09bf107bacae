// The kubelet's ConfigMap/Secret managers (src-cluster/kubelet/object-manager.ts) against a real
// API server, with a node's own credentials: the objects a pod bound to the node uses are
// watched one by one (the Node authorizer allows exactly those), read from the watch cache,
// changes reach the pods that use them, and the watches end with the last pod.
import { join } from 'node:path'
import type { Pod } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src-cluster/api/object'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { issueClientCert } from '../../src-cluster/kit/pki'
import { RES } from '../../src-cluster/kit/resources'
import { PodObjectManager, podReferences } from '../../src-cluster/kubelet/object-manager'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

let t: TestApiServer
let nodeClient: ClosableClient
let admin: ClosableClient
let manager: PodObjectManager | undefined

const eventually = (what: string, check: () => boolean | Promise<boolean>) => poll(what, check, { timeoutMs: 10_000, intervalMs: 50 })

beforeAll(async () => {
  t = await startTestApiServer()
  const cert = issueClientCert(t.server.pki.ca, 'system:node:node-1', ['system:nodes'])
  const kc = join(t.dir, 'node-1.kubeconfig')
  writeKubeconfig(kc, { server: t.server.url, caPem: t.server.pki.ca.certPem, user: 'system:node:node-1', certPem: cert.certPem, keyPem: cert.keyPem })
  nodeClient = createClient(loadKubeconfig(kc))
  admin = createClient(loadKubeconfig(t.kubeconfig))
  await t.k(
    'apply',
    '-f',
    writeManifest(
      t.dir,
      'objects.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {a: b}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  nodeName: node-1
  containers:
  - name: c
    image: busybox
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    volumeMounts: [{name: cfg, mountPath: /etc/cfg}]
  volumes:
  - name: cfg
    projected: {sources: [{configMap: {name: settings}}]}
`,
    ),
  )
}, 60_000)

afterAll(async () => {
  manager?.stop()
  nodeClient?.close()
  admin?.close()
  await t?.close()
})

describe('kubelet ConfigMap/Secret managers', () => {
  it('names what a pod refers to, as upstream visits it', () => {
    const pod: Pod = {
      spec: {
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [
          { name: 'a', configMap: { name: 'cm-vol' } },
          { name: 'b', secret: { secretName: 's-vol' } },
        ],
        initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'cm-from' } }, { secretRef: { name: 's-from' } }] }],
        containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-key', key: 'k' } } }] }],
      },
    }
    expect(podReferences(pod, 'configmap').sort()).toEqual(['cm-from', 'cm-key', 'cm-vol'])
    expect(podReferences(pod, 'secret').sort()).toEqual(['pull', 's-from', 's-vol'])
  })

  it("watches a node's pod's objects with the node's credentials, tells the pod of changes, and stops with the pod", async () => {
    const pod = await admin.get<Pod & KubeObject>(RES.pods, 'default', 'user')
    const uid = pod!.metadata!.uid!
    const changed: string[] = []
    manager = new PodObjectManager(
      nodeClient,
      { configmaps: RES.configmaps, secrets: RES.secrets },
      { log: () => {}, changed: (uids) => changed.push(...uids) },
    )
    // The Node authorizer learns of the pod by a watch of its own.
    await eventually(
      'the node may read its pod',
      async () => (await nodeClient.get(RES.configmaps, 'default', 'settings').catch(() => undefined)) !== undefined,
    )
    manager.register(pod!)
    expect(manager.configMaps.watched()).toEqual(['default/settings'])
    expect(manager.secrets.watched()).toEqual(['default/creds'])
    expect((await manager.configMaps.get('default', 'settings'))?.data).toEqual({ color: 'blue' })
    expect(Buffer.from((await manager.secrets.get('default', 'creds'))?.data?.password ?? '', 'base64').toString()).toBe('s3cret')
    // Not a pod's: the node may not read it, and nothing watches it.
    await expect(manager.configMaps.get('default', 'unrelated')).rejects.toThrow(/forbidden/i)

    await t.k('patch', 'configmap', 'settings', '-p', '{"data":{"color":"green"}}')
    await eventually('the pod is told of the edit', () => changed.includes(uid))
    expect((await manager.configMaps.get('default', 'settings'))?.data).toEqual({ color: 'green' })

    manager.unregister(uid)
    expect(manager.configMaps.watched()).toEqual([])
    expect(manager.secrets.watched()).toEqual([])
  })
})
