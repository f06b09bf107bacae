// Needs against cluster facts: what each provider lacks and why, worker counts, images on
// nodes; node aliases; and the host executor's clean environment, reason file and time bound.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  canonicalImage,
  detectFacts,
  hasImage,
  hasStandIn,
  hostExecutor,
  nodeAliases,
  parseComponents,
  providerCapabilities,
  unmetNeeds,
  type ClusterFacts,
  type Kubectl,
  type Lab,
} from '../../src-main/lab-runner'

const lab = (o: Partial<Lab['needs']>): Lab => ({ id: 'x', needs: { workers: 0, controlPlanes: 1, capabilities: [], images: [], ...o } }) as unknown as Lab

function facts(provider: string, workers: number, images?: string[], controlPlanes = 1): ClusterFacts {
  const { have, missing } = providerCapabilities(provider)
  return { provider, nodes: [], workers, controlPlanes, capabilities: new Set(have), missing, images: images ? new Set(images) : undefined }
}

/** Answers the few kubectl calls detectFacts makes, for a 1+1 cluster. */
function fakeKubectl(o: { ingressClasses: string; canI: 'yes' | 'no' }): Kubectl {
  const nodes = { items: [{ metadata: { name: 'control-plane', labels: { 'node-role.kubernetes.io/control-plane': '' } } }, { metadata: { name: 'node-1' } }] }
  return async (args) => {
    const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' })
    if (args[0] === 'get' && args[1] === 'nodes') return ok(JSON.stringify(nodes))
    if (args[0] === 'auth') return { code: o.canI === 'yes' ? 0 : 1, stdout: `${o.canI}\n`, stderr: '' }
    if (args[0] === 'get' && args[1] === 'ingressclasses') return ok(o.ingressClasses)
    if (args[0] === 'api-versions') return ok('v1\napps/v1\n')
    if (args[0] === 'get' && args[1] === 'storageclasses') return ok('')
    throw new Error(`unexpected kubectl ${args.join(' ')}`)
  }
}

describe('unmetNeeds', () => {
  it('refuses an HA drill on a cluster with one control plane, saying how to make one', () => {
    const ha = lab({ controlPlanes: 3, capabilities: ['node-ssh', 'etcd'] })
    const local = (cps: number): ClusterFacts => {
      const f = facts('local', 0, undefined, cps)
      return { ...f, capabilities: new Set([...f.capabilities, 'etcd']) }
    }
    expect(unmetNeeds(ha, local(1))).toEqual([
      {
        need: 'control-planes>=3',
        why: 'the cluster has 1 control-plane node, so there is no highly available control plane to drill; create one with kubelab create NAME --provider local --control-planes 3',
      },
    ])
    expect(unmetNeeds(ha, local(3))).toEqual([])
  })

  it('says why a simulated cluster cannot run a runtime lab', () => {
    const u = unmetNeeds(lab({ capabilities: ['runtime', 'networkpolicy'] }), facts('simulated', 3))
    expect(u.map((x) => x.need)).toEqual(['runtime', 'networkpolicy'])
    expect(u[0]!.why).toMatch(/without starting containers.*local, multipass, virtualbox or qemu/)
    expect(u[1]!.why).toMatch(/simulated nodes carry no traffic.*NetworkPolicy cannot be enforced/)
  })

  it('decides NetworkPolicy and Ingress on machines from the components their nodes run', async () => {
    const nodes = [
      { alias: 'cp', name: 'control-plane', controlPlane: true },
      { alias: 'w1', name: 'node-1', controlPlane: false },
    ]
    const k = fakeKubectl({ ingressClasses: 'ingressclass.networking.k8s.io/kubelab', canI: 'no' })
    const all = new Map([
      ['cp', new Set(['apiserver', 'kubelet', 'netpol'])],
      ['w1', new Set(['kubelet', 'netpol', 'ingress'])],
    ])
    const f = await detectFacts(k, 'local', { components: all })
    expect([...f.capabilities].sort()).toEqual(['host-to-node', 'ingress', 'networkpolicy', 'node-ssh', 'rbac', 'runtime'])
    expect(f.missing.loadbalancer).toMatch(/node cp runs the controller manager without an address pool/)
    const withPool = new Map([...all, ['cp', new Set(['apiserver', 'kubelet', 'netpol', 'lb-pool'])]])
    expect((await detectFacts(k, 'local', { components: withPool })).capabilities.has('loadbalancer')).toBe(true)
    expect(f.capabilities.has('etcd')).toBe(false)
    expect(f.missing.etcd).toMatch(/embedded store, not etcd \(kubelab create --store etcd\)/)
    // An etcd member on every control plane (--store etcd): etcd labs can run.
    const onEtcd = new Map([...all, ['cp', new Set(['apiserver', 'kubelet', 'netpol', 'etcd'])]])
    expect((await detectFacts(k, 'local', { components: onEtcd })).capabilities.has('etcd')).toBe(true)
    const partial = new Map([
      ['cp', new Set(['kubelet'])],
      ['w1', new Set(['kubelet', 'netpol'])],
    ])
    const g = await detectFacts(fakeKubectl({ ingressClasses: 'ingressclass.networking.k8s.io/kubelab', canI: 'yes' }), 'local', { components: partial })
    expect(g.capabilities.has('networkpolicy')).toBe(false)
    expect(g.missing.networkpolicy).toMatch(/node cp runs no netpol component/)
    expect(g.missing.ingress).toMatch(/node w1 runs no ingress component/)
    expect(g.missing.rbac).toMatch(/RBAC is not enforced/)
    // The simulated provider never advertises them, whatever objects its API holds.
    const s = await detectFacts(k, 'simulated', { components: all })
    expect(s.capabilities.has('networkpolicy') || s.capabilities.has('ingress')).toBe(false)
    expect(nodes).toHaveLength(2)
  })

  it('counts workers', () => {
    expect(unmetNeeds(lab({ workers: 2 }), facts('simulated', 1))).toEqual([
      { need: 'workers>=2', why: 'the cluster has 1 worker; create one with --workers 2 or more' },
    ])
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

  it('does not count images KubeLab can load offline as unmet when the runner can load them', () => {
    const f = { ...facts('local', 1, []), canLoadImages: true }
    expect(unmetNeeds(lab({ images: ['nginx:1.27', 'busybox:1.36'] }), f)).toEqual([])
    expect(unmetNeeds(lab({ images: ['redis:7'] }), f)[0]!.why).toContain('redis:7')
  })
})

describe('images', () => {
  it('names images as containerd does', () => {
    expect(canonicalImage('nginx:1.27')).toBe('docker.io/library/nginx:1.27')
    expect(canonicalImage('bitnami/redis:7')).toBe('docker.io/bitnami/redis:7')
    expect(canonicalImage('kubelab.local/busybox:1')).toBe('kubelab.local/busybox:1')
    expect(canonicalImage('nginx')).toBe('docker.io/library/nginx:latest')
    expect(hasImage(new Set(['docker.io/library/nginx:1.27']), 'nginx:1.27')).toBe(true)
    expect(hasStandIn('nginx:1.27-alpine') && hasStandIn('busybox:1.36')).toBe(true)
    expect(hasStandIn('nginx:does-not-exist')).toBe(false)
  })

  it('reads which components a node runs from the supervisor or systemd', () => {
    expect([...parseComponents('supervisor\n{"pid":1,"components":{"kubelet":{"up":true},"netpol":{"up":false},"proxy":{"up":true}}}')]).toEqual([
      'kubelet',
      'proxy',
    ])
    expect([...parseComponents('systemd\nkubelab-kubelet.service\nkubelab-ingress.service\n')]).toEqual(['kubelet', 'ingress'])
    // The node agent: its parts are listed (and stopped) one by one, as on VMs their units are.
    expect([
      ...parseComponents(
        'supervisor\n{"components":{"agent":{"up":true},"kubelet":{"up":true,"partOf":"agent"},"dns":{"up":false,"stopped":true,"partOf":"agent"}}}',
      ),
    ]).toEqual(['agent', 'kubelet'])
    expect([...parseComponents('systemd\nkubelab-agent.service\nkubelab-kubelet.service\n')]).toEqual(['agent', 'kubelet'])
    expect([...parseComponents('supervisor lb-pool\n{"components":{"apiserver":{"up":true}}}')].sort()).toEqual(['apiserver', 'lb-pool'])
  })
})

describe('nodeAliases', () => {
  it('names control planes cp and workers w1.. in numeric order', () => {
    const a = nodeAliases([
      { name: 'node-10', controlPlane: false },
      { name: 'node-2', controlPlane: false },
      { name: 'control-plane', controlPlane: true },
    ])
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
    const r = await hostExecutor('/admin.kubeconfig').run({
      script: script('echo "$KUBECONFIG ${KUBELAB_LEAK_TEST:-clean} $KUBELAB_LAB"; echo "reason here" > "$KUBELAB_REASON_FILE"; exit 3'),
      node: 'cp',
      env: { KUBELAB_LAB: 'x' },
      cwd: dir,
      timeoutMs: 10_000,
    })
    delete process.env.KUBELAB_LEAK_TEST
    expect(r).toMatchObject({ code: 3, timedOut: false, reason: 'reason here' })
    expect(r.stdout.trim()).toBe('/admin.kubeconfig clean x')
  })

  it('kills a script (and its children) that runs past its budget', async () => {
    const r = await hostExecutor('/k').run({ script: script('sleep 30 & wait'), node: 'cp', env: {}, cwd: dir, timeoutMs: 300 })
    expect(r).toMatchObject({ code: null, timedOut: true })
  })
})
