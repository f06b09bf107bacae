// Helm 4 (v4.1, built on client-go 1.35: a client-go program nobody here wrote) driven as its
// users drive it, against an in-process simulated cluster whose pods become Ready after a
// short start delay (so `--wait` has something to wait for). The chart (fixtures/helm-chart)
// has a CRD in crds/ and a custom resource of it, a Deployment, Service, ConfigMap, Secret and
// ServiceAccount, a post-install Job hook, a post-install/post-upgrade ConfigMap hook and a
// test Pod. Helm 4 applies server-side (fieldManager=helm, fieldValidation=Strict), waits with
// kstatus watchers over watch-list streams (sendInitialEvents), keeps releases in labelled
// Secrets (protobuf bodies) and prints `helm status` resources from server-side Tables.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resourceRef, type ResourceRef } from '../../src-cluster/client'
import { helmRunner, requireHelm, type HelmResult } from '../helpers/helm'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

const HELM = requireHelm()
const CHART = join(import.meta.dirname, 'fixtures', 'helm-chart')
const NS = 'apps'

const DEPLOYMENTS = resourceRef('apps/v1', 'deployments')
const CONFIGMAPS = resourceRef('v1', 'configmaps')
const SECRETS = resourceRef('v1', 'secrets')
const SERVICES = resourceRef('v1', 'services')
const SERVICEACCOUNTS = resourceRef('v1', 'serviceaccounts')
const PODS = resourceRef('v1', 'pods')
const JOBS = resourceRef('batch/v1', 'jobs')
const CRDS = resourceRef('apiextensions.k8s.io/v1', 'customresourcedefinitions')
const WIDGETS: ResourceRef = { group: 'lab.example.com', version: 'v1', plural: 'widgets', namespaced: true, kind: 'Widget' }

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; managedFields?: { manager: string; operation: string }[] }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  data?: Record<string, string>
  type?: string
}

let c: TestCluster
let home: string
let run: (args: string[]) => Promise<HelmResult>

/** Helm that must succeed; returns stdout. */
async function helm(...args: string[]): Promise<string> {
  const r = await run(args)
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`)
  return r.stdout
}

const get = (res: ResourceRef, name: string, ns: string | undefined = NS): Promise<Obj | undefined> => c.client.get(res, ns, name) as Promise<Obj | undefined>
const releaseSecrets = async (release: string): Promise<Obj[]> =>
  (await c.client.list(SECRETS, { namespace: NS, labelSelector: `owner=helm,name=${release}` })).items as unknown as Obj[]

beforeAll(async () => {
  if (!HELM) return
  // Pods start 800 ms after they are bound: an install that did not wait would return first.
  c = await startTestCluster({ nodes: 2, nodeOptions: { startDelayMs: 800, runTimeMs: 300 } })
  home = mkdtempSync(join(tmpdir(), 'kubelab-helm-'))
  run = helmRunner(HELM, c.kubeconfig, home)
})

afterAll(async () => {
  await c?.close()
  if (home) rmSync(home, { recursive: true, force: true })
})

describe.skipIf(!HELM)('Helm 4 (client-go 1.35) against the API server', () => {
  it('installs a chart with a CRD, hooks and --wait; objects are applied server-side by helm', async () => {
    const out = await helm('install', 'lab', CHART, '--namespace', NS, '--create-namespace', '--wait', '--timeout', '40s')
    expect(out).toMatch(/^NAME: lab$/m)
    expect(out).toMatch(/^STATUS: deployed$/m)

    // --wait (kstatus) returned only once the Deployment was rolled out.
    const dep = (await get(DEPLOYMENTS, 'lab-web'))!
    expect(dep.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 })
    expect(dep.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'lab' })
    expect(dep.metadata.managedFields?.find((f) => f.manager === 'helm')).toMatchObject({ operation: 'Apply' })

    expect((await get(CONFIGMAPS, 'lab-config'))?.data).toEqual({ greeting: 'hello' })
    expect(Buffer.from((await get(SECRETS, 'lab-secret'))!.data!.password, 'base64').toString()).toBe('lab-password')
    expect(await get(SERVICEACCOUNTS, 'lab-sa')).toBeDefined()
    expect((await get(SERVICES, 'lab-web'))?.spec?.ports).toMatchObject([{ name: 'http', port: 80, targetPort: 'http' }])
    const crd = (await get(CRDS, 'widgets.lab.example.com', undefined))!
    expect((crd.status?.conditions as { type: string; status: string }[]).find((x) => x.type === 'Established')?.status).toBe('True')
    expect((await get(WIDGETS, 'lab-widget'))?.spec).toEqual({ size: 2, color: 'blue' })

    // Hooks ran after the install: the Job completed (and was deleted, hook-succeeded), the
    // ConfigMap hook is there with this revision.
    expect((await get(CONFIGMAPS, 'lab-installed'))?.data).toEqual({ revision: '1' })
    expect(await get(JOBS, 'lab-migrate')).toBeUndefined()
    expect(await helm('get', 'hooks', 'lab', '-n', NS)).toMatch(/name: lab-migrate[\s\S]*name: lab-installed|name: lab-installed[\s\S]*name: lab-migrate/)

    // The release is a Secret with Helm's labels.
    const [rel] = await releaseSecrets('lab')
    expect(rel.metadata.name).toBe('sh.helm.release.v1.lab.v1')
    expect(rel.type).toBe('helm.sh/release.v1')
    expect(rel.metadata.labels).toMatchObject({ owner: 'helm', name: 'lab', status: 'deployed', version: '1' })
  })

  it('lists, shows status (server-side Tables), manifest and values', async () => {
    const list = JSON.parse(await helm('list', '-A', '-o', 'json')) as Record<string, string>[]
    expect(list.map((r) => [r.name, r.namespace, r.revision, r.status, r.chart, r.app_version])).toEqual([['lab', NS, '1', 'deployed', 'labapp-0.1.0', '1.0']])

    const status = await helm('status', 'lab', '-n', NS)
    expect(status).toMatch(/^==> v1\/Deployment\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nlab-web\s+2\/2\s+2\s+2\s+\S+$/m)
    expect(status).toMatch(/^==> v1\/Widget\nNAME\s+AGE\nlab-widget\s+\S+$/m)
    expect(status).toMatch(/^==> v1\/Pod\(related\)\nNAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n(lab-web-\S+\s+1\/1\s+Running\s+0\s+\S+\n){2}/m)

    const manifest = await helm('get', 'manifest', 'lab', '-n', NS)
    expect(manifest).toContain('# Source: labapp/templates/deployment.yaml')
    expect(manifest).toContain('kind: Widget')
    expect(manifest).not.toContain('kind: CustomResourceDefinition')
    expect(JSON.parse(await helm('get', 'values', 'lab', '-n', NS, '-o', 'json'))).toBeNull()
    expect(JSON.parse(await helm('get', 'values', 'lab', '-n', NS, '--all', '-o', 'json'))).toEqual({
      replicaCount: 2,
      image: 'busybox:1.36',
      greeting: 'hello',
      service: { port: 80 },
    })
  })

  it('runs the chart test Pod to completion', async () => {
    const out = await helm('test', 'lab', '-n', NS)
    expect(out).toMatch(/^TEST SUITE:\s+lab-test$/m)
    expect(out).toMatch(/^Phase:\s+Succeeded$/m)
  })

  it('upgrades with --set: the changed values reach the cluster; history shows both revisions', async () => {
    await helm('upgrade', 'lab', CHART, '-n', NS, '--set', 'greeting=bonjour', '--set', 'replicaCount=3', '--wait', '--timeout', '40s')
    expect((await get(CONFIGMAPS, 'lab-config'))?.data).toEqual({ greeting: 'bonjour' })
    expect((await get(DEPLOYMENTS, 'lab-web'))?.status).toMatchObject({ replicas: 3, readyReplicas: 3 })
    expect((await get(WIDGETS, 'lab-widget'))?.spec).toEqual({ size: 3, color: 'blue' })
    expect((await get(CONFIGMAPS, 'lab-installed'))?.data).toEqual({ revision: '2' })
    expect(JSON.parse(await helm('get', 'values', 'lab', '-n', NS, '-o', 'json'))).toEqual({ greeting: 'bonjour', replicaCount: 3 })

    const history = JSON.parse(await helm('history', 'lab', '-n', NS, '-o', 'json')) as { revision: number; status: string; description: string }[]
    expect(history.map((h) => [h.revision, h.status, h.description])).toEqual([
      [1, 'superseded', 'Install complete'],
      [2, 'deployed', 'Upgrade complete'],
    ])
    expect((await releaseSecrets('lab')).map((s) => [s.metadata.name, s.metadata.labels?.status]).sort()).toEqual([
      ['sh.helm.release.v1.lab.v1', 'superseded'],
      ['sh.helm.release.v1.lab.v2', 'deployed'],
    ])
  })

  it('an upgrade that conflicts with another field manager is refused as upstream, until --force-conflicts', async () => {
    await c.k('scale', 'deployment/lab-web', '-n', NS, '--replicas=5')
    const r = await run(['upgrade', 'lab', CHART, '-n', NS, '--reuse-values'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'Error: UPGRADE FAILED: conflict occurred while applying object apps/lab-web apps/v1, Kind=Deployment: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    )
    expect((await get(DEPLOYMENTS, 'lab-web'))?.spec?.replicas).toBe(5)

    await helm('upgrade', 'lab', CHART, '-n', NS, '--reuse-values', '--force-conflicts', '--wait', '--timeout', '40s')
    const dep = (await get(DEPLOYMENTS, 'lab-web'))!
    expect(dep.spec?.replicas).toBe(3)
    expect(dep.status).toMatchObject({ replicas: 3, readyReplicas: 3 })
  })

  it('rolls back to revision 1', async () => {
    await helm('rollback', 'lab', '1', '-n', NS, '--wait', '--timeout', '40s')
    expect((await get(CONFIGMAPS, 'lab-config'))?.data).toEqual({ greeting: 'hello' })
    expect((await get(DEPLOYMENTS, 'lab-web'))?.status).toMatchObject({ replicas: 2, readyReplicas: 2 })
    expect((await get(WIDGETS, 'lab-widget'))?.spec).toEqual({ size: 2, color: 'blue' })
    const history = JSON.parse(await helm('history', 'lab', '-n', NS, '-o', 'json')) as { revision: number; status: string; description: string }[]
    expect(history.at(-1)).toMatchObject({ revision: 5, status: 'deployed', description: 'Rollback to 1' })
  })

  it('a release installed client-side (--server-side=false) moves to server-side apply, its Update entries turned into Apply', async () => {
    const managers = async (res: ResourceRef, name: string): Promise<string[]> =>
      ((await c.client.get(res, 'legacy', name)) as Obj).metadata.managedFields!.filter((f) => f.manager === 'helm').map((f) => f.operation)
    await helm('install', 'old', CHART, '-n', 'legacy', '--create-namespace', '--server-side=false', '--wait', '--timeout', '40s')
    expect(await managers(CONFIGMAPS, 'old-config')).toEqual(['Update'])
    // Helm 3's three-way merge: a strategic merge patch (a JSON merge patch for the Widget).
    await helm('upgrade', 'old', CHART, '-n', 'legacy', '--server-side=false', '--set', 'greeting=ciao', '--set', 'replicaCount=1')
    expect((await c.client.get(CONFIGMAPS, 'legacy', 'old-config'))?.data).toEqual({ greeting: 'ciao' })
    expect((await c.client.get(WIDGETS, 'legacy', 'old-widget'))?.spec).toEqual({ size: 1, color: 'blue' })
    // Server-side now: Helm first rewrites managedFields with a JSON patch (client-go's
    // csaupgrade), then applies.
    await helm('upgrade', 'old', CHART, '-n', 'legacy', '--server-side=true', '--set', 'greeting=salut')
    expect((await c.client.get(CONFIGMAPS, 'legacy', 'old-config'))?.data).toEqual({ greeting: 'salut' })
    expect(await managers(CONFIGMAPS, 'old-config')).toEqual(['Apply'])
    expect(await managers(DEPLOYMENTS, 'old-web')).toEqual(['Apply'])
    expect((await get(DEPLOYMENTS, 'old-web', 'legacy'))?.spec?.replicas).toBe(2)
    await helm('uninstall', 'old', '-n', 'legacy', '--wait', '--timeout', '40s')
    expect(await c.client.get(CONFIGMAPS, 'legacy', 'old-config')).toBeUndefined()
  })

  it('install --dry-run=server renders against the cluster and writes nothing', async () => {
    const out = await helm('install', 'other', CHART, '-n', NS, '--dry-run=server')
    expect(out).toMatch(/^STATUS: pending-install$/m)
    expect(out).toMatch(/^DESCRIPTION: Dry run complete$/m)
    expect(out).toContain('name: other-web')
    expect(await get(CONFIGMAPS, 'other-config')).toBeUndefined()
    expect(await get(DEPLOYMENTS, 'other-web')).toBeUndefined()
    expect(await releaseSecrets('other')).toEqual([])
  })

  it('uninstalls: the release objects and release Secrets are gone, the CRD stays (as Helm keeps crds/)', async () => {
    const out = await helm('uninstall', 'lab', '-n', NS, '--wait', '--timeout', '40s')
    expect(out).toBe('release "lab" uninstalled\n')
    expect(await get(DEPLOYMENTS, 'lab-web')).toBeUndefined()
    expect(await get(SERVICES, 'lab-web')).toBeUndefined()
    expect(await get(CONFIGMAPS, 'lab-config')).toBeUndefined()
    expect(await get(SECRETS, 'lab-secret')).toBeUndefined()
    expect(await get(SERVICEACCOUNTS, 'lab-sa')).toBeUndefined()
    expect(await get(WIDGETS, 'lab-widget')).toBeUndefined()
    expect(await releaseSecrets('lab')).toEqual([])
    // The Deployment's pods go by garbage collection after it.
    await c.waitFor('the release pods to go', async () =>
      (await c.client.list(PODS, { namespace: NS })).items.every((p) => !p.metadata?.name?.startsWith('lab-web-')),
    )
    expect(JSON.parse(await helm('list', '-A', '-o', 'json'))).toEqual([])
    expect(await get(CRDS, 'widgets.lab.example.com', undefined)).toBeDefined()
  })
})
