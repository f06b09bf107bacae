// Pure parts behind the pod terminal, log container picker and topology node boxes.
import { describe, expect, it } from 'vitest'
import { containersOf, rowFor } from '../../src-main/backend/resources/rows'
import { resourceTypeInfo } from '../../src-main/contract'
import { closedLabel, stateBanner } from '../../src-renderer/src/terminals/model'
import { BOX_MIN_W, boxSize } from '../../src-renderer/src/topology/graph'

describe('terminal close with exit code', () => {
  it('names the exit code in the tab label and the banner', () => {
    expect(closedLabel(3)).toBe('exit 3')
    expect(closedLabel(0)).toBe('exit 0')
    expect(closedLabel(null)).toBe('closed')
    expect(stateBanner('closed', 'the command failed', 3)).toContain('[closed: the command failed with exit code 3. Press Enter to reconnect.]')
    expect(stateBanner('closed', 'closed', null)).not.toContain('exit code')
  })
})

describe('pod containers for the pickers', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'multi', namespace: 'default', uid: 'u1', resourceVersion: '7' },
    spec: {
      initContainers: [{ name: 'setup', image: 'b' }],
      containers: [
        { name: 'app', image: 'b' },
        { name: 'sidecar', image: 'b' },
      ],
    },
    status: { phase: 'Running' },
  }

  it('lists init containers first, then app containers', () => {
    expect(containersOf(pod)).toEqual([
      { name: 'setup', init: true },
      { name: 'app', init: false },
      { name: 'sidecar', init: false },
    ])
    expect(containersOf({ metadata: { name: 'x' } })).toEqual([])
  })

  it('puts them on pod rows only', () => {
    expect(rowFor(resourceTypeInfo('pods')!, pod).containers?.map((c) => c.name)).toEqual(['setup', 'app', 'sidecar'])
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', uid: 'u', resourceVersion: '1' } }
    expect(rowFor(resourceTypeInfo('nodes')!, node).containers).toBeUndefined()
  })
})

describe('topology node boxes', () => {
  it('are wide enough for the node drill buttons even when empty', () => {
    expect(boxSize(0).width).toBe(BOX_MIN_W)
    expect(boxSize(1).width).toBe(BOX_MIN_W)
    expect(boxSize(9).width).toBeGreaterThan(BOX_MIN_W)
  })
})
