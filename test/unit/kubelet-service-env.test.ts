// Service environment variables (upstream's names and precedence) and the --node-labels flag.
import { describe, expect, it } from 'vitest'
import type { Service } from 'kubernetes-types/core/v1'
import { kubeletOptionsFromArgs, parseNodeLabels } from '../../src-cluster/cmd/kubelet'
import { buildEnv, type ObjectSource } from '../../src-cluster/kubelet/env'
import { linkedServices, serviceEnv, serviceVariables } from '../../src-cluster/kubelet/service-env'

const svc = (ns: string, name: string, clusterIP: string, ports: NonNullable<Service['spec']>['ports']): Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP, ports },
})

const kube = svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }])
const web = svc('shop', 'web-front', '10.96.3.4', [{ port: 80 }, { name: 'metrics', port: 9100, protocol: 'UDP' }])
const headless = svc('shop', 'db', 'None', [{ port: 5432 }])
const other = svc('elsewhere', 'cache', '10.96.9.9', [{ port: 6379 }])
const all = [kube, web, headless, other]

describe('service environment variables', () => {
  it('names every variable as upstream does, Docker-link ones included', () => {
    expect(serviceVariables([web])).toEqual([
      { key: 'WEB_FRONT_SERVICE_HOST', value: '10.96.3.4' },
      { key: 'WEB_FRONT_SERVICE_PORT', value: '80' },
      { key: 'WEB_FRONT_SERVICE_PORT_METRICS', value: '9100' },
      { key: 'WEB_FRONT_PORT', value: 'tcp://10.96.3.4:80' },
      { key: 'WEB_FRONT_PORT_80_TCP', value: 'tcp://10.96.3.4:80' },
      { key: 'WEB_FRONT_PORT_80_TCP_PROTO', value: 'tcp' },
      { key: 'WEB_FRONT_PORT_80_TCP_PORT', value: '80' },
      { key: 'WEB_FRONT_PORT_80_TCP_ADDR', value: '10.96.3.4' },
      { key: 'WEB_FRONT_PORT_9100_UDP', value: 'udp://10.96.3.4:9100' },
      { key: 'WEB_FRONT_PORT_9100_UDP_PROTO', value: 'udp' },
      { key: 'WEB_FRONT_PORT_9100_UDP_PORT', value: '9100' },
      { key: 'WEB_FRONT_PORT_9100_UDP_ADDR', value: '10.96.3.4' },
    ])
  })

  it('links the pod namespace Services with a cluster IP and always the default kubernetes Service', () => {
    expect(
      linkedServices(all, 'shop', true)
        .map((s) => s.metadata?.name)
        .sort(),
    ).toEqual(['kubernetes', 'web-front'])
    expect(linkedServices(all, 'shop', false).map((s) => s.metadata?.name)).toEqual(['kubernetes'])
    // a pod in default sees kubernetes once
    expect(linkedServices(all, 'default', true).map((s) => s.metadata?.name)).toEqual(['kubernetes'])
    const env = serviceEnv(all, 'elsewhere', false)
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1')
    expect(env.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443')
    expect(env.has('CACHE_SERVICE_HOST')).toBe(false)
  })

  it('lets the pod own variables win and expand $(VAR) against Service variables', async () => {
    const source: ObjectSource = { configMap: async () => undefined, secret: async () => undefined }
    const pod = { metadata: { namespace: 'shop', name: 'p' }, spec: { containers: [] } }
    const env = await buildEnv(
      {
        name: 'c',
        env: [
          { name: 'URL', value: 'http://$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT)' },
          { name: 'WEB_FRONT_SERVICE_PORT', value: 'mine' },
        ],
      },
      { pod, node: { cpu: 1, memory: 1 }, source, services: () => all },
    )
    const m = new Map(env.map((e) => [e.key, e.value]))
    expect(m.get('URL')).toBe('http://10.96.3.4:80')
    expect(m.get('WEB_FRONT_SERVICE_PORT')).toBe('mine')
    expect(m.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1')
    const off = await buildEnv(
      { name: 'c' },
      { pod: { ...pod, spec: { containers: [], enableServiceLinks: false } }, node: { cpu: 1, memory: 1 }, source, services: () => all },
    )
    expect(off.map((e) => e.key).filter((k) => k.startsWith('WEB_FRONT'))).toEqual([])
    expect(off.map((e) => e.key)).toContain('KUBERNETES_PORT')
  })
})

describe('--node-labels', () => {
  it('parses key=value pairs, empty values and prefixed keys', () => {
    expect(parseNodeLabels('node.kubernetes.io/pool=,zone=a, tier=web-1')).toEqual({ 'node.kubernetes.io/pool': '', zone: 'a', tier: 'web-1' })
    expect(parseNodeLabels(undefined)).toEqual({})
  })

  it('rejects malformed labels with a message naming the flag', () => {
    expect(() => parseNodeLabels('novalue')).toThrow(/--node-labels: "novalue" is not key=value/)
    expect(() => parseNodeLabels('bad key=x')).toThrow(/not a valid label key/)
    expect(() => parseNodeLabels('k=-x')).toThrow(/not a valid label value/)
    expect(() => parseNodeLabels('Upper.Case/k=x')).toThrow(/not a valid label key/)
  })

  it('refuses labels NodeRestriction keeps from kubelets, as upstream', () => {
    expect(() => parseNodeLabels('node-role.kubernetes.io/control-plane=')).toThrow(
      /unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: \[node-role.kubernetes.io\/control-plane\]/,
    )
    expect(() => parseNodeLabels('node-restriction.kubernetes.io/secure=true')).toThrow(/node-restriction.kubernetes.io\/secure/)
    expect(parseNodeLabels('kubernetes.io/hostname=a,example.com/x=y')).toEqual({ 'kubernetes.io/hostname': 'a', 'example.com/x': 'y' })
  })

  it('reaches the kubelet options', () => {
    const parsed = kubeletOptionsFromArgs(['--kubeconfig', '/x', '--node-ip', '10.0.0.2', '--node-name', 'n1', '--node-labels', 'a=b'])
    expect(parsed?.opts.labels).toEqual({ a: 'b' })
  })
})
