// Pure parts of the port-forward backend (which pod and port a Service forward uses, params,
// API server refusals) and the node-shell tab title.
import type { Pod, Service } from 'kubernetes-types/core/v1'
import { describe, expect, it } from 'vitest'
import { parseStart, pickReadyPod, statusMessage, targetPortOn } from '../../src-main/backend/portforward'
import { CodedError } from '../../src-main/contract/errors'
import { titleOf } from '../../src-renderer/src/terminals/model'

const pod = (
  name: string,
  o: { ready?: boolean; phase?: string; created?: string; deleting?: boolean; ports?: { name: string; containerPort: number; protocol?: string }[] } = {},
): Pod => ({
  metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'app', ports: o.ports ?? [] }] },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
})

const svc: Service = {
  metadata: { name: 'web' },
  spec: {
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http' },
      { port: 81, targetPort: 8081 },
      { port: 82 },
      { port: 83, targetPort: 'metrics' },
      { port: 84, targetPort: '9000' },
    ],
  },
}

describe('pickReadyPod', () => {
  it('skips pods that are not ready, not running or being deleted, and takes the oldest', () => {
    const pods = [
      pod('young', { created: '2026-03-01T00:00:00Z' }),
      pod('old-unready', { ready: false, created: '2025-01-01T00:00:00Z' }),
      pod('pending', { phase: 'Pending', created: '2025-01-01T00:00:00Z' }),
      pod('leaving', { deleting: true, created: '2025-01-01T00:00:00Z' }),
      pod('old', { created: '2026-02-01T00:00:00Z' }),
    ]
    expect(pickReadyPod(pods)?.metadata?.name).toBe('old')
    expect(pickReadyPod([pod('a', { ready: false })])).toBeUndefined()
  })
})

describe('targetPortOn', () => {
  const p = pod('a', {
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'metrics', containerPort: 9100, protocol: 'UDP' },
    ],
  })
  it('maps numbers, defaults and names', () => {
    expect(targetPortOn(svc, 80, p)).toBe(8080)
    expect(targetPortOn(svc, 81, p)).toBe(8081)
    expect(targetPortOn(svc, 82, p)).toBe(82)
    expect(targetPortOn(svc, 84, p)).toBe(9000)
  })
  it('says what is wrong: unknown service port, a name no TCP container port has', () => {
    expect(() => targetPortOn(svc, 99, p)).toThrow('service web has no port 99; its ports: 80, 81, 82, 83, 84')
    expect(() => targetPortOn(svc, 83, p)).toThrow(/port named metrics, which no container of pod a declares/)
    try {
      targetPortOn(svc, 99, p)
    } catch (e) {
      expect(e).toBeInstanceOf(CodedError)
      expect((e as CodedError).code).toBe('not_found')
    }
  })
})

describe('parseStart', () => {
  const base = { cluster: 'c', namespace: 'default', kind: 'pod', name: 'p', port: 80 }
  it('accepts a pod or service with an optional local port', () => {
    expect(parseStart(base)).toEqual({ ok: true, value: { ...base, localPort: null } })
    expect(parseStart({ ...base, kind: 'service', localPort: 8080 })).toEqual({ ok: true, value: { ...base, kind: 'service', localPort: 8080 } })
  })
  it('refuses bad params with a message naming the field', () => {
    const msg = (raw: unknown): string => {
      const r = parseStart(raw)
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`
    }
    expect(msg(null)).toMatch(/^bad_params: portforward.start takes an object/)
    expect(msg({ ...base, kind: 'deployment' })).toMatch(/^bad_params: .*kind must be "pod" or "service"/)
    expect(msg({ ...base, port: 0 })).toMatch(/^bad_params: .*port must be a port number/)
    expect(msg({ ...base, port: '80' })).toMatch(/^bad_params: .*port must be/)
    expect(msg({ ...base, localPort: 70000 })).toMatch(/^bad_params: .*localPort/)
    expect(msg({ ...base, name: '' })).toMatch(/^bad_params: .*name must be a non-empty string/)
  })
})

describe('statusMessage', () => {
  it('takes the Status message, else the text', () => {
    expect(statusMessage('{"kind":"Status","message":"pod p runs on simulated node n"}')).toBe('pod p runs on simulated node n')
    expect(statusMessage('plain failure\n')).toBe('plain failure')
    expect(statusMessage('')).toBe('(empty answer)')
  })
})

describe('node terminal tabs', () => {
  it('are titled by cluster and node', () => {
    expect(titleOf({ kind: 'node', cluster: 'lab', node: 'worker-1' })).toBe('lab · node worker-1')
  })
})
