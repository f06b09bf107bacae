// Store-driven navigation (no router installed): which view is shown, for which cluster, with
// optional view parameters (e.g. an object to open). Views read it; links call go().
import { defineStore } from 'pinia';

export type ViewName = 'clusters' | 'resources' | 'topology' | 'logs' | 'terminals' | 'labs';

export const useNavStore = defineStore('nav', {
  state: () => ({
    view: 'clusters' as ViewName,
    /** The cluster the cluster-scoped views (resources, topology, logs) show. */
    cluster: null as string | null,
    params: {} as Record<string, string>,
  }),
  actions: {
    go(view: ViewName, params: Record<string, string> = {}): void {
      this.view = view;
      this.params = params;
    },
    selectCluster(name: string | null): void {
      this.cluster = name;
    },
  },
});
