import { describe, expect, it } from 'vitest'
import { OwnerGraph } from '../../src-cluster/controllers/core/garbage-collector'
import { RES } from '../../src-cluster/kit/resources'

const RS = RES.replicasets
const owner = (uid: string, block = true) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true, blockOwnerDeletion: block })

describe('garbage collector graph', () => {
  it('tracks dependents by owner uid, including owners not seen yet, and forgets removed edges', () => {
    const g = new OwnerGraph()
    g.upsert(RES.pods, { metadata: { name: 'p1', namespace: 'd', uid: 'p1', ownerReferences: [owner('rs1')] } })
    g.upsert(RES.pods, { metadata: { name: 'p2', namespace: 'd', uid: 'p2', ownerReferences: [owner('rs1', false)] } })
    expect(
      g
        .dependentsOf('rs1')
        .map((n) => n.uid)
        .sort(),
    ).toEqual(['p1', 'p2'])
    g.upsert(RS, { metadata: { name: 'rs1', namespace: 'd', uid: 'rs1' } })
    expect(g.blockingDependents('rs1').map((n) => n.uid)).toEqual(['p1'])
    const { removedOwners } = g.upsert(RES.pods, { metadata: { name: 'p1', namespace: 'd', uid: 'p1' } })
    expect(removedOwners).toEqual(['rs1'])
    expect(g.blockingDependents('rs1')).toEqual([])
    g.remove('p2')
    expect(g.dependentsOf('rs1')).toEqual([])
  })
})
