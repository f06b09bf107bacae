// Port-forwards: the backend's list (it owns the listeners), kept current by its
// `portforward.changed` events; start and stop go straight to the backend.
import { defineStore } from 'pinia'
import type { PortForwardInfo, PortForwardParams, RpcError } from '@contract'
import { api } from '../api'

let subscribed = false

export const usePortForwardsStore = defineStore('portforwards', {
  state: () => ({
    items: [] as PortForwardInfo[],
    /** The last failed start or stop, shown until the next one. */
    error: null as RpcError | null,
    starting: false,
  }),
  actions: {
    /** Subscribes once; the list request in refresh() covers events sent before this. */
    subscribe(): void {
      if (subscribed) return
      subscribed = true
      api.on('portforward.changed', (list) => {
        this.items = list
      })
    },
    async refresh(): Promise<void> {
      const reply = await api.request('portforward.list')
      if (reply.ok) this.items = reply.value
      else this.error = reply.error
    },
    /** Starts a forward; resolves with its URL, or null when it failed (the error is kept). */
    async start(params: PortForwardParams): Promise<string | null> {
      this.error = null
      this.starting = true
      try {
        const reply = await api.request('portforward.start', params)
        if (!reply.ok) {
          this.error = reply.error
          return null
        }
        await this.refresh()
        return reply.value.url
      } finally {
        this.starting = false
      }
    },
    async stop(id: string): Promise<void> {
      this.error = null
      const reply = await api.request('portforward.stop', { id })
      if (!reply.ok) this.error = reply.error
      await this.refresh()
    },
  },
})
