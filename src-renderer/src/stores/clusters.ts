import { defineStore } from 'pinia';
import type { ClusterSummary, RpcError } from '../../../src-main/contract';
import { api } from '../api';

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'error';

export const useClustersStore = defineStore('clusters', {
  state: () => ({
    items: [] as ClusterSummary[],
    status: 'idle' as LoadStatus,
    error: null as RpcError | null,
  }),
  getters: {
    isEmpty: (s) => s.status === 'loaded' && s.items.length === 0,
  },
  actions: {
    async refresh(): Promise<void> {
      // Keep showing the previous list while refreshing; only the first load shows "loading".
      if (this.status !== 'loaded') this.status = 'loading';
      const reply = await api.request('clusters.list');
      if (reply.ok) {
        this.items = reply.value;
        this.status = 'loaded';
        this.error = null;
      } else {
        this.status = 'error';
        this.error = reply.error;
      }
    },
  },
});
