// Renderer logic without a DOM: cluster operation events, terminal tabs, tray menu model.
import { describe, expect, it } from 'vitest'
import type { ClusterOperation, ClusterSummary } from '../../src-main/contract'
import { actionsFor, applyLine, formatElapsed, lastLines, latestFor, mergeSnapshot, suggestName } from '../../src-renderer/src/clusters/model'
import { OutputBuffer, stateBanner, titleOf, wantsReconnect } from '../../src-renderer/src/terminals/model'
import { trayItems, trayTooltip } from '../../src-main/electron/tray-model'

function op(o: Partial<ClusterOperation> = {}): ClusterOperation {
  return {
    id: 'op-1',
    cluster: 'lab',
    kind: 'create',
    state: 'running',
    startedAt: 0,
    endedAt: null,
    steps: [
      { id: 'preflight', title: 'Preflight', state: 'done', startedAt: 0, endedAt: 5, lines: ['ok'] },
      { id: 'nodes', title: 'Nodes', state: 'running', startedAt: 5, endedAt: null, lines: [] },
    ],
    error: null,
    hints: [],
    params: null,
    ...o,
  }
}

describe('cluster operation model', () => {
  it('appends streamed lines to their step and ignores other operations', () => {
    const a = applyLine(op(), { operationId: 'op-1', stepId: 'nodes', line: 'node-1 Ready' })!
    expect(a.steps[1]!.lines).toEqual(['node-1 Ready'])
    expect(applyLine(op(), { operationId: 'op-9', stepId: 'nodes', line: 'x' })!.steps[1]!.lines).toEqual([])
    expect(applyLine(undefined, { operationId: 'op-1', stepId: 'nodes', line: 'x' })).toBeUndefined()
  })

  it('keeps lines seen after a snapshot when the snapshot arrives late', () => {
    let cur = op()
    cur = applyLine(cur, { operationId: 'op-1', stepId: 'nodes', line: 'a' })!
    cur = applyLine(cur, { operationId: 'op-1', stepId: 'nodes', line: 'b' })!
    const late = op({ steps: [op().steps[0]!, { ...op().steps[1]!, lines: ['a'] }] })
    expect(mergeSnapshot(cur, late).steps[1]!.lines).toEqual(['a', 'b'])
    const failed = op({ state: 'failed', steps: [op().steps[0]!, { ...op().steps[1]!, state: 'failed', lines: ['a', 'b', 'c'] }] })
    const merged = mergeSnapshot(cur, failed)
    expect(merged.state).toBe('failed')
    expect(merged.steps[1]!.lines).toEqual(['a', 'b', 'c'])
  })

  it('finds the latest operation of a cluster and the failing lines', () => {
    const ops = [op({ id: 'a', startedAt: 1 }), op({ id: 'b', startedAt: 3 }), op({ id: 'c', cluster: 'other', startedAt: 9 })]
    expect(latestFor(ops, 'lab')?.id).toBe('b')
    expect(latestFor(ops, 'none')).toBeUndefined()
    const f = op({
      state: 'failed',
      steps: [{ id: 's', title: 'S', state: 'failed', startedAt: 0, endedAt: 1, lines: Array.from({ length: 20 }, (_, i) => `l${i}`) }],
    })
    expect(lastLines(f, 3)).toEqual(['l17', 'l18', 'l19'])
  })

  it('formats elapsed time, suggests free names, and gates actions by state', () => {
    expect(formatElapsed(null)).toBe('')
    expect(formatElapsed(400)).toBe('0.4s')
    expect(formatElapsed(12_345)).toBe('12.3s')
    expect(formatElapsed(125_000)).toBe('2m 05s')
    expect(suggestName([])).toBe('lab')
    expect(suggestName(['lab', 'lab-2'])).toBe('lab-3')
    expect(actionsFor('running', false)).toEqual({ start: false, stop: true, remove: true, terminal: true })
    expect(actionsFor('stopped', false)).toMatchObject({ start: true, stop: false })
    expect(actionsFor('running', true)).toEqual({ start: false, stop: false, remove: false, terminal: true })
  })
})

describe('terminal model', () => {
  it('reconnects only a closed tab, on Enter', () => {
    expect(wantsReconnect({ state: 'closed', retryable: true }, '\r')).toBe(true)
    expect(wantsReconnect({ state: 'closed', retryable: true }, 'a')).toBe(false)
    expect(wantsReconnect({ state: 'connected', retryable: true }, '\r')).toBe(false)
    // A refusal for good (the API server refused the exec) offers no reconnect.
    expect(wantsReconnect({ state: 'closed', retryable: false }, '\r')).toBe(false)
  })
  it('titles tabs and prints state banners', () => {
    expect(titleOf({ kind: 'host', cluster: 'lab' })).toBe('lab · shell')
    expect(titleOf({ kind: 'pod', cluster: 'lab', namespace: 'default', pod: 'web', container: 'nginx' })).toBe('default/web (nginx)')
    expect(stateBanner('closed', 'exit 0')).toContain('Press Enter to reconnect')
    expect(stateBanner('closed', 'the API server refused the exec (HTTP 400 BadRequest): container x is not valid', null, false)).not.toContain('Press Enter')
    expect(stateBanner('connected', null)).toBeNull()
  })
  it('buffers output per session, bounded, and hands it over once', () => {
    const b = new OutputBuffer(3)
    for (const s of ['a', 'b', 'c', 'd']) b.push('t1', s)
    b.push('t2', 'x')
    expect(b.take('t1')).toBe('bcd')
    expect(b.take('t1')).toBe('')
    b.drop('t2')
    expect(b.take('t2')).toBe('')
  })
})

describe('tray model', () => {
  const c = (name: string, state: string): ClusterSummary => ({
    name,
    state,
    dir: `/h/${name}`,
    provider: 'simulated',
    nodeCount: 3,
    createdAt: null,
    problem: null,
  })
  it('lists clusters with state and offers what the state allows', () => {
    const items = trayItems([c('a', 'running'), c('b', 'stopped'), c('d', 'creating')])
    expect(items.map((i) => i.label)).toEqual(['● a — running', 'Stop a', '○ b — stopped', 'Start b', '◐ d — creating', 'Show KubeLab', 'Quit'])
    expect(items[1]!.action).toEqual({ kind: 'stop', cluster: 'a' })
    expect(trayTooltip([c('a', 'running'), c('b', 'stopped')])).toBe('KubeLab: 1 of 2 clusters running')
    expect(trayItems([])[0]!.label).toBe('No clusters yet')
  })
})
