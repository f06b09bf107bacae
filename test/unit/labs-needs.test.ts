// Needs against cluster facts: what each provider lacks and why, worker counts, images on
// nodes; node aliases; and the host executor's clean environment, reason file and time bound.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hostExecutor, nodeAliases, providerCapabilities, unmetNeeds, type ClusterFacts, type Lab } from '../../src-main/labs'

const lab = (o: Partial<Lab['needs']>): Lab =>
  ({ id: 'x', needs: { workers: 0, capabilities: [], images: [], ...o } }) as unknown as Lab

function facts(provider: string, workers: number, images?: string[]): ClusterFacts {
  const { have, missing } = providerCapabilities(provider)
  return { provider, nodes: [], workers, capabilities: new Set(have), missing, images: images ? new Set(images) : undefined }
}

describe('unmetNeeds', () => {
  it('says why a simulated cluster cannot run a runtime lab', () => {
    const u = unmetNeeds(lab({ capabilities: ['runtime', 'networkpolicy'] }), facts('simulated', 3))
    expect(u.map((x) => x.need)).toEqual(['runtime', 'networkpolicy'])
    expect(u[0]!.why).toMatch(/without starting containers.*local, multipass or virtualbox/)
    expect(u[1]!.why).toMatch(/does not enforce NetworkPolicy/)
  })

  it('counts workers', () => {
    expect(unmetNeeds(lab({ workers: 2 }), facts('simulated', 1))).toEqual([{ need: 'workers>=2', why: 'the cluster has 1 worker; create one with --workers 2 or more' }])
    expect(unmetNeeds(lab({ workers: 2 }), facts('simulated', 2))).toEqual([])
  })

  it('checks images only where containers run, matching containerd names', () => {
    expect(unmetNeeds(lab({ images: ['nginx:1.27'] }), facts('simulated', 1))).toEqual([])
    expect(unmetNeeds(lab({ images: ['nginx:1.27'] }), facts('local', 1, ['docker.io/library/nginx:1.27']))).toEqual([])
    const u = unmetNeeds(lab({ images: ['nginx:1.27', 'busybox:1.36'] }), facts('local', 1, ['docker.io/library/nginx:1.27']))
    expect(u).toHaveLength(1)
    expect(u[0]!.why).toContain('busybox:1.36')
    expect(unmetNeeds(lab({ images: ['nginx:1.27'] }), facts('local', 1))[0]!.why).toMatch(/could not list/)
  })
})

describe('nodeAliases', () => {
  it('names control planes cp and workers w1.. in numeric order', () => {
    const a = nodeAliases([{ name: 'node-10', controlPlane: false }, { name: 'node-2', controlPlane: false }, { name: 'control-plane', controlPlane: true }])
    expect(a.map((n) => `${n.alias}=${n.name}`)).toEqual(['cp=control-plane', 'w1=node-2', 'w2=node-10'])
  })
})

describe('hostExecutor', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kubelab-exec-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const script = (body: string): string => {
    const p = join(dir, 's.sh')
    writeFileSync(p, body)
    return p
  }

  it('runs with the admin kubeconfig and nothing of the caller’s environment', async () => {
    process.env.KUBELAB_LEAK_TEST = 'leak'
    const r = await hostExecutor('/admin.kubeconfig').run({ script: script('echo "$KUBECONFIG ${KUBELAB_LEAK_TEST:-clean} $KUBELAB_LAB"; echo "reason here" > "$KUBELAB_REASON_FILE"; exit 3'), node: 'cp', env: { KUBELAB_LAB: 'x' }, cwd: dir, timeoutMs: 10_000 })
    delete process.env.KUBELAB_LEAK_TEST
    expect(r).toMatchObject({ code: 3, timedOut: false, reason: 'reason here' })
    expect(r.stdout.trim()).toBe('/admin.kubeconfig clean x')
  })

  it('kills a script (and its children) that runs past its budget', async () => {
    const r = await hostExecutor('/k').run({ script: script('sleep 30 & wait'), node: 'cp', env: {}, cwd: dir, timeoutMs: 300 })
    expect(r).toMatchObject({ code: null, timedOut: true })
  })
})
