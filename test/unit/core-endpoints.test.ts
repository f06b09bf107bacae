import { describe, expect, it } from 'vitest'
import { buildSubsets } from '../../src-cluster/controllers/core/endpoints'
import { desiredSlices } from '../../src-cluster/controllers/core/endpointslice'
import type { PodObj, ServiceObj } from '../../src-cluster/kit/objects'

const svc = (extra: Partial<NonNullable<ServiceObj['spec']>> = {}): ServiceObj => ({
  metadata: { name: 'web', namespace: 'default', uid: 's1' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...extra },
})

function pod(
  name: string,
  ip: string | undefined,
  opts: { ready?: boolean; port?: number; portName?: string; deleting?: boolean; phase?: string } = {},
): PodObj {
  return {
    metadata: { name, namespace: 'default', uid: `u-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ name: opts.portName ?? 'http', containerPort: opts.port ?? 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  }
}

describe('Endpoints subsets', () => {
  it('puts ready pods in addresses and others in notReadyAddresses, ports resolved by name', () => {
    const subsets = buildSubsets(svc(), [pod('b', '10.0.0.10', { ready: false }), pod('a', '10.0.0.9'), pod('c', undefined)])
    expect(subsets).toHaveLength(1)
    expect(subsets[0]!.addresses!.map((a) => a.ip)).toEqual(['10.0.0.9'])
    expect(subsets[0]!.notReadyAddresses!.map((a) => a.ip)).toEqual(['10.0.0.10'])
    expect(subsets[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
  })

  it('groups pods whose named port resolves differently into separate subsets and skips pods without the port', () => {
    const subsets = buildSubsets(svc(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { port: 9090 }), pod('c', '10.0.0.3', { portName: 'other' })])
    expect(subsets.map((s) => [s.ports![0]!.port, s.addresses!.map((a) => a.ip)])).toEqual([
      [8080, ['10.0.0.1']],
      [9090, ['10.0.0.2']],
    ])
  })

  it('drops terminating and finished pods; publishNotReadyAddresses keeps unready ones as ready', () => {
    expect(buildSubsets(svc(), [pod('a', '10.0.0.1', { deleting: true }), pod('b', '10.0.0.2', { phase: 'Succeeded' })])).toEqual([])
    const s = buildSubsets(svc({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', { ready: false })])
    expect(s[0]!.addresses!.map((a) => a.ip)).toEqual(['10.0.0.1'])
    expect(s[0]!.notReadyAddresses).toBeUndefined()
  })
})

describe('EndpointSlices', () => {
  it('keeps terminating pods with ready=false, serving from readiness, terminating=true', () => {
    const [s] = desiredSlices(svc(), [pod('a', '10.0.0.1', { deleting: true })])
    expect(s!.endpoints[0]!.conditions).toEqual({ ready: false, serving: true, terminating: true })
    expect(s!.endpoints[0]!.targetRef).toMatchObject({ kind: 'Pod', name: 'a', uid: 'u-a' })
  })

  it('splits at the maximum endpoints per slice and leaves one empty slice when nothing backs the Service', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.1.${i}`))
    expect(desiredSlices(svc(), pods, 2).map((s) => s.endpoints.length)).toEqual([2, 2, 1])
    expect(desiredSlices(svc(), [])).toEqual([{ addressType: 'IPv4', ports: [], endpoints: [] }])
  })
})
