// scheduling.k8s.io/v1 PriorityClass through the real kubectl: the built-in system classes,
// upstream's validation, and priority admission on pod create (class value, global default,
// unknown class, a second default). One API server for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer()
})
afterAll(async () => {
  await t?.close()
})

const pod = (name: string, cls?: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...(cls ? { priorityClassName: cls } : {}), containers: [{ name: 'c', image: 'busybox' }] },
  })

describe('PriorityClass', () => {
  it('serves the built-in system classes', async () => {
    const out = await t.k('get', 'priorityclasses')
    expect(out).toMatch(/^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY$/m)
    expect(out).toMatch(/^system-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority$/m)
    expect(out).toMatch(/^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m)
    expect(await t.k('explain', 'pc.value')).toMatch(/value\s+<integer>/)
  })

  it('validates as upstream', async () => {
    const big = await t.kubectl(['create', 'priorityclass', 'huge', '--value=2000000000'])
    expect(big.stderr).toContain('value: Forbidden: maximum allowed value of a user defined priority is 1000000000')
    const sys = await t.kubectl(['create', 'priorityclass', 'system-mine', '--value=10'])
    expect(sys.stderr).toContain("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only")
    await t.k('create', 'priorityclass', 'fixed', '--value=5')
    const change = await t.kubectl(['patch', 'pc', 'fixed', '--type=merge', '-p', '{"value":6}'])
    expect(change.stderr).toContain('value: Forbidden: may not be changed in an update.')
  })

  it('admission fills spec.priority from the class, the global default, or refuses an unknown class', async () => {
    await t.k('create', 'priorityclass', 'high', '--value=1000', '--description=important')
    const made = await t.kubectl(['create', '-f', '-'], { input: pod('p-high', 'high') })
    expect(made.stderr).toBe('')
    const high = JSON.parse(await t.k('get', 'pod', 'p-high', '-o', 'json'))
    expect(high.spec).toMatchObject({ priority: 1000, priorityClassName: 'high', preemptionPolicy: 'PreemptLowerPriority' })
    await t.kubectl(['create', '-f', '-'], { input: pod('p-none') })
    expect(JSON.parse(await t.k('get', 'pod', 'p-none', '-o', 'json')).spec.priority).toBe(0)
    const missing = await t.kubectl(['create', '-f', '-'], { input: pod('p-missing', 'nope') })
    expect(missing.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": pods "p-missing" is forbidden: no PriorityClass with name nope was found',
    )

    await t.k('create', 'priorityclass', 'low', '--value=10', '--global-default=true', '--preemption-policy=Never')
    await t.kubectl(['create', '-f', '-'], { input: pod('p-default') })
    expect(JSON.parse(await t.k('get', 'pod', 'p-default', '-o', 'json')).spec).toMatchObject({
      priority: 10,
      priorityClassName: 'low',
      preemptionPolicy: 'Never',
    })
    const second = await t.kubectl(['create', 'priorityclass', 'other', '--value=20', '--global-default=true'])
    expect(second.stderr).toContain(
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is already marked as default. Only one default can exist',
    )
    await t.kubectl(['create', '-f', '-'], { input: pod('p-system', 'system-node-critical') })
    expect(JSON.parse(await t.k('get', 'pod', 'p-system', '-o', 'json')).spec.priority).toBe(2000001000)
  })
})
