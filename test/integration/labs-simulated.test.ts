// The non-root path: labs on a simulated cluster (API only, hollow nodes). Every lab's needs are
// checked against it (a lab it cannot run must say why); a few API-only labs are proven start →
// check fails with a reason → solution → check passes, and the imported Killercoda fixture the
// same way. The whole catalogue is proven on a real local cluster by test/e2e/labs-local-1/-2.test.ts,
// so this file proves only a sample, to keep CI time low.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hostExecutor,
  approveImportedScripts,
  importKillercoda,
  kubectlFor,
  LabRunner,
  loadCatalogue,
  ProgressStore,
  runSummary,
  unmetNeeds,
  type LabCluster,
  type Lab,
} from '../../src-main/lab-runner'
import { labSession } from '../../src-main/backend/labs/view'
import { startTestCluster, type TestCluster } from '../helpers/cluster'
import { proveLab } from '../helpers/labs'

const labsRoot = join(import.meta.dirname, '..', '..', 'labs')
/** API-only labs proven here too: scheduling, workloads, batch, drain, CRDs and admission (PriorityClass, quota) without containers. */
const SAMPLE = [
  'scale-deployment',
  'node-labels',
  'taints-tolerations',
  'jobs-cronjobs',
  'pdb-drain',
  'job-parallelism',
  'rollout-strategy',
  'pending-resources',
  'crd-custom-resource',
  'priorityclass',
  'resource-quota',
]
const entries = loadCatalogue([labsRoot])
let c: TestCluster
let cluster: LabCluster
let tmp: string

beforeAll(async () => {
  c = await startTestCluster({ nodes: 3 })
  tmp = mkdtempSync(join(tmpdir(), 'kubelab-labs-'))
  cluster = {
    name: 'labs-it',
    provider: 'simulated',
    kubectl: kubectlFor(c.kubeconfig),
    executor: hostExecutor(c.kubeconfig),
    progress: new ProgressStore(join(tmp, 'progress')),
  }
  await c.waitFor(
    '3 Ready nodes',
    async () =>
      (await c.k('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')).split(' ').filter((s) => s === 'True').length ===
      3,
  )
}, 60_000)

afterAll(async () => {
  await c?.close()
  rmSync(tmp, { recursive: true, force: true })
})

async function prove(lab: Lab, learner: Record<number, string[]> = {}): Promise<void> {
  const runner = await proveLab(cluster, lab, { learner, kubectl: (...args) => c.k(...args) })
  // The run is timed and counted: one failed and one passing check per step, no hint.
  const run = runSummary(runner.progress())
  expect(run).toMatchObject({ finished: true, attempts: lab.steps.length * 2, hints: 0 })
  expect(labSession('labs-it', runner.view()).result).toMatchObject({ seconds: run.seconds, attempts: run.attempts, hints: 0 })
}

describe('labs on a simulated cluster', () => {
  it('loads every lab in labs/ without errors', () => {
    expect(entries.filter((e) => e.error).map((e) => e.error)).toEqual([])
    expect(entries.length).toBeGreaterThanOrEqual(15)
  })

  it('explains every lab it cannot run by a capability simulated clusters lack', async () => {
    const all = entries.flatMap((e) => (e.lab ? [e.lab] : []))
    // The facts are about the cluster, not the lab: read them once.
    const facts = await new LabRunner(cluster, all[0]!).facts()
    for (const lab of all) {
      const unmet = unmetNeeds(lab, facts)
      expect(
        unmet.every((u) => u.why.length > 0),
        lab.id,
      ).toBe(true)
      for (const u of unmet)
        expect(
          ['runtime', 'node-ssh', 'host-to-node', 'networkpolicy', 'etcd', 'ingress', 'rbac', 'metrics', 'storage', 'loadbalancer', 'control-planes>=3'],
          `${lab.id}: ${u.need}`,
        ).toContain(u.need)
    }
  }, 60_000)

  for (const id of SAMPLE) {
    it(`${id}: start → check fails → solution → check passes`, async () => {
      const lab = entries.find((e) => e.lab?.id === id)?.lab
      expect(lab, `lab ${id} is in labs/`).toBeDefined()
      expect(unmetNeeds(lab!, await new LabRunner(cluster, lab!).facts())).toEqual([])
      await prove(lab!)
    }, 150_000)
  }

  it('resource-quota: the check names the refusal and refuses shortcuts around the quota and LimitRange', async () => {
    const lab = entries.find((e) => e.lab?.id === 'resource-quota')!.lab!
    const runner = new LabRunner(cluster, lab)
    await runner.start()
    const reason = async () => (await runner.check()).reason ?? ''
    // While pods turn Ready and the ReplicaSet's refusal comes and goes between its syncs, one
    // check may see a moment before: press Check again (at most 3 times), as a learner would.
    const reasonMatching = async (want: RegExp) => {
      let r = await reason()
      for (let i = 0; i < 2 && !want.test(r); i++) r = await reason()
      return r
    }
    const setResources = (...a: string[]) => c.k('-n', 'budget', 'set', 'resources', 'deploy/api', '-c', 'api', ...a)
    // Before anything: the LimitRanger's refusal, as the ReplicaSet reports it.
    await c.waitFor('api FailedCreate', async () =>
      (await c.k('-n', 'budget', 'get', 'deploy', 'api', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].message}')).includes(
        'maximum cpu usage per Container is 500m, but limit is 1',
      ),
    )
    const limitRefused = /api has 0 of 3 pods ready; its ReplicaSet reports: .*maximum cpu usage per Container is 500m, but limit is 1/
    expect(await reasonMatching(limitRefused)).toMatch(limitRefused)
    // Only the limit lowered: requests follow the limits, two pods fit, the third exceeds the quota.
    await setResources('--limits=cpu=500m,memory=512Mi')
    await c.waitFor('quota refusal', async () =>
      (await c.k('-n', 'budget', 'get', 'deploy', 'api', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].message}')).includes(
        'exceeded quota: compute',
      ),
    )
    const quotaRefused = /api has 2 of 3 pods ready; its ReplicaSet reports: .*exceeded quota: compute, requested: .*requests\.cpu=500m/
    expect(await reasonMatching(quotaRefused)).toMatch(quotaRefused)
    // The right sizes now: the rolling update is stuck, the old pods hold the quota the surge pod needs (hint 3).
    await setResources('--requests=cpu=250m,memory=256Mi', '--limits=cpu=500m,memory=512Mi')
    const surgeRefused =
      /api has 2 of 3 pods ready; its ReplicaSet reports: .*exceeded quota: compute, requested: requests\.cpu=250m,.*, used: requests\.cpu=1,/
    expect(await reasonMatching(surgeRefused)).toMatch(surgeRefused)
    await c.k('-n', 'budget', 'patch', 'deploy', 'api', '-p', '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}')
    await c.k('-n', 'budget', 'rollout', 'status', 'deploy/api', '--timeout=60s')
    expect((await runner.check()).outcome).toBe('passed')
    // From the start again: the shortcuts.
    await runner.start()
    // Raising the quota is refused.
    await c.k('-n', 'budget', 'patch', 'quota', 'compute', '-p', '{"spec":{"hard":{"requests.cpu":"2","requests.memory":"2Gi"}}}')
    expect(await reason()).toContain('ResourceQuota compute has requests.cpu=2, the platform team set 1')
    await c.k('-n', 'budget', 'patch', 'quota', 'compute', '-p', '{"spec":{"hard":{"requests.cpu":"1","requests.memory":"1Gi"}}}')
    // Deleting the LimitRange, rolling out too-big pods and putting it back: what runs is judged.
    await c.k('-n', 'budget', 'delete', 'limitrange', 'container-limits')
    expect(await reason()).toContain('LimitRange budget/container-limits is gone')
    await c.k('-n', 'budget', 'delete', 'quota', 'compute')
    expect(await reason()).toContain('ResourceQuota budget/compute is gone')
    await setResources('--requests=cpu=300m,memory=128Mi', '--limits=cpu=1,memory=256Mi')
    await c.k('-n', 'budget', 'rollout', 'status', 'deploy/api', '--timeout=60s')
    const put = (o: object) => c.kubectl(['-n', 'budget', 'create', '-f', '-'], { input: JSON.stringify(o) })
    expect(
      (
        await put({
          apiVersion: 'v1',
          kind: 'LimitRange',
          metadata: { name: 'container-limits' },
          spec: { limits: [{ type: 'Container', min: { cpu: '100m', memory: '64Mi' }, max: { cpu: '500m', memory: '512Mi' } }] },
        })
      ).code,
    ).toBe(0)
    expect(
      (
        await put({
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'compute' },
          spec: { hard: { pods: '5', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' } },
        })
      ).code,
    ).toBe(0)
    expect(await reason()).toMatch(/container api has requests 300m\/128Mi and limits 1\/256Mi, outside the LimitRange/)
    // Scoped away: a quota for BestEffort pods only no longer covers api.
    await c.k('-n', 'budget', 'delete', 'quota', 'compute')
    await c.k(
      '-n',
      'budget',
      'create',
      'quota',
      'compute',
      '--hard=pods=5,requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi',
      '--scopes=NotBestEffort',
    )
    expect(await reason()).toContain('ResourceQuota compute has scopes now')
    await runner.stop()
  }, 150_000)

  it('preemption: the scheduler makes the room; a wrong class, room made by hand or a smaller request are refused', async () => {
    const lab = entries.find((e) => e.lab?.id === 'preemption')!.lab!
    expect(unmetNeeds(lab, await new LabRunner(cluster, lab).facts())).toEqual([])
    const runner = new LabRunner(cluster, lab)
    await runner.start()
    const check = () => runner.check()
    const reason = async () => (await check()).reason ?? ''
    const k = (...a: string[]) => c.k('-n', 'priority', ...a)
    // Step 1: the value must be one below the highest user-defined class, and preempting. That is
    // the lab's own 5000 unless an earlier lab here left a higher class (priorityclass leaves 1000000).
    const top = Math.max(
      ...(await c.k('get', 'priorityclasses', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.value}{"\\n"}{end}'))
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([name]) => !name!.startsWith('system-'))
        .map(([, v]) => Number(v)),
    )
    expect(top).toBeGreaterThanOrEqual(5000)
    expect(await reason()).toContain('no PriorityClass high-priority yet')
    await c.k('create', 'priorityclass', 'high-priority', `--value=${top}`)
    expect(await reason()).toContain(
      `high-priority has value ${top}: the highest user-defined class has ${top} (system- classes do not count), so one less is ${top - 1}`,
    )
    await c.k('delete', 'priorityclass', 'high-priority')
    await c.k('create', 'priorityclass', 'high-priority', `--value=${top - 1}`, '--preemption-policy=Never')
    expect(await reason()).toContain('preemptionPolicy Never')
    await c.k('delete', 'priorityclass', 'high-priority')
    expect((await runner.solution({ run: true })).result?.code).toBe(0)
    expect(await check()).toMatchObject({ outcome: 'passed', step: 1 })
    // Step 2, by hand: batch scaled down so the logger fits, then back up. No batch pod was
    // preempted (the old, priority-0 logger pod may have taken the room and been preempted).
    expect(await reason()).toMatch(/busybox-logger's pod template names PriorityClass 'none'/)
    await k('scale', 'deploy/batch', '--replicas=1')
    await c.waitFor('one batch pod left', async () => (await k('get', 'pods', '-l', 'app=batch', '-o', 'name')).trim().split('\n').length === 1)
    await k('patch', 'deploy/busybox-logger', '-p', '{"spec":{"template":{"spec":{"priorityClassName":"high-priority"}}}}')
    await k('rollout', 'status', 'deploy/busybox-logger', '--timeout=60s')
    expect(await reason()).toContain('batch was scaled')
    await k('scale', 'deploy/batch', '--replicas=2')
    expect(await reason()).toContain('no batch pod was preempted for it')
    // A smaller request is refused too.
    await k('set', 'resources', 'deploy/busybox-logger', '--requests=cpu=10m')
    expect(await reason()).toContain('keep it and let priority make the room')
    // Reset replays the step (step 1's class made again); then the solution passes.
    await runner.reset()
    expect(await c.k('get', 'priorityclass', 'high-priority', '-o', 'jsonpath={.value}')).toBe(String(top - 1))
    expect((await runner.solution({ run: true })).result?.code).toBe(0)
    const done = await check()
    expect(done, done.reason).toMatchObject({ outcome: 'passed', step: 2 })
    // What the scheduler did: one batch pod evicted, the other and metrics kept, one batch pod Pending.
    const phases = (await k('get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.labels.app}={.status.phase} {end}')).trim().split(' ').sort()
    expect(phases).toEqual(['batch=Pending', 'batch=Running', 'busybox-logger=Running', 'metrics=Running'])
    await runner.stop()
  }, 150_000)

  it('imports the Killercoda fixture and passes it', async () => {
    const { lab } = importKillercoda(join(import.meta.dirname, '..', 'fixtures', 'killercoda', 'first-pod'), join(tmp, 'imported'), { approveScripts: true })
    expect(lab.needs.capabilities).toEqual([])
    await prove(lab, { 1: ['run', 'my-pod', '--image=nginx:alpine'], 2: ['delete', 'pod', 'my-pod', '--wait=false'] })
  }, 60_000)

  it("an imported scenario's scripts run only once allowed at import, and only as they were then", async () => {
    const fixture = join(import.meta.dirname, '..', 'fixtures', 'killercoda', 'own-objects')
    const { lab, scripts } = importKillercoda(fixture, join(tmp, 'imported'), { id: 'unasked' })
    expect(scripts.length).toBeGreaterThan(0)
    const refused = await new LabRunner(cluster, lab).start().then(
      () => undefined,
      (e: Error) => e,
    )
    expect(refused?.message).toMatch(/^lab unasked was imported from .* without allowing its scripts to run/)
    // Its background never ran: what it creates is not there.
    expect((await c.kubectl(['get', 'configmap', 'shop-settings'])).code).not.toBe(0)
    // Allowed (what `kubelab lab import … --yes` records), then one script changed behind the import's back.
    approveImportedScripts(lab.dir)
    const script = join(lab.dir, scripts[0]!)
    const ran = join(tmp, 'unasked-ran')
    writeFileSync(script, `${readFileSync(script, 'utf8')}\ntouch ${ran}\n`)
    const changed = await new LabRunner(cluster, lab).start().then(
      () => undefined,
      (e: Error) => e,
    )
    expect(changed?.message).toContain(`lab unasked: ${scripts[0]} is not the script that was allowed at import`)
    expect(existsSync(ran)).toBe(false)
  }, 60_000)

  it('reset deletes what the lab made and replays the current step', async () => {
    const lab = entries.find((e) => e.lab?.id === 'scale-deployment')!.lab!
    const runner = new LabRunner(cluster, lab)
    await runner.start()
    await c.k('-n', 'dev', 'scale', 'deploy/web', '--replicas=3')
    await c.k('-n', 'dev', 'create', 'configmap', 'stray')
    await runner.reset()
    expect((await c.kubectl(['-n', 'dev', 'get', 'configmap', 'stray'])).code).not.toBe(0)
    expect(await c.k('-n', 'dev', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('1')
    expect(await c.k('get', 'ns', 'dev', '-o', 'jsonpath={.metadata.labels.kubelab\\.dev/lab}')).toBe('scale-deployment')
  }, 60_000)

  it('fills in the lab variables in texts, hints and solutions', async () => {
    const lab = entries.find((e) => e.lab?.id === 'node-labels')!.lab!
    const runner = new LabRunner(cluster, lab)
    const v = await runner.start()
    expect(v.text).toContain('here it is `node-1`')
    expect(v.text).not.toContain('$KUBELAB')
    expect(v.progress.vars).toMatchObject({ KUBELAB_NODE_W1: 'node-1', KUBELAB_NODE_W2: 'node-2', KUBELAB_CLUSTER: 'labs-it' })
    expect((await runner.solution()).script).toContain('kubectl label node "node-1" disktype=ssd')
    await runner.check()
    await runner.check()
    const h = runner.hint()
    expect(h.index).toBe(1)
    expect(labSession('labs-it', runner.view()).hintsShown).toEqual([h.text])
    await runner.stop()
  }, 120_000)

  it("reset and stop remove what an imported scenario's background created, so it replays cleanly", async () => {
    const { lab } = importKillercoda(join(import.meta.dirname, '..', 'fixtures', 'killercoda', 'own-objects'), join(tmp, 'imported'), { approveScripts: true })
    expect(lab.namespaces).toEqual([])
    const runner = new LabRunner(cluster, lab)
    await runner.start()
    expect(runner.progress().created).toEqual(['ConfigMap/default/shop-settings', 'Namespace//shop'])
    await c.k('-n', 'shop', 'scale', 'deployment', 'web', '--replicas=3')
    expect((await runner.check()).outcome).toBe('failed')
    // Without tracking, the replayed background would fail: namespace "shop" already exists.
    await runner.reset()
    expect(await c.k('-n', 'shop', 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('1')
    // Starting again after an abandoned run works the same way.
    await runner.start()
    await c.k('-n', 'shop', 'scale', 'deployment', 'web', '--replicas=2')
    expect((await runner.check()).outcome).toBe('passed')
    await runner.stop()
    await c.waitFor('namespace shop gone', async () => (await c.kubectl(['get', 'namespace', 'shop'])).code !== 0)
    expect((await c.kubectl(['get', 'configmap', 'shop-settings'])).code).not.toBe(0)
    expect(runner.progress().created).toEqual([])
  }, 120_000)
})
