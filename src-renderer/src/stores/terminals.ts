// Terminal tabs and their backend sessions. Output goes straight to the attached xterm (not
// through reactive state: a busy shell must not re-render Vue); state changes are reactive.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import type { TerminalInfo } from '@contract'
import { api } from '../api'
import { OutputBuffer, stateBanner, titleOf, type TabSpec, type TerminalTab } from '../terminals/model'

type Writer = (data: string) => void

let subscribed = false
let nextKey = 1
const writers = new Map<number, Writer>()
const buffer = new OutputBuffer()
/** State changes of sessions whose open reply has not arrived yet (events can overtake replies). */
const earlyStates = new Map<string, { state: TerminalTab['state']; reason: string | null; exitCode: number | null; retryable: boolean }>()
/** Open refusals that answer the same on every try. */
const finalCodes = new Set(['exec_unavailable', 'ssh_unavailable', 'bad_params', 'not_found'])

export const useTerminalsStore = defineStore('terminals', {
  state: () => ({
    tabs: [] as TerminalTab[],
    active: null as number | null,
    /** The size the view last measured, used when opening or reopening a session. */
    size: markRaw({ cols: 100, rows: 30 }),
  }),
  getters: {
    activeTab: (s) => s.tabs.find((t) => t.key === s.active) ?? null,
  },
  actions: {
    subscribe(): void {
      if (subscribed) return
      subscribed = true
      api.on('terminals.output', ({ id, data }) => {
        const tab = this.tabs.find((t) => t.sessionId === id)
        const w = tab ? writers.get(tab.key) : undefined
        if (w) w(data)
        else buffer.push(id, data)
      })
      api.on('terminals.state', ({ id, state, reason, exitCode, retryable }) => {
        const tab = this.tabs.find((t) => t.sessionId === id)
        if (!tab) {
          earlyStates.set(id, { state, reason, exitCode, retryable: retryable ?? true })
          return
        }
        tab.state = state
        tab.reason = reason
        tab.exitCode = exitCode
        tab.retryable = retryable ?? true
        this.write(tab, stateBanner(state, reason, exitCode, tab.retryable))
      })
    },
    /** The xterm view of a tab registers here; buffered output is replayed to it. */
    attach(key: number, writer: Writer): () => void {
      writers.set(key, writer)
      const tab = this.tabs.find((t) => t.key === key)
      if (tab?.sessionId) {
        const pending = buffer.take(tab.sessionId)
        if (pending) writer(pending)
      }
      return () => {
        if (writers.get(key) === writer) writers.delete(key)
      }
    },
    async open(spec: TabSpec): Promise<number> {
      const tab: TerminalTab = {
        key: nextKey++,
        spec,
        title: titleOf(spec),
        sessionId: null,
        state: 'connecting',
        reason: null,
        exitCode: null,
        retryable: true,
      }
      this.tabs.push(tab)
      this.active = tab.key
      await this.connect(tab.key)
      return tab.key
    },
    /** Opens a backend session for the tab (first time or reconnect). */
    async connect(key: number): Promise<void> {
      const tab = this.tabs.find((t) => t.key === key)
      if (!tab) return
      if (tab.sessionId) buffer.drop(tab.sessionId)
      tab.sessionId = null
      tab.state = 'connecting'
      tab.reason = null
      tab.exitCode = null
      tab.retryable = true
      this.write(tab, stateBanner('connecting', null))
      const { cols, rows } = this.size
      const spec = tab.spec
      const reply =
        spec.kind === 'host'
          ? await api.request('terminals.openHost', { cluster: spec.cluster, cols, rows })
          : spec.kind === 'node'
            ? await api.request('terminals.openNode', { cluster: spec.cluster, node: spec.node, cols, rows })
            : await api.request('terminals.openPod', {
                cluster: spec.cluster,
                namespace: spec.namespace,
                pod: spec.pod,
                container: spec.container,
                command: null,
                cols,
                rows,
              })
      if (reply.ok) {
        this.adopt(tab, reply.value)
      } else {
        tab.state = 'closed'
        tab.reason = reply.error.message
        tab.retryable = !finalCodes.has(reply.error.code)
        this.write(tab, stateBanner('closed', reply.error.message, null, tab.retryable))
      }
    },
    adopt(tab: TerminalTab, info: TerminalInfo): void {
      tab.sessionId = info.id
      const early = earlyStates.get(info.id)
      earlyStates.delete(info.id)
      tab.state = early?.state ?? info.state
      tab.reason = early?.reason ?? null
      tab.exitCode = early?.exitCode ?? null
      tab.retryable = early?.retryable ?? true
      const w = writers.get(tab.key)
      const pending = buffer.take(info.id)
      if (w && pending) w(pending)
      else if (pending) buffer.push(info.id, pending)
      if (early) this.write(tab, stateBanner(early.state, early.reason, early.exitCode, early.retryable))
    },
    input(key: number, data: string): void {
      const tab = this.tabs.find((t) => t.key === key)
      if (!tab?.sessionId || tab.state === 'closed') return
      void api.request('terminals.input', { id: tab.sessionId, data })
    },
    resize(key: number, cols: number, rows: number): void {
      this.size = markRaw({ cols, rows })
      const tab = this.tabs.find((t) => t.key === key)
      if (tab?.sessionId && tab.state !== 'closed') void api.request('terminals.resize', { id: tab.sessionId, cols, rows })
    },
    async close(key: number): Promise<void> {
      const i = this.tabs.findIndex((t) => t.key === key)
      if (i < 0) return
      const [tab] = this.tabs.splice(i, 1)
      writers.delete(key)
      if (tab?.sessionId) {
        buffer.drop(tab.sessionId)
        await api.request('terminals.close', { id: tab.sessionId })
      }
      if (this.active === key) this.active = this.tabs[Math.max(0, i - 1)]?.key ?? null
    },
    write(tab: TerminalTab, text: string | null): void {
      if (!text) return
      const w = writers.get(tab.key)
      if (w) w(text)
      else if (tab.sessionId) buffer.push(tab.sessionId, text)
    },
  },
})
