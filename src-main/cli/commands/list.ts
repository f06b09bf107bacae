import { clusterCommand } from './cluster-util'

/** `kubelab list`: one line per cluster from cluster.json. */
export const listCommand = clusterCommand({
  name: 'list',
  summary: 'List clusters',
  usage: 'kubelab list [--json]',
  flags: { json: 'boolean' },
  positional: 0,
  async run(manager, { flags }, io) {
    const clusters = await manager.list()
    if (flags.json) {
      io.out(JSON.stringify(clusters, null, 2))
      return 0
    }
    if (clusters.length === 0) {
      io.out(`No clusters in ${manager.home}. Create one: kubelab create demo --provider simulated --workers 3`)
      return 0
    }
    const rows = [
      ['NAME', 'PROVIDER', 'STATE', 'NODES', 'CREATED'],
      ...clusters.map((c) => [
        c.name,
        c.provider ?? '-',
        c.problem ? `${c.state} (${c.problem})` : c.state,
        nodesText(c.nodeCount, c.stoppedNodes, c.controlPlanes),
        c.createdAt ?? '-',
      ]),
    ]
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
    for (const r of rows) io.out(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join(''))
    return 0
  },
})

/** `3`, `4 (3 control planes)`, or `3 (node-1 stopped)` while a node is stopped for a drill. */
function nodesText(count: number | null, stopped: string[] | undefined, controlPlanes?: number): string {
  if (count === null) return '-'
  const notes = [...(controlPlanes ? [`${controlPlanes} control planes`] : []), ...(stopped?.length ? [`${stopped.join(', ')} stopped`] : [])]
  return notes.length ? `${count} (${notes.join('; ')})` : String(count)
}
