// `kubelab-node restore`: put a backup's store snapshot in place on a control-plane node whose
// API server (and etcd) is stopped. `kubelab restore` runs it for you (stop, restore, start);
// by hand it is the embedded-store counterpart of `etcdctl snapshot restore`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BackupError, readBackup } from '../backup/archive'
import { restoreEmbedded } from '../backup/embedded'
import { restoreEtcd } from '../backup/etcd'
import { defineComponent, UsageError } from './component'

export const restore = defineComponent({
  name: 'restore',
  about: "put a backup's store snapshot in place (API server and etcd stopped)",
  usage: `--from FILE --data-dir DIR
       kubelab-node restore --from FILE --etcd-data-dir DIR --name NAME --initial-cluster NAME=URL
                            --initial-advertise-peer-urls URL [--initial-cluster-token T] [--min-revision R]
                            [--stage]
       kubelab-node restore --etcd-data-dir DIR --commit | --abort`,
  description: `Restores the store snapshot of a backup written by 'kubelab backup'. The API server (and etcd)
must be stopped. The replaced data is kept beside the new one (…before-restore-TIME).`,
  flags: {
    from: { type: 'string', arg: 'FILE', help: 'the backup (.tar.gz); verified completely before anything changes' },
    'data-dir': { type: 'string', arg: 'DIR', help: "embedded store: the API server's --data-dir (the store is DIR/store)" },
    'etcd-data-dir': { type: 'string', arg: 'DIR', help: "etcd: the member's --data-dir" },
    name: { type: 'string', arg: 'NAME', help: "etcd: the member's name, as for etcdctl snapshot restore" },
    'initial-cluster': { type: 'string', arg: 'NAME=URL,...', help: "etcd: the member's initial cluster" },
    'initial-advertise-peer-urls': { type: 'string', arg: 'URL', help: "etcd: the member's peer URLs" },
    'initial-cluster-token': { type: 'string', arg: 'T', default: 'etcd-cluster', help: 'etcd: the cluster token (default etcd-cluster)' },
    'min-revision': {
      type: 'string',
      arg: 'R',
      help: "the store's revision before the restore (clients may hold it):\nthe restored store continues past it, so clients re-list",
    },
    stage: {
      type: 'boolean',
      help: 'etcd: build the restored data in DIR.restoring and stop there\n(a cluster of several members: stage on every member first)',
    },
    commit: { type: 'boolean', help: 'etcd: swap the staged DIR.restoring in (the old data is kept)' },
    abort: { type: 'boolean', help: 'etcd: remove the staged DIR.restoring; the member keeps its data' },
  },
  async run(values) {
    const phases = (['stage', 'commit', 'abort'] as const).filter((p) => values[p])
    if (phases.length > 1) throw new UsageError('give at most one of --stage, --commit and --abort')
    if (phases.length && !values['etcd-data-dir']) throw new UsageError(`--${phases[0]} is for an etcd member: give --etcd-data-dir DIR`)
    if (phases[0] === 'commit' || phases[0] === 'abort') {
      await restoreEtcd({
        dataDir: resolve(values['etcd-data-dir']!),
        snapshotFile: '',
        name: '',
        initialCluster: '',
        initialAdvertisePeerUrls: '',
        initialClusterToken: '',
        phase: phases[0],
        log: (l) => console.log(`restore: ${l}`),
      })
      return
    }
    if (!values.from) throw new UsageError('--from FILE is required')
    if (!values['data-dir'] === !values['etcd-data-dir']) throw new UsageError('give exactly one of --data-dir (embedded store) and --etcd-data-dir (etcd)')
    const minRevision = values['min-revision'] === undefined ? undefined : Number(values['min-revision'])
    if (minRevision !== undefined && (!Number.isInteger(minRevision) || minRevision < 0))
      throw new Error(`--min-revision must be a whole number, got ${values['min-revision']}`)
    const log = (l: string) => console.log(`restore: ${l}`)
    const work = mkdtempSync(join(tmpdir(), 'kubelab-restore-'))
    try {
      const file = resolve(values.from)
      log(`verifying ${file}`)
      const b = await readBackup(file, join(work, 'backup'))
      const m = b.manifest
      log(`backup of cluster ${m.cluster} (${m.store} store, revision ${m.revision}, made ${m.createdAt}); every entry matches its SHA-256`)
      const want = values['data-dir'] ? 'embedded' : 'etcd'
      if (m.store !== want) {
        throw new BackupError(
          `${file} holds a snapshot of ${m.store === 'etcd' ? 'etcd' : 'the embedded store'}, and this restore is into ${want === 'etcd' ? 'an etcd member' : 'an embedded store'}: a backup goes back into the kind of store it came from`,
        )
      }
      const snapshotFile = b.files.get(m.snapshot)!
      if (values['data-dir']) {
        await restoreEmbedded({ dataDir: resolve(values['data-dir']), snapshotFile, log })
      } else {
        for (const f of ['name', 'initial-cluster', 'initial-advertise-peer-urls'] as const)
          if (!values[f]) throw new Error(`--etcd-data-dir needs --${f} (the member's own setting)`)
        await restoreEtcd({
          dataDir: resolve(values['etcd-data-dir']!),
          snapshotFile,
          name: values.name!,
          initialCluster: values['initial-cluster']!,
          initialAdvertisePeerUrls: values['initial-advertise-peer-urls']!,
          initialClusterToken: values['initial-cluster-token']!,
          minRevision,
          log,
          phase: values.stage ? 'stage' : 'all',
        })
      }
      log(
        values.stage
          ? 'staged: run the restore with --commit on every member, then start etcd and the API server'
          : 'done: start the API server (and etcd) again',
      )
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  },
})
