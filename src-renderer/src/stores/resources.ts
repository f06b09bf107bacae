// Live resource lists and the object detail page. Lists are shared per (cluster, type,
// namespace) and reference-counted: the Resources table and the Topology asking for pods share
// one backend watch. Rows live in plain Maps (markRaw) and a `version` counter tells Vue when a
// batch changed something, so a busy cluster costs one re-render per batch, not one per pod.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import type { ApplyResult, ColumnInfo, ObjectDetail, ObjectParams, ResourceBatch, ResourceRow, RpcError } from '@contract'
import { api } from '../api'
import { applyBatch, listKey, rowsFromSnapshot } from '../resources/list-model'

export interface LiveList {
  key: string
  cluster: string
  type: string
  namespace: string | null
  watchId: string | null
  columns: ColumnInfo[]
  rows: Map<string, ResourceRow>
  tombstones: Map<string, string>
  users: number
  status: 'loading' | 'live' | 'error'
  problem: string | null
  /** Bumped whenever rows change; read it in computed() to depend on the rows. */
  version: number
}

export interface DetailState {
  params: ObjectParams
  status: 'loading' | 'loaded' | 'error'
  data: ObjectDetail | null
  error: RpcError | null
  apply: ApplyResult | null
  busy: string | null
  actionError: RpcError | null
  /** The object was deleted while its page was open (the last copy is still shown). */
  gone: boolean
}

export type ObjectAction = 'scale' | 'restart' | 'delete' | 'cordon' | 'uncordon'

let listening = false

export const useResourcesStore = defineStore('resources', {
  state: () => ({
    lists: {} as Record<string, LiveList>,
    /** Which type the Resources view shows (the namespaces shown are the nav store's). */
    type: 'pods',
    detail: null as DetailState | null,
  }),
  actions: {
    listen(): void {
      if (listening) return
      listening = true
      api.on('resources.batch', (b) => this.onBatch(b))
    },

    onBatch(b: ResourceBatch): void {
      const list = Object.values(this.lists).find((l) => l.watchId === b.watchId)
      if (!list) return // released meanwhile
      const changed = applyBatch(list.rows, b, list.tombstones)
      list.problem = b.problem
      if (changed > 0) list.version++
    },

    /** Starts (or joins) a live list; pair with release(). */
    async acquire(cluster: string, type: string, namespace: string | null): Promise<LiveList> {
      this.listen()
      const key = listKey(cluster, type, namespace)
      const existing = this.lists[key]
      if (existing) {
        existing.users++
        return existing
      }
      this.lists[key] = {
        key,
        cluster,
        type,
        namespace,
        watchId: null,
        columns: [],
        rows: markRaw(new Map()),
        tombstones: markRaw(new Map()),
        users: 1,
        status: 'loading',
        problem: null,
        version: 0,
      }
      const list = this.lists[key]!
      const reply = await api.request('resources.watch', { cluster, type, namespace })
      if (list.users === 0 || this.lists[key] !== list) {
        if (reply.ok) void api.request('resources.unwatch', { watchId: reply.value.watchId })
        return list
      }
      if (!reply.ok) {
        list.status = 'error'
        list.problem = reply.error.message
        return list
      }
      list.watchId = reply.value.watchId
      list.columns = reply.value.columns
      list.rows = markRaw(rowsFromSnapshot(reply.value))
      list.status = 'live'
      list.version++
      return list
    },

    /**
     * Lists of a cluster that failed or went stale (it was stopped) are watched afresh, e.g. once
     * the cluster runs again.
     */
    async rewatch(cluster: string): Promise<void> {
      for (const list of Object.values(this.lists)) {
        if (list.cluster !== cluster || (list.status === 'live' && list.problem === null)) continue
        const reply = await api.request('resources.watch', { cluster, type: list.type, namespace: list.namespace })
        if (this.lists[list.key] !== list || list.users === 0) {
          if (reply.ok) void api.request('resources.unwatch', { watchId: reply.value.watchId })
          continue
        }
        if (!reply.ok) {
          list.status = 'error'
          list.problem = reply.error.message
          continue
        }
        const old = list.watchId
        list.watchId = reply.value.watchId
        list.columns = reply.value.columns
        list.rows = markRaw(rowsFromSnapshot(reply.value))
        list.tombstones = markRaw(new Map())
        list.status = 'live'
        list.problem = null
        list.version++
        if (old) void api.request('resources.unwatch', { watchId: old })
      }
    },

    release(cluster: string, type: string, namespace: string | null): void {
      const key = listKey(cluster, type, namespace)
      const list = this.lists[key]
      if (!list) return
      list.users--
      if (list.users > 0) return
      delete this.lists[key]
      if (list.watchId) void api.request('resources.unwatch', { watchId: list.watchId })
    },

    list(cluster: string, type: string, namespace: string | null): LiveList | undefined {
      return this.lists[listKey(cluster, type, namespace)]
    },

    async openDetail(params: ObjectParams): Promise<void> {
      this.detail = { params, status: 'loading', data: null, error: null, apply: null, busy: null, actionError: null, gone: false }
      await this.reloadDetail()
    },

    async reloadDetail(): Promise<void> {
      const d = this.detail
      if (!d) return
      const reply = await api.request('resources.get', d.params)
      if (this.detail !== d) return
      if (reply.ok) {
        d.data = reply.value
        d.status = 'loaded'
        d.error = null
        d.gone = false
      } else if (d.data) {
        // Followed live: a failed re-read keeps the last copy and says why.
        d.gone = /does not exist/.test(reply.error.message)
        d.error = reply.error
      } else {
        d.status = 'error'
        d.error = reply.error
      }
    },

    closeDetail(): void {
      this.detail = null
    },

    /** Applies YAML to a cluster (edit or create); the answer is shown the same way for both. */
    async applyTo(cluster: string, yaml: string): Promise<{ ok: true; value: ApplyResult } | { ok: false; error: RpcError }> {
      return api.request('resources.apply', { cluster, yaml })
    },

    async applyYaml(yaml: string): Promise<ApplyResult | null> {
      const d = this.detail
      if (!d) return null
      d.busy = 'apply'
      d.actionError = null
      const reply = await this.applyTo(d.params.cluster, yaml)
      d.busy = null
      if (!reply.ok) {
        d.actionError = reply.error
        return null
      }
      d.apply = reply.value
      if (reply.value.outcome !== 'rejected') await this.reloadDetail()
      return reply.value
    },

    /** Scale, restart, delete, (un)cordon any object (from a table row or a detail page). */
    async actOn(p: ObjectParams, action: ObjectAction, replicas?: number): Promise<RpcError | null> {
      const reply =
        action === 'scale'
          ? await api.request('resources.scale', { ...p, replicas: replicas ?? 0 })
          : action === 'restart'
            ? await api.request('resources.restart', p)
            : action === 'delete'
              ? await api.request('resources.delete', p)
              : await api.request('resources.cordon', { cluster: p.cluster, name: p.name, unschedulable: action === 'cordon' })
      return reply.ok ? null : reply.error
    },

    async act(action: ObjectAction, replicas?: number): Promise<boolean> {
      const d = this.detail
      if (!d) return false
      d.busy = action
      d.actionError = null
      const err = await this.actOn(d.params, action, replicas)
      d.busy = null
      if (err) {
        d.actionError = err
        return false
      }
      if (action === 'delete') this.detail = null
      else await this.reloadDetail()
      return true
    },
  },
})
