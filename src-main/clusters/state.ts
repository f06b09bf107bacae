// cluster.json: the record of one cluster on the host. The desktop UI reads provider, state,
// nodes[] and createdAt (see registry.ts); the cluster manager also keeps the ports and
// settings chosen at create time here so start/stop/re-runs reuse them. Written atomically
// (temp file + rename) so an interrupted write never leaves half a file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NodeRecord } from '../providers/types'
import { clustersDir } from './paths'
import { clusterFileName } from './registry'

export type ClusterState = 'creating' | 'starting' | 'running' | 'stopping' | 'stopped' | 'deleting' | 'error'

export interface ClusterRecord {
  name: string
  provider: string
  state: ClusterState
  nodes: NodeRecord[]
  createdAt: string
  ports: Record<string, number>
  settings: Record<string, string>
  /** What went wrong last, for the UI and `kubelab list`. */
  problem?: string
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/

/** Cluster names become folder, context and node-label parts: keep them DNS-label-like. */
export function checkClusterName(name: string): void {
  if (!NAME_RE.test(name))
    throw new Error(`invalid cluster name ${JSON.stringify(name)}: use 1–40 lowercase letters, digits and '-', starting and ending with a letter or digit`)
}

export function clusterDir(home: string, name: string): string {
  return join(clustersDir(home), name)
}

export function readRecord(dir: string): ClusterRecord | undefined {
  const file = join(dir, clusterFileName)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterRecord
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): fix it, or remove the folder ${dir}`)
  }
}

export function writeRecord(dir: string, rec: ClusterRecord): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, clusterFileName)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, file)
}
