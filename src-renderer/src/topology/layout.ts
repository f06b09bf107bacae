// Automatic placement of the topology's top-level shapes (node boxes, controllers, Services)
// with elkjs' layered algorithm: controllers on the left, nodes in the middle, Services on the
// right. Pods are placed inside their node box by buildGraph, so pod churn never re-runs this.
// The layout runs in a Web Worker (elkjs' own worker script), so a big graph never blocks the page.
import ELK from 'elkjs/lib/elk-api.js'
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url'
import { SIDE_H, SIDE_W, type Positions, type TopoGraph } from './graph'

export { SIDE_H, SIDE_W }

export type { Positions } from './graph'

const elk = new ELK({ workerUrl: elkWorkerUrl })

export async function layoutGraph(topoGraph: TopoGraph): Promise<Positions> {
  const children = [
    ...topoGraph.boxes.map((b) => ({ id: b.id, width: b.width, height: b.height })),
    ...topoGraph.sides.map((s) => ({ id: s.id, width: SIDE_W, height: SIDE_H })),
  ]
  const res = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.separateConnectedComponents': 'false',
    },
    children,
    edges: topoGraph.layoutEdges.map((e, i) => ({ id: `l${i}`, sources: [e.source], targets: [e.target] })),
  })
  const out: Positions = new Map()
  for (const c of res.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 })
  return out
}
