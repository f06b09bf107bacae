import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClusterSummary } from '../contract'
import { clustersDir } from './paths'

export const clusterFileName = 'cluster.json'

/**
 * Lists the clusters recorded under `<home>/clusters/<name>/cluster.json`, sorted by name.
 * A folder without cluster.json is not a cluster and is skipped; a cluster.json that cannot be
 * read or parsed is still listed, with `problem` saying why, so a broken cluster never vanishes
 * silently from the UI.
 */
export async function listClusters(home: string): Promise<ClusterSummary[]> {
  const root = clustersDir(home)
  let entries
  try {
    entries = await readdir(root, { withFileTypes: true })
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return []
    throw new Error(`cannot read the clusters folder ${root}: ${errorMessage(err)}`)
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  const found = await Promise.all(names.map((name) => readCluster(join(root, name), name)))
  return found.filter((c): c is ClusterSummary => c !== null)
}

/** Reads one cluster folder; null when it holds no cluster.json. */
export async function readCluster(dir: string, name: string): Promise<ClusterSummary | null> {
  const file = join(dir, clusterFileName)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null
    return broken(dir, name, `cannot read ${file}: ${errorMessage(err)}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return broken(dir, name, `${file} is not valid JSON (${errorMessage(err)}); fix or delete the file`)
  }
  if (!isRecord(parsed)) return broken(dir, name, `${file} must hold a JSON object`)
  return summarize(dir, name, parsed)
}

/**
 * Fields read from cluster.json (all optional): provider, state, nodes (array), createdAt.
 * The folder name is the cluster's identity, so it wins over a `name` field in the file.
 */
export function summarize(dir: string, name: string, file: Record<string, unknown>): ClusterSummary {
  return {
    name,
    dir,
    provider: nonEmptyString(file.provider),
    state: nonEmptyString(file.state) ?? 'unknown',
    nodeCount: Array.isArray(file.nodes) ? file.nodes.length : null,
    ...controlPlanes(file.nodes),
    ...drillStopped(file.nodes),
    createdAt: nonEmptyString(file.createdAt),
    problem: null,
  }
}

/** `{ controlPlanes }` when the cluster has several control-plane nodes, else nothing. */
function controlPlanes(nodes: unknown): { controlPlanes?: number } {
  const n = Array.isArray(nodes) ? nodes.filter((x: unknown) => isRecord(x) && x.role === 'control-plane').length : 0
  return n > 1 ? { controlPlanes: n } : {}
}

/** `{ stoppedNodes }` when nodes were stopped for a drill (kubelab node stop), else nothing. */
function drillStopped(nodes: unknown): { stoppedNodes?: string[] } {
  const names = Array.isArray(nodes)
    ? nodes.flatMap((n: unknown) => (isRecord(n) && n.drillStopped === true && typeof n.name === 'string' ? [n.name] : []))
    : []
  return names.length ? { stoppedNodes: names } : {}
}

function broken(dir: string, name: string, problem: string): ClusterSummary {
  return { name, dir, provider: null, state: 'unknown', nodeCount: null, createdAt: null, problem }
}

function nonEmptyString(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function errnoCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
