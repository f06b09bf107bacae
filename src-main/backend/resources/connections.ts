// One API client per cluster, built from the kubeconfig the cluster manager writes into the
// cluster's folder. A cluster restarted since (new kubeconfig contents) gets a fresh client.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, loadKubeconfig, type ClosableClient } from '../../../src-cluster/client'
import { checkClusterName } from '../../clusters/state'
import { CodedError } from '../../contract/errors'
import { clustersDir } from '../../clusters/paths'

interface Entry {
  kubeconfig: string
  client: ClosableClient
}

export class ClusterConnections {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly home: () => string) {}

  kubeconfigPath(cluster: string): string {
    checkClusterName(cluster)
    return join(clustersDir(this.home()), cluster, 'kubeconfig')
  }

  clusterDir(cluster: string): string {
    checkClusterName(cluster)
    return join(clustersDir(this.home()), cluster)
  }

  client(cluster: string): ClosableClient {
    const path = this.kubeconfigPath(cluster)
    if (!existsSync(path)) {
      throw new CodedError(
        'cluster_not_running',
        `cluster ${cluster} has no kubeconfig at ${path}: it is not running (start it from the Clusters view or with kubelab start ${cluster})`,
      )
    }
    const text = readFileSync(path, 'utf8')
    const cached = this.entries.get(cluster)
    if (cached && cached.kubeconfig === text) return cached.client
    cached?.client.close()
    const client = createClient({ ...loadKubeconfig(path), userAgent: 'kubelab-desktop' })
    this.entries.set(cluster, { kubeconfig: text, client })
    return client
  }

  close(): void {
    for (const e of this.entries.values()) e.client.close()
    this.entries.clear()
  }
}
