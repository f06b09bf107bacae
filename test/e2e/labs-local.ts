// Every lab in labs/ on real 1+2 `local` clusters (real containerd, SSH to nodes): start →
// check fails with a reason → solution → check passes, step by step, as CI proves them; then the
// Killercoda fixture, imported in its own format, with the learner's commands. The catalogue is
// split in two halves (labsOnLocalCluster(1) and (2), one test file and one cluster each, run side
// by side: test/e2e/labs-local-1.test.ts, -2.test.ts); every lab is in exactly one half. Labs
// clean up their own namespaces, so one cluster serves its half. Labs that break nodes (stop a
// kubelet or the scheduler) run last, and whatever they stopped is started again even when they fail.
// A local cluster has every capability the catalogue needs (NetworkPolicy, Ingress, RBAC,
// LoadBalancer addresses), so a lab whose needs it does not meet fails with the reason.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterManager } from '../../src-main/clusters'
import { importKillercoda, LabRunner, loadCatalogue, managedLabCluster, unmetNeeds, type Lab, type ManagedLabCluster } from '../../src-main/lab-runner'
import { clusterHome } from '../helpers/cli'
import { proveLab } from '../helpers/labs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Labs run in this order: those that stop node components or break a node's configuration go last. */
const BREAKS_NODES = ['stopped-scheduler', 'notready-node', 'node-failure', 'kubelet-config', 'dns-outage']
/** KUBELAB_LABS=id,id runs only those labs (and skips the Killercoda import), e.g. while writing a lab. */
const ONLY = process.env.KUBELAB_LABS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean)
/** Capabilities a local cluster may lack without failing its labs (none: it has them all). */
const IN_PROGRESS = new Set<string>()
/** Labs this cluster (embedded store) cannot run, proven in CI on a cluster that can, by the file named. */
const PROVEN_ELSEWHERE: Record<string, { needs: string[]; file: string }> = {
  'etcd-backup': { needs: ['etcd'], file: 'test/e2e/local-etcd.test.ts' },
  'ha-control-plane': { needs: ['control-planes>=3', 'etcd'], file: 'test/e2e/local-ha.test.ts' },
}

const entries = loadCatalogue([join(ROOT, 'labs')])
/** Every lab, node-breaking ones last; half `part` (1 or 2) takes every other one, so both halves get some of each kind. */
const allLabs = entries
  .flatMap((e) => (e.lab ? [e.lab] : []))
  .sort((a, b) => Number(BREAKS_NODES.includes(a.id)) - Number(BREAKS_NODES.includes(b.id)) || a.id.localeCompare(b.id))
export const labsOfPart = (part: 1 | 2): Lab[] => allLabs.filter((_, i) => i % 2 === part - 1)

/** The labs of half `part` on a local cluster of their own, named `NAME`. */
export function labsOnLocalCluster(part: 1 | 2, NAME: string): void {
  const labs = labsOfPart(part).filter((l) => !ONLY || ONLY.includes(l.id))
  // Short: containerd's socket path under the cluster folder must fit a unix socket.
  const { home, env, kubelab, kubectl } = clusterHome(NAME, { prefix: '/tmp/kll-' })
  let cluster: ManagedLabCluster
  const timings: string[] = []

  /** Starts again whatever a node-breaking lab stopped (kubelets on workers, the scheduler on cp). */
  async function repairNodes(): Promise<void> {
    const script = join(home, 'repair.sh')
    writeFileSync(script, '"${KUBELAB_NODE_BINARY:-node}" "${KUBELAB_ROOT:-}/var/lib/kubelab/bin/supervisor.mjs" ctl start "$KUBELAB_REPAIR"\n')
    for (const [node, comp] of [
      ['cp', 'scheduler'],
      ['cp', 'dns'],
      ['w1', 'kubelet'],
      ['w2', 'kubelet'],
    ] as const) {
      await cluster.executor.run({ script, node, env: { KUBELAB_REPAIR: comp }, cwd: home, timeoutMs: 30_000 }).catch(() => undefined)
    }
  }

  async function prove(lab: Lab, learner: Record<number, string[]> = {}, ran?: LabRunner): Promise<void> {
    const t0 = Date.now()
    // Settling (a rollout, an eviction) may outlast one bounded check: press Check again, as a learner would.
    const runner = await proveLab(cluster, lab, { learner, kubectl, checkAgain: 3, runner: ran })
    // The next lab should not share the machine with this one's pods.
    await runner.stop()
    // Labs share the cluster: what one did to nodes must be undone before the next starts.
    const nodes = await kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}:{.spec.unschedulable}:{.spec.taints[*].key}{"\\n"}{end}')
    // (node.kubernetes.io/* taints are the node controller's: a node-breaking lab's node may still carry them.)
    const ours = (line: string): string[] => {
      const [, unschedulable = '', taints = ''] = line.split(':')
      return [
        ...(unschedulable === 'true' ? ['cordoned'] : []),
        ...taints.split(' ').filter((t) => t && t !== 'node-role.kubernetes.io/control-plane' && !t.startsWith('node.kubernetes.io/')),
      ]
    }
    const dirty = nodes.split('\n').filter((l) => l && ours(l).length > 0)
    expect(dirty, `${lab.id} left nodes tainted or cordoned`).toEqual([])
    timings.push(`${lab.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }

  beforeAll(async () => {
    const t0 = Date.now()
    await kubelab('create', NAME, '--provider', 'local', '--workers', '2', '--timeout', '240')
    timings.push(`create: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    cluster = await managedLabCluster(new ClusterManager({ env }), NAME)
  }, 300_000)

  afterAll(async () => {
    console.log(`lab timings on the local cluster:\n  ${timings.join('\n  ')}`)
    cluster?.close()
    if (existsSync(join(home, 'clusters', NAME, 'cluster.json'))) await kubelab('delete', NAME).catch((e: Error) => console.error(e.message))
    rmSync(home, { recursive: true, force: true })
  }, 180_000)

  describe(`labs, half ${part}, on a local 1+2 cluster (${NAME})`, () => {
    // Tests that belong to one half are declared only there (not skipped in the other).
    if (part === 1)
      it('loads every lab, at least 32; the two halves hold each exactly once', () => {
        expect(entries.filter((e) => e.error).map((e) => e.error)).toEqual([])
        expect(entries.length).toBeGreaterThanOrEqual(32)
        const halves = [...labsOfPart(1), ...labsOfPart(2)].map((l) => l.id)
        expect(halves.sort()).toEqual(entries.flatMap((e) => (e.lab ? [e.lab.id] : [])).sort())
        if (ONLY)
          expect(
            allLabs
              .filter((l) => ONLY.includes(l.id))
              .map((l) => l.id)
              .sort(),
            'KUBELAB_LABS names labs that exist',
          ).toEqual([...ONLY].sort())
      })

    for (const lab of labs) {
      it(`${lab.id}: start → check fails → solution → check passes`, async () => {
        // One runner reads the cluster's facts (kubectl and SSH to every node) once for both the needs and the run.
        const runner = new LabRunner(cluster, lab)
        const unmet = unmetNeeds(lab, await runner.facts())
        if (unmet.length) {
          console.log(`${lab.id} not run: ${unmet.map((u) => `${u.need} (${u.why})`).join('; ')}`)
          const elsewhere = PROVEN_ELSEWHERE[lab.id]
          if (elsewhere) expect(readFileSync(join(ROOT, elsewhere.file), 'utf8'), `${elsewhere.file} proves ${lab.id}`).toContain(`'${lab.id}'`)
          expect(
            unmet.filter((u) => !IN_PROGRESS.has(u.need) && !elsewhere?.needs.includes(u.need)),
            `${lab.id} cannot run on a local cluster`,
          ).toEqual([])
          return
        }
        try {
          await prove(lab, {}, runner)
        } catch (e) {
          // What the cluster looked like when the lab failed, for whoever reads the CI log.
          const state = await Promise.all([
            kubectl('get', 'nodes', '-o', 'wide').catch(String),
            kubectl('get', 'pods', '-A', '-o', 'wide').catch(String),
            kubectl('get', 'events', '-A', '--sort-by=.lastTimestamp').then((t) => t.split('\n').slice(-25).join('\n'), String),
          ])
          console.log(`${lab.id} failed; cluster state:\n${state.join('\n')}`)
          // Leave the lab as a learner would: its cleanup repairs what it changed on nodes (a kubelet's kubeconfig).
          await new LabRunner(cluster, lab).stop().catch((x: Error) => console.log(`${lab.id} stop: ${x.message}`))
          throw e
        } finally {
          if (BREAKS_NODES.includes(lab.id)) await repairNodes()
        }
      }, 300_000)
    }

    if (part === 1 && (!ONLY || ONLY.includes('stopped-scheduler')))
      it('leaving a lab before its last step starts again what it stopped (the scheduler on cp)', async () => {
        const lab = entries.find((e) => e.lab?.id === 'stopped-scheduler')!.lab!
        const onCp = async () => [...((await cluster.nodeComponents!())?.get('cp') ?? [])]
        expect(await onCp()).toContain('scheduler')
        const runner = new LabRunner(cluster, lab)
        try {
          await runner.start()
          expect(await onCp(), 'the lab stopped the scheduler').not.toContain('scheduler')
          // The learner leaves without solving it.
          await runner.stop()
          expect(await onCp()).toContain('scheduler')
          // And it schedules again: a new pod gets a node.
          await kubectl('run', 'after-lab', '--image=nginx:1.27', '--restart=Never')
          await kubectl('wait', 'pod/after-lab', '--for=condition=PodScheduled', '--timeout=30s')
        } finally {
          await kubectl('delete', 'pod', 'after-lab', '--ignore-not-found', '--wait=false').catch(() => undefined)
          await repairNodes()
        }
      }, 120_000)

    if (part === 2 && !ONLY)
      it('imports the Killercoda fixture and passes it with the learner’s commands', async () => {
        const { lab } = importKillercoda(join(ROOT, 'test', 'fixtures', 'killercoda', 'first-pod'), join(home, 'imported'), { approveScripts: true })
        expect(lab.needs.images).toEqual(['nginx:alpine'])
        await prove(lab, { 1: ['run', 'my-pod', '--image=nginx:alpine'], 2: ['delete', 'pod', 'my-pod', '--wait=false'] })
        expect(await kubectl('get', 'pods', '-o', 'name')).not.toContain('pod/my-pod')
      }, 120_000)
  })
}
