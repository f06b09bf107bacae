// Job, CronJob and TTL-after-finished controllers against a real in-process API server. No
// kubelet runs: the test plays the node by writing pod status through the status subresource,
// and moves a FakeClock for back-offs, schedules and TTLs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'
import { batchControllers } from '../../src-cluster/controllers/batch'
import { createControllerContext, type Controller, type ControllerContext } from '../../src-cluster/controllers/framework'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import type { JobObj, PodObj } from '../../src-cluster/kit/objects'
import { until as poll } from '../helpers/wait'

const JOBS = resourceRef('batch/v1', 'jobs')
const CRONJOBS = resourceRef('batch/v1', 'cronjobs')
const PODS = resourceRef('v1', 'pods')
const EVENTS = resourceRef('v1', 'events')

let t: TestApiServer
let client: Client
let ctx: ControllerContext
let controllers: Controller[]
const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0))

const until = <T>(what: string, fn: () => Promise<T>, ms = 20_000) => poll(what, fn, { timeoutMs: ms, intervalMs: 40 })

async function podsOf(ns: string, job: string): Promise<PodObj[]> {
  return (await client.list<PodObj>(PODS, { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items
}

async function getJob(ns: string, name: string): Promise<JobObj | undefined> {
  return client.get<JobObj>(JOBS, ns, name)
}

/** Play the kubelet: finish a pod with an exit code. */
async function finish(pod: PodObj, exitCode: number): Promise<void> {
  const phase = exitCode === 0 ? 'Succeeded' : 'Failed'
  await client.patch(
    PODS,
    pod.metadata!.namespace,
    pod.metadata!.name!,
    {
      status: {
        phase,
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            image: 'busybox',
            imageID: '',
            state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' } },
          },
        ],
      },
    },
    'merge',
    { subresource: 'status' },
  )
}

function jobManifest(name: string, spec: Record<string, unknown>): JobObj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  } as JobObj
}

function cond(job: JobObj | undefined, type: string): string | undefined {
  return job?.status?.conditions?.find((c) => c.type === type && c.status === 'True')?.reason
}

async function eventReasons(ns: string, name: string): Promise<string[]> {
  const evs = (await client.list(EVENTS, { namespace: ns })).items as { involvedObject?: { name?: string }; reason?: string; message?: string }[]
  return evs.filter((e) => e.involvedObject?.name === name).map((e) => `${e.reason}: ${e.message}`)
}

beforeAll(async () => {
  t = await startTestApiServer({ now: () => clock.now() })
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  ctx = createControllerContext({ client, clock, log: () => {} })
  controllers = batchControllers()
  for (const c of controllers) await c.start(ctx)
}, 60_000)

afterAll(async () => {
  for (const c of controllers ?? []) c.stop()
  ctx?.informers.stopAll()
  await t?.close()
})

describe('Job controller', () => {
  it('runs a parallel job to completion, counting each pod once', async () => {
    await client.create(JOBS, 'default', jobManifest('par', { completions: 3, parallelism: 2 }))
    const first = await until('2 pods', async () => {
      const p = await podsOf('default', 'par')
      return p.length === 2 && p
    })
    for (const p of first) {
      expect(p.metadata?.finalizers).toContain('batch.kubernetes.io/job-tracking')
      expect(p.metadata?.labels?.['job-name']).toBe('par')
      expect(p.metadata?.labels?.['batch.kubernetes.io/controller-uid']).toBeTruthy()
    }
    await until('active 2', async () => (await getJob('default', 'par'))?.status?.active === 2)
    await finish(first[0]!, 0)
    // One more pod replaces the finished one (2 still needed, parallelism 2).
    const second = await until('third pod', async () => {
      const p = await podsOf('default', 'par')
      return p.length === 3 && p
    })
    for (const p of second.filter((x) => x.status?.phase !== 'Succeeded')) await finish(p, 0)
    const done = await until('Complete', async () => {
      const j = await getJob('default', 'par')
      return cond(j, 'Complete') ? j : undefined
    })
    expect(done.status?.succeeded).toBe(3)
    expect(done.status?.failed ?? 0).toBe(0)
    expect(done.status?.active ?? 0).toBe(0)
    expect(done.status?.completionTime).toBeTruthy()
    expect(cond(done, 'SuccessCriteriaMet')).toBe('CompletionsReached')
    await until('finalizers removed', async () => (await podsOf('default', 'par')).every((p) => !p.metadata?.finalizers?.length))
    const evs = await until('events', async () => {
      const e = await eventReasons('default', 'par')
      return e.some((x) => x.startsWith('Completed')) && e
    })
    expect(evs.filter((e) => e.startsWith('SuccessfulCreate: Created pod: par-'))).toHaveLength(3)
    expect(evs).toContain('Completed: Job completed')
  })

  it('gives Indexed pods their completion index and reports completedIndexes', async () => {
    await client.create(JOBS, 'default', jobManifest('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }))
    const pods = await until('3 pods', async () => {
      const p = await podsOf('default', 'idx')
      return p.length === 3 && p
    })
    const indexes = pods.map((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).sort()
    expect(indexes).toEqual(['0', '1', '2'])
    for (const p of pods) {
      const ix = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']
      expect(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index']).toBe(ix)
      expect(p.spec?.hostname).toBe(`idx-${ix}`)
      expect(p.metadata?.name?.startsWith(`idx-${ix}-`)).toBe(true)
      expect(p.spec?.containers[0]?.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath).toContain('job-completion-index')
    }
    const one = pods.find((p) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '1')!
    await finish(one, 0)
    await until('index 1 completed', async () => (await getJob('default', 'idx'))?.status?.completedIndexes === '1')
    for (const p of pods.filter((x) => x !== one)) await finish(p, 0)
    const j = await until('Complete', async () => {
      const x = await getJob('default', 'idx')
      return cond(x, 'Complete') ? x : undefined
    })
    expect(j.status?.completedIndexes).toBe('0-2')
    expect(j.status?.succeeded).toBe(3)
  })

  it('backs off before replacing failed pods and fails the job past backoffLimit', async () => {
    await client.create(JOBS, 'default', jobManifest('flaky', { backoffLimit: 1 }))
    const [p1] = await until('first pod', async () => {
      const p = await podsOf('default', 'flaky')
      return p.length === 1 && p
    })
    await finish(p1!, 1)
    await until('failed counted', async () => (await getJob('default', 'flaky'))?.status?.failed === 1)
    // The 10 s back-off runs on the fake clock: nothing new until it passes.
    await new Promise((r) => setTimeout(r, 300))
    expect((await podsOf('default', 'flaky')).length).toBe(1)
    clock.advance(10_000)
    const p2 = await until('replacement pod', async () => (await podsOf('default', 'flaky')).find((p) => p.metadata?.uid !== p1!.metadata?.uid))
    await finish(p2, 2)
    const j = await until('Failed', async () => {
      const x = await getJob('default', 'flaky')
      return cond(x, 'Failed') ? x : undefined
    })
    expect(cond(j, 'Failed')).toBe('BackoffLimitExceeded')
    expect(cond(j, 'FailureTarget')).toBe('BackoffLimitExceeded')
    expect(j.status?.failed).toBe(2)
    const evs = await until('event', async () => {
      const e = await eventReasons('default', 'flaky')
      return e.some((x) => x.startsWith('BackoffLimitExceeded')) && e
    })
    expect(evs).toContain('BackoffLimitExceeded: Job has reached the specified backoff limit')
  })

  it('fails at once on a podFailurePolicy FailJob exit code', async () => {
    await client.create(
      JOBS,
      'default',
      jobManifest('pfp', { backoffLimit: 6, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }),
    )
    const [p] = await until('pod', async () => {
      const x = await podsOf('default', 'pfp')
      return x.length === 1 && x
    })
    await finish(p!, 42)
    const j = await until('Failed', async () => {
      const x = await getJob('default', 'pfp')
      return cond(x, 'Failed') ? x : undefined
    })
    expect(cond(j, 'Failed')).toBe('PodFailurePolicy')
    expect(j.status?.conditions?.find((c) => c.type === 'Failed')?.message).toContain('exit code 42 matching FailJob rule at index 0')
  })

  it('fails a job past activeDeadlineSeconds and deletes its pods', async () => {
    await client.create(JOBS, 'default', jobManifest('slow', { activeDeadlineSeconds: 30 }))
    await until('pod', async () => (await podsOf('default', 'slow')).length === 1)
    clock.advance(31_000)
    const j = await until('Failed', async () => {
      const x = await getJob('default', 'slow')
      return cond(x, 'Failed') ? x : undefined
    })
    expect(cond(j, 'Failed')).toBe('DeadlineExceeded')
    await until('pods gone', async () => (await podsOf('default', 'slow')).length === 0)
  })

  it('deletes a finished job after ttlSecondsAfterFinished', async () => {
    await client.create(JOBS, 'default', jobManifest('ttl', { ttlSecondsAfterFinished: 60 }))
    const [p] = await until('pod', async () => {
      const x = await podsOf('default', 'ttl')
      return x.length === 1 && x
    })
    await finish(p!, 0)
    await until('Complete', async () => cond(await getJob('default', 'ttl'), 'Complete'))
    await new Promise((r) => setTimeout(r, 200))
    expect(await getJob('default', 'ttl')).toBeDefined()
    clock.advance(61_000)
    await until('job deleted', async () => (await getJob('default', 'ttl')) === undefined)
  })
})

describe('CronJob controller', () => {
  it('creates jobs on schedule, honours Forbid and the history limits', async () => {
    await client.create(CRONJOBS, 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: {
        schedule: '*/5 * * * *',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
    })
    const jobsOf = async (): Promise<JobObj[]> =>
      (await client.list<JobObj>(JOBS, { namespace: 'default' })).items.filter((j) => j.metadata?.name?.startsWith('tick-'))
    await new Promise((r) => setTimeout(r, 300))
    expect(await jobsOf()).toHaveLength(0)
    // Move to the next multiple of 5 minutes.
    const now = clock.now().getTime()
    const next = Math.ceil((now + 1) / 300_000) * 300_000
    clock.advance(next - now)
    const [j1] = await until('first job', async () => {
      const js = await jobsOf()
      return js.length === 1 && js
    })
    expect(j1!.metadata?.name).toBe(`tick-${next / 60_000}`)
    expect(j1!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(new Date(next).toISOString().replace('.000', ''))
    expect(j1!.metadata?.ownerReferences?.[0]?.kind).toBe('CronJob')
    await until('status.active', async () => {
      const cj = await client.get(CRONJOBS, 'default', 'tick')
      return ((cj?.status as { active?: unknown[] } | undefined)?.active?.length ?? 0) === 1
    })
    // Forbid: the first job still runs, so the next schedule time creates nothing.
    clock.advance(300_000)
    await until('JobAlreadyActive', async () => (await eventReasons('default', 'tick')).some((e) => e.startsWith('JobAlreadyActive')))
    expect(await jobsOf()).toHaveLength(1)
    // Finish the first job; the missed time then runs.
    const [pod] = await until('pod of first job', async () => {
      const p = await podsOf('default', j1!.metadata!.name!)
      return p.length === 1 && p
    })
    await finish(pod!, 0)
    await until('SawCompletedJob', async () =>
      (await eventReasons('default', 'tick')).some((e) => e.startsWith(`SawCompletedJob: Saw completed job: ${j1!.metadata!.name}, condition: Complete`)),
    )
    // The run Forbid skipped (at next + 5 min) starts as soon as the first job is done.
    const second = await until('second job', async () => (await jobsOf()).find((j) => j.metadata?.name !== j1!.metadata?.name))
    expect(second.metadata?.name).toBe(`tick-${(next + 300_000) / 60_000}`)
    const [pod2] = await until('pod of second job', async () => {
      const p = await podsOf('default', second.metadata!.name!)
      return p.length === 1 && p
    })
    await finish(pod2!, 0)
    // successfulJobsHistoryLimit 1: the older complete job is deleted.
    await until('history trimmed', async () => {
      const js = await jobsOf()
      return js.length === 1 && js[0]!.metadata?.name === second.metadata?.name
    })
    const cj = await client.get(CRONJOBS, 'default', 'tick')
    const st = cj?.status as { lastScheduleTime?: string; lastSuccessfulTime?: string }
    expect(st.lastScheduleTime).toBeTruthy()
    expect(st.lastSuccessfulTime).toBeTruthy()
    await until('SuccessfulDelete event', async () => (await eventReasons('default', 'tick')).includes(`SuccessfulDelete: Deleted job ${j1!.metadata!.name}`))
  })
})
