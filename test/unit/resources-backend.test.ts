// Backend pieces of the Resources and Logs views that need no cluster: batching, rows and
// tones, placing the server's field errors in YAML, log line handling.
import { writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ResourceRow } from '../../src-main/contract'
import { resourceTypeInfo } from '../../src-main/contract'
import { RowBatcher } from '../../src-main/backend/resources/batcher'
import { fieldLine, problemsFromStatus, splitFieldPath } from '../../src-main/backend/resources/field-lines'
import { columnsFor, rowFor } from '../../src-main/backend/resources/rows'
import { LineSplitter, prefixLines } from '../../src-main/backend/logs/lines'
import { describeRefusal, podLogPath } from '../../src-main/backend/logs/pod-log'
import { checkComponentFile, streamComponentLog, tailText } from '../../src-main/backend/logs/component-log'
import { tempDir } from '../helpers/temp-dir'

const pods = resourceTypeInfo('pods')!

function pod(name: string, rv: string, phase = 'Running', ready = 'True') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: rv,
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'web' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready }],
      containerStatuses: [{ name: 'c', ready: ready === 'True', restartCount: 0, state: { running: {} } }],
    },
  }
}

afterEach(() => vi.useRealTimers())

describe('rows', () => {
  it('prints the cells kubectl prints and adds tone, owners and node', () => {
    const row = rowFor(pods, pod('web-a', '12'), new Date('2025-01-01T00:05:00Z'))
    const cols = columnsFor(pods).map((c) => c.name)
    expect(cols.slice(0, 5)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age'])
    expect(columnsFor(pods)[4]!.type).toBe('age')
    expect(row.cells.slice(0, 3)).toEqual(['web-a', '1/1', 'Running'])
    expect(row).toMatchObject({ key: 'default/web-a', tone: 'ok', nodeName: 'node-1', resourceVersion: '12' })
    expect(row.owners).toEqual([{ kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }])
  })

  it('colours by health: pending busy, failed bad, not-ready node bad, cordoned busy', () => {
    expect(rowFor(pods, pod('p', '1', 'Pending', 'False')).tone).toBe('busy')
    expect(rowFor(pods, pod('p', '1', 'Failed', 'False')).tone).toBe('bad')
    const nodes = resourceTypeInfo('nodes')!
    const node = (ready: string, unschedulable: boolean) => ({
      metadata: { name: 'n' },
      spec: { unschedulable },
      status: { conditions: [{ type: 'Ready', status: ready }] },
    })
    expect(rowFor(nodes, node('False', false)).tone).toBe('bad')
    expect(rowFor(nodes, node('True', true))).toMatchObject({ tone: 'busy', status: 'SchedulingDisabled' })
    const svc = rowFor(resourceTypeInfo('services')!, {
      metadata: { name: 's', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    })
    expect(svc.selector).toEqual({ app: 'web' })
  })
})

describe('RowBatcher', () => {
  it('coalesces changes per object and flushes once per interval', () => {
    vi.useFakeTimers()
    const out: { upserts: ResourceRow[]; deletes: { key: string }[] }[] = []
    const b = new RowBatcher((x) => out.push(x), 100)
    const r = (rv: string) => rowFor(pods, pod('a', rv))
    for (let i = 1; i <= 50; i++) b.upsert(r(String(i)))
    b.upsert(rowFor(pods, pod('b', '60')))
    b.delete('default/b', '61')
    expect(out).toHaveLength(0)
    vi.advanceTimersByTime(100)
    expect(out).toHaveLength(1)
    expect(out[0]!.upserts.map((u) => u.resourceVersion)).toEqual(['50'])
    expect(out[0]!.deletes).toEqual([{ key: 'default/b', resourceVersion: '61' }])
    vi.advanceTimersByTime(500)
    expect(out).toHaveLength(1)
  })
})

describe('field errors in YAML', () => {
  const yaml = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: x',
    '  labels:',
    '    "bad key!": x',
    'spec:',
    '  containers:',
    '  - name: c',
    '    image: ""',
    '  restartPolicy: Sometimes',
    '',
  ].join('\n')

  it('splits field paths with indexes and dotted keys', () => {
    expect(splitFieldPath('spec.containers[0].image')).toEqual(['spec', 'containers', 0, 'image'])
    expect(splitFieldPath('metadata.labels[app.kubernetes.io/name]')).toEqual(['metadata', 'labels', 'app.kubernetes.io/name'])
  })

  it('finds the line of a field, or of its deepest present parent', () => {
    expect(fieldLine(yaml, 'spec.containers[0].image')).toBe(10)
    expect(fieldLine(yaml, 'metadata.labels')).toBe(5)
    expect(fieldLine(yaml, 'spec.restartPolicy')).toBe(11)
    expect(fieldLine(yaml, 'spec.containers[0].ports[0].containerPort')).toBe(9)
    expect(fieldLine(yaml, 'status.phase')).toBeNull()
    expect(fieldLine('a: [', 'a')).toBeNull()
  })

  it('takes causes from a 422 Status and a field from a 400 message', () => {
    const st = { reason: 'Invalid', details: { causes: [{ field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }] } }
    expect(problemsFromStatus(st, 'Pod "x" is invalid', yaml)).toEqual([
      { field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value', line: 10 },
    ])
    const msg = 'Pod in version "v1" cannot be handled as a Pod: spec.restartPolicy: Unsupported value: "Sometimes"'
    expect(problemsFromStatus({ reason: 'BadRequest' }, msg, yaml)).toEqual([
      { field: 'spec.restartPolicy', reason: 'BadRequest', message: 'Unsupported value: "Sometimes"', line: 11 },
    ])
    expect(problemsFromStatus(undefined, 'conflict', yaml)[0]).toMatchObject({ field: '', line: null })
  })

  it('marks each unknown field of a strict decoding error at its line', () => {
    const msg =
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.restartPolicyy", unknown field "spec.containers[0].imagee"'
    const y = yaml.replace('restartPolicy', 'restartPolicyy').replace('image:', 'imagee:')
    const ps = problemsFromStatus({ reason: 'BadRequest' }, msg, y)
    expect(ps.map((p) => [p.field, p.line])).toEqual([
      ['spec.restartPolicyy', 11],
      ['spec.containers[0].imagee', 10],
    ])
  })
})

describe('logs', () => {
  it('holds back partial lines and prefixes whole ones', () => {
    const s = new LineSplitter()
    expect(s.push('one\ntw')).toBe('one\n')
    expect(s.push('o\nthr')).toBe('two\n')
    expect(s.end()).toBe('thr\n')
    expect(prefixLines('a\nb\n', 'web-1')).toBe('[web-1] a\n[web-1] b\n')
  })

  it('builds the log URL kubectl uses', () => {
    expect(podLogPath({ namespace: 'ns', pod: 'p', container: 'c', follow: true, timestamps: true, previous: false, tailLines: 10 })).toBe(
      '/api/v1/namespaces/ns/pods/p/log?container=c&follow=true&timestamps=true&tailLines=10',
    )
  })

  it('words a refusal with the server answer and what it means', () => {
    const f = describeRefusal(404, JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'pods "p/log" not found' }), 'pod ns/p')
    expect(f.code).toBe('NotFound')
    expect(f.message).toContain('The API server answered 404 NotFound for the logs of pod ns/p: pods "p/log" not found')
    expect(f.message).toContain('does not serve the pods/log subresource')
    expect(describeRefusal(500, 'boom', 'pod ns/p').message).toContain('500')
  })

  it('tails and follows a component log file, refusing paths outside the folder', async () => {
    const dir = tempDir('kubelab-logs-')
    const file = join(dir, 'control-plane.log')
    writeFileSync(file, 'l1\nl2\nl3\n')
    expect(tailText('l1\nl2\nl3\n', 2)).toBe('l2\nl3\n')
    expect(() => checkComponentFile(dir, '../etc/passwd')).toThrow(/not a log file name/)
    expect(() => checkComponentFile(dir, 'other.log')).toThrow(/no log other.log/)
    const got: string[] = []
    const h = streamComponentLog(
      checkComponentFile(dir, 'control-plane.log'),
      { follow: true, tailLines: 1 },
      (t) => got.push(t),
      () => undefined,
    )
    expect(got).toEqual(['l3\n'])
    appendFileSync(file, 'l4\n')
    await vi.waitFor(() => expect(got.join('')).toBe('l3\nl4\n'), { timeout: 5000 })
    h.stop()
  })
})
