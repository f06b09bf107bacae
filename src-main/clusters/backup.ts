// `kubelab backup` / `kubelab restore` on the host. A backup is taken from the running API
// server (its store snapshot at one revision) plus the cluster's certificates and tokens from
// the cluster folder. A restore verifies the whole file and that it belongs to this cluster
// (same CA, same store kind) before anything is stopped or changed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { loadKubeconfig } from '../../src-cluster/client/kubeconfig'
import { BackupError, readBackup, type BackupManifest, type OpenedBackup } from '../../src-cluster/backup/archive'
import { takeBackup, type TakenBackup } from '../../src-cluster/backup/take'
import { capabilitiesOf } from '../contract'
import type { ClusterRecord } from './state'

/** Folders (relative to the cluster folder) whose files a restore needs: certificates and tokens. */
function identityPaths(rec: ClusterRecord): string[] {
  return capabilitiesOf(rec.provider).hollowNodes ? ['data/pki', 'data/tokens.csv'] : ['pki']
}

/** The cluster CA certificate's path relative to the cluster folder. */
function caPath(rec: ClusterRecord): string {
  return capabilitiesOf(rec.provider).hollowNodes ? 'data/pki/ca.crt' : 'pki/ca.crt'
}

const ENTRY_PREFIX = 'cluster/'

function walk(root: string, rel: string, out: Map<string, string>): void {
  const abs = join(root, rel)
  if (!existsSync(abs)) return
  if (statSync(abs).isDirectory()) {
    for (const name of readdirSync(abs).sort()) walk(root, join(rel, name), out)
    return
  }
  if (abs.endsWith('.tmp')) return
  out.set(ENTRY_PREFIX + rel.split(sep).join('/'), abs)
}

export function storeKind(rec: ClusterRecord): 'embedded' | 'etcd' {
  return rec.settings.store === 'etcd' ? 'etcd' : 'embedded'
}

export async function backupCluster(rec: ClusterRecord, dir: string, out: string, progress: (l: string) => void): Promise<TakenBackup> {
  if (rec.state !== 'running') {
    throw new Error(`cluster ${rec.name} is ${rec.state}: a backup is taken from its running API server, so start it first (kubelab start ${rec.name})`)
  }
  const kubeconfig = join(dir, 'kubeconfig')
  const files = new Map<string, string>()
  for (const p of identityPaths(rec)) walk(dir, p, files)
  if (!files.has(ENTRY_PREFIX + caPath(rec)))
    throw new Error(
      `cluster ${rec.name} has no CA certificate at ${join(dir, caPath(rec))}: its folder is incomplete, a backup could not be checked on restore`,
    )
  const taken = await takeBackup({ api: loadKubeconfig(kubeconfig), cluster: rec.name, out, extraFiles: files, progress })
  progress(
    `backup of cluster ${rec.name} written to ${out}: ${storeKind(rec)} store at revision ${taken.manifest.revision}, ${(taken.size / 1024 / 1024).toFixed(1)} MiB, SHA-256 ${taken.sha256}`,
  )
  return taken
}

export interface VerifiedRestore {
  readonly backup: OpenedBackup
  readonly snapshotFile: string
  /** Removes the extracted files. */
  cleanup(): void
}

/** Everything checked before the cluster is touched: file intact, store kind, same cluster CA. */
export async function verifyForRestore(rec: ClusterRecord, dir: string, file: string, progress: (l: string) => void): Promise<VerifiedRestore> {
  const work = mkdtempSync(join(dir, '.restore-'))
  const cleanup = () => rmSync(work, { recursive: true, force: true })
  try {
    progress(`verifying ${file}`)
    const backup = await readBackup(file, work)
    const m: BackupManifest = backup.manifest
    progress(`backup of cluster ${m.cluster} (${m.store} store, revision ${m.revision}, made ${m.createdAt}); every entry matches its SHA-256`)
    if (m.store !== storeKind(rec)) {
      throw new BackupError(
        `${file} is a backup of ${m.store === 'etcd' ? 'an etcd' : 'an embedded'} store, and cluster ${rec.name} keeps its objects in ${storeKind(rec) === 'etcd' ? 'etcd' : 'its embedded store'}: restore it into a cluster created with ${m.store === 'etcd' ? '--store etcd' : 'the embedded store'}; nothing was changed`,
      )
    }
    const theirs = backup.files.get(ENTRY_PREFIX + caPath(rec))
    const ours = join(dir, caPath(rec))
    if (theirs && existsSync(ours) && !readFileSync(theirs).equals(readFileSync(ours))) {
      throw new BackupError(
        `${file} belongs to another cluster (${m.cluster}${m.cluster === rec.name ? ', an earlier one of the same name' : ''}): its certificate authority is not cluster ${rec.name}'s, whose nodes would not trust it; nothing was changed`,
      )
    }
    if (!theirs && !existsSync(ours))
      throw new BackupError(`${file} holds no certificate authority for cluster ${rec.name} and the cluster has none either; nothing was changed`)
    return { backup, snapshotFile: backup.files.get(m.snapshot)!, cleanup }
  } catch (e) {
    cleanup()
    throw e
  }
}

/** Put back certificates and tokens the cluster folder lost; existing files are left alone. */
export function restoreMissingFiles(dir: string, backup: OpenedBackup, progress: (l: string) => void): void {
  for (const [name, src] of backup.files) {
    if (!name.startsWith(ENTRY_PREFIX)) continue
    const rel = name.slice(ENTRY_PREFIX.length)
    const dest = join(dir, rel)
    if (relative(dir, dest).startsWith('..') || existsSync(dest)) continue
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 })
    copyFileSync(src, dest)
    progress(`put back ${rel} from the backup`)
  }
}
