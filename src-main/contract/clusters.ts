// Contract for clusters: list, create with progress, lifecycle. Free of Node and DOM imports.

/** One cluster as found on disk under `$KUBELAB_HOME/clusters/<name>/cluster.json`. */
export interface ClusterSummary {
  name: string;
  /** Absolute path of the cluster's folder. */
  dir: string;
  /** VM provider (`multipass`, `virtualbox`, `local`, `simulated`); null when not recorded. */
  provider: string | null;
  /** Lifecycle state as last recorded by the cluster manager; `unknown` when not recorded. */
  state: string;
  /** Number of nodes (master + workers); null when not recorded. */
  nodeCount: number | null;
  /** ISO timestamp of creation; null when not recorded. */
  createdAt: string | null;
  /** Why cluster.json could not be read, if it could not; the other fields are then defaults. */
  problem: string | null;
}

export interface ClusterRequests {
  'clusters.list': { params: void; result: ClusterSummary[] };
}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ClusterEvents {}

export const clusterRequestTable = {
  'clusters.list': true,
} as const satisfies Record<keyof ClusterRequests, true>;

export const clusterEventTable = {} as const satisfies Record<keyof ClusterEvents, true>;
