// The Logs view's one stream at a time: what is shown, its options, its lines and how it ended.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import type { ComponentLogFile, LogEnd, LogTarget, RpcError } from '@contract'
import { api } from '../api'
import { appendLines } from '../logs/model'

export interface LogOptions {
  follow: boolean
  timestamps: boolean
  previous: boolean
  tailLines: number | null
}

let listening = false
/** Bumped per open(): a reply for an older open() is stale (the user picked something else). */
let openSeq = 0

// Events can overtake the reply that names their stream (the backend starts reading as soon as
// it answers). Those for a stream not known yet wait here, bounded, until the reply arrives.
const early = new Map<string, { text: string; end: LogEnd | null }>()
const EARLY_LIMIT = 16

function keepEarly(streamId: string): { text: string; end: LogEnd | null } {
  let e = early.get(streamId)
  if (!e) {
    if (early.size >= EARLY_LIMIT) early.delete(early.keys().next().value as string)
    early.set(streamId, (e = { text: '', end: null }))
  }
  return e
}

export const useLogsStore = defineStore('logs', {
  state: () => ({
    cluster: null as string | null,
    target: null as LogTarget | null,
    options: { follow: true, timestamps: false, previous: false, tailLines: 500 } as LogOptions,
    streamId: null as string | null,
    title: '',
    pods: [] as string[],
    lines: markRaw([]) as string[],
    status: 'idle' as 'idle' | 'opening' | 'streaming' | 'ended' | 'error',
    /** The server's answer when it refused, or why the stream broke. */
    /** Why the stream failed to open (an RpcError) or ended early (LogEnd's error). */
    error: null as RpcError | LogEnd['error'],
    components: [] as ComponentLogFile[],
    componentsError: null as RpcError | null,
  }),
  actions: {
    listen(): void {
      if (listening) return
      listening = true
      api.on('logs.data', (d) => {
        if (d.streamId !== this.streamId) {
          if (this.status === 'opening') keepEarly(d.streamId).text += d.text
          return
        }
        this.lines = markRaw(appendLines(this.lines, d.text))
      })
      api.on('logs.end', (e) => {
        if (e.streamId !== this.streamId) {
          if (this.status === 'opening') keepEarly(e.streamId).end = e
          return
        }
        this.ended(e)
      })
    },

    ended(e: LogEnd): void {
      this.streamId = null
      this.status = e.error ? 'error' : 'ended'
      this.error = e.error
    },

    async open(cluster: string, target: LogTarget): Promise<void> {
      this.listen()
      const seq = ++openSeq
      await this.stop()
      this.cluster = cluster
      this.target = target
      this.lines = markRaw([])
      this.error = null
      this.status = 'opening'
      this.pods = []
      const reply = await api.request('logs.open', { cluster, target, ...this.options })
      if (seq !== openSeq) {
        if (reply.ok) void api.request('logs.close', { streamId: reply.value.streamId })
        return
      }
      if (!reply.ok) {
        this.status = 'error'
        this.error = reply.error
        return
      }
      this.streamId = reply.value.streamId
      this.title = reply.value.title
      this.pods = reply.value.pods
      this.status = 'streaming'
      const before = early.get(reply.value.streamId)
      early.delete(reply.value.streamId)
      if (before?.text) this.lines = markRaw(appendLines(this.lines, before.text))
      if (before?.end) this.ended(before.end)
    },

    /** Re-opens the current target with the current options (after a toggle). */
    async reopen(): Promise<void> {
      if (this.cluster && this.target) await this.open(this.cluster, this.target)
    },

    async stop(): Promise<void> {
      const id = this.streamId
      this.streamId = null
      if (id) {
        if (this.status === 'streaming') this.status = 'ended'
        await api.request('logs.close', { streamId: id })
      }
    },

    async loadComponents(cluster: string): Promise<void> {
      const reply = await api.request('logs.components', { cluster })
      if (reply.ok) {
        this.components = reply.value
        this.componentsError = null
      } else this.componentsError = reply.error
    },
  },
})
