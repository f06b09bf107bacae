// Jobs and CronJobs on a simulated cluster whose every component runs on one FakeClock: the
// test moves time, so a CronJob fires on its schedule and Job pods finish after the nodes'
// run time without waiting for real minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

beforeAll(async () => {
  t = await startTestCluster({ nodes: 2, fakeClock: true, startDelayMs: 1000, runTimeMs: 5000 })
  await t.waitFor(
    '2 Ready nodes with podCIDRs',
    async () => {
      const nodes = JSON.parse(await t.k('get', 'nodes', '-o', 'json')) as { items: { spec: { podCIDR?: string } }[] }
      return nodes.items.length === 2 && nodes.items.every((n) => n.spec.podCIDR)
    },
    { advanceMs: 1000 },
  )
})

afterAll(async () => {
  await t?.close()
})

describe('simulated cluster on a fake clock: batch', () => {
  it('completes a Job with several completions after the simulated run time', async () => {
    await t.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`,
    })
    const job = await t.waitFor(
      'job count complete',
      async () => {
        const j = JSON.parse(await t.k('get', 'job', 'count', '-o', 'json')) as {
          status?: { succeeded?: number; conditions?: { type: string; status: string }[] }
        }
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined
      },
      { advanceMs: 1000, timeoutMs: 60_000 },
    )
    expect(job.status?.succeeded).toBe(3)
    expect(await t.k('get', 'pods', '-l', 'job-name=count')).toMatch(/0\/1\s+Completed/)
    expect(await t.k('describe', 'job', 'count')).toContain('Completed')
  })

  it('fires a CronJob on its schedule and its Job completes', async () => {
    await t.k('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *')
    const jobs = await t.waitFor(
      'a Job made by cronjob tick',
      async () => {
        const list = JSON.parse(await t.k('get', 'jobs', '-o', 'json')) as {
          items: { metadata: { name: string; ownerReferences?: { kind: string; name: string }[] } }[]
        }
        const mine = list.items.filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === 'tick'))
        return mine.length > 0 ? mine : undefined
      },
      { advanceMs: 5000, timeoutMs: 60_000 },
    )
    expect(jobs[0]!.metadata.name).toMatch(/^tick-\d+$/)
    await t.waitFor(
      'cronjob tick saw a completed job',
      async () => {
        const d = await t.k('describe', 'cronjob', 'tick')
        return d.includes('SawCompletedJob') ? d : undefined
      },
      { advanceMs: 1000, timeoutMs: 60_000 },
    )
    const cj = JSON.parse(await t.k('get', 'cronjob', 'tick', '-o', 'json')) as { status?: { lastScheduleTime?: string; lastSuccessfulTime?: string } }
    expect(cj.status?.lastScheduleTime).toBeDefined()
    expect(cj.status?.lastSuccessfulTime).toBeDefined()
  })
})
