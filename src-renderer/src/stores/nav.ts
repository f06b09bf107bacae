// Store-driven navigation: which view is shown, for which cluster and namespaces, with optional
// view parameters. The URL follows this store and the store follows the URL (nav/router.ts), so
// Back/Forward and reload work; views read it, links call go().
import { defineStore } from 'pinia'
import { topologyDefaults, type TopologyRoute, type ViewName } from '../nav/route'

export type { ViewName } from '../nav/route'

export const useNavStore = defineStore('nav', {
  state: () => ({
    view: 'clusters' as ViewName,
    /** The cluster the cluster-scoped views (resources, topology, logs) show. */
    cluster: null as string | null,
    /** The namespaces tables, topology, logs and pickers show; empty: all. */
    namespaces: [] as string[],
    params: {} as Record<string, string>,
    /** The topology's filter and picture, kept in the URL. */
    topology: { ...topologyDefaults } as TopologyRoute,
    /** The command palette is open. */
    palette: false,
  }),
  actions: {
    go(view: ViewName, params: Record<string, string> = {}): void {
      this.view = view
      this.params = params
    },
    selectCluster(name: string | null): void {
      if (name !== this.cluster) this.namespaces = []
      this.cluster = name
    },
    setNamespaces(list: string[]): void {
      this.namespaces = [...new Set(list)].sort()
    },
  },
})
