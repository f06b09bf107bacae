// Clusters: the list, running operations (create/start/stop/delete with live steps), nodes,
// providers and preflight for the wizard. Kept current by backend events, not polling.
import { defineStore } from 'pinia'
import { capabilitiesOf } from '@contract'
import type { ClusterNodeInfo, ClusterOperation, ClusterSummary, CreateClusterParams, PreflightResult, ProviderInfo, RpcError } from '@contract'
import { api } from '../api'
import { applyLine, latestFor, mergeSnapshot } from '../clusters/model'

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'error'

let subscribed = false

export const useClustersStore = defineStore('clusters', {
  state: () => ({
    items: [] as ClusterSummary[],
    status: 'idle' as LoadStatus,
    error: null as RpcError | null,
    operations: {} as Record<string, ClusterOperation>,
    nodes: {} as Record<string, ClusterNodeInfo[]>,
    providers: [] as ProviderInfo[],
    /** The last error of an action (start, node stop, ...), shown until the next action. */
    actionError: null as RpcError | null,
  }),
  getters: {
    isEmpty: (s) => s.status === 'loaded' && s.items.length === 0,
    latest: (s) => (cluster: string) => latestFor(Object.values(s.operations), cluster),
    busy: (s) => (cluster: string) => latestFor(Object.values(s.operations), cluster)?.state === 'running',
    /** A cluster's recorded state (`running`, `stopped`, ...); `unknown` when not listed (yet). */
    stateOf: (s) => (cluster: string) => s.items.find((c) => c.name === cluster)?.state ?? 'unknown',
    /** What the cluster's provider's nodes can do (contract/providers.ts); nothing for an unknown cluster. */
    capabilitiesOf: (s) => (cluster: string) => capabilitiesOf(s.items.find((c) => c.name === cluster)?.provider),
  },
  actions: {
    /** Subscribes to backend events once; call before api.ready(). */
    subscribe(): void {
      if (subscribed) return
      subscribed = true
      api.on('clusters.changed', (list) => {
        this.items = list
        this.status = 'loaded'
        for (const c of list) if (c.state === 'running' || this.nodes[c.name]) void this.loadNodes(c.name)
      })
      api.on('clusters.operation', (op) => {
        this.operations[op.id] = mergeSnapshot(this.operations[op.id], op)
        // Node machines answer for sure only once the operation is over.
        if (op.state === 'succeeded' && op.kind !== 'delete') void this.loadNodes(op.cluster)
      })
      api.on('clusters.line', (line) => {
        const next = applyLine(this.operations[line.operationId], line)
        if (next) this.operations[line.operationId] = next
      })
    },
    async refresh(): Promise<void> {
      // Keep showing the previous list while refreshing; only the first load shows "loading".
      if (this.status !== 'loaded') this.status = 'loading'
      const reply = await api.request('clusters.list')
      if (reply.ok) {
        this.items = reply.value
        this.status = 'loaded'
        this.error = null
        for (const c of reply.value) if (c.state === 'running') void this.loadNodes(c.name)
      } else {
        this.status = 'error'
        this.error = reply.error
      }
      const ops = await api.request('clusters.operations')
      if (ops.ok) for (const op of ops.value) this.operations[op.id] = mergeSnapshot(this.operations[op.id], op)
    },
    async loadProviders(): Promise<void> {
      const reply = await api.request('clusters.providers')
      if (reply.ok) this.providers = reply.value
    },
    async loadNodes(name: string): Promise<void> {
      const reply = await api.request('clusters.nodes', { name })
      if (reply.ok) this.nodes[name] = reply.value
    },
    preflight(params: CreateClusterParams): Promise<{ ok: true; value: PreflightResult } | { ok: false; error: RpcError }> {
      return api.request('clusters.preflight', params)
    },
    /** Starts an operation; its id, or null with `actionError` set. */
    async create(params: CreateClusterParams): Promise<string | null> {
      return this.track(await api.request('clusters.create', params))
    },
    async start(name: string): Promise<string | null> {
      return this.track(await api.request('clusters.start', { name }))
    },
    async stop(name: string): Promise<string | null> {
      return this.track(await api.request('clusters.stop', { name }))
    },
    async remove(name: string): Promise<string | null> {
      return this.track(await api.request('clusters.delete', { name }))
    },
    async retry(id: string): Promise<string | null> {
      return this.track(await api.request('clusters.retry', { id }))
    },
    async cancel(id: string): Promise<void> {
      const reply = await api.request('clusters.cancel', { id })
      if (reply.ok) this.operations[id] = mergeSnapshot(this.operations[id], reply.value)
      else this.actionError = reply.error
    },
    async nodeAction(name: string, node: string, action: 'stop' | 'start'): Promise<void> {
      this.actionError = null
      const reply = await api.request(action === 'stop' ? 'clusters.nodeStop' : 'clusters.nodeStart', { name, node })
      if (reply.ok) this.nodes[name] = reply.value
      else this.actionError = reply.error
    },
    track(reply: { ok: true; value: ClusterOperation } | { ok: false; error: RpcError }): string | null {
      if (!reply.ok) {
        this.actionError = reply.error
        return null
      }
      this.actionError = null
      this.operations[reply.value.id] = mergeSnapshot(this.operations[reply.value.id], reply.value)
      return reply.value.id
    },
  },
})
