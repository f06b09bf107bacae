// Labs: the catalogue for the selected cluster and the one lab open in the panel. Every action
// goes to the backend's lab runner and keeps its reply (the session as the runner now sees it),
// so what the panel shows is what is on disk: a reload or an app restart shows the same step.
// Errors stay as the contract's error values; long operations collect their log lines.
import { defineStore } from 'pinia'
import type { LabCatalogue, LabCheckOutcome, LabSession, RpcError } from '@contract'
import { api } from '../api'

export type LabBusy = 'start' | 'check' | 'hint' | 'solution' | 'run-solution' | 'reset' | 'open' | null

/** The outcome of the last Check on the step it was pressed on. */
export interface CheckShown {
  outcome: LabCheckOutcome
  step: number
  /** The runner's reason on failure; on pass, what happens next. */
  message: string
}

export interface SolutionShown {
  step: number
  script: string
  ran: { code: number; output: string } | null
}

/** The most recent log lines kept for the progress box (start/reset print a few dozen at most). */
const MAX_LOG = 200

let subscribed = false

export const useLabsStore = defineStore('labs', {
  state: () => ({
    cluster: null as string | null,
    catalogue: null as LabCatalogue | null,
    catalogueLoading: false,
    catalogueError: null as RpcError | null,
    /** The lab open in the panel (started), or null for the catalogue. */
    session: null as LabSession | null,
    /** The lab being started (before its session exists). */
    starting: null as string | null,
    busy: null as LabBusy,
    /** Lines of the running (or last) start/reset/solution, as the runner logs them. */
    log: [] as string[],
    check: null as CheckShown | null,
    /** The runner's answer to Hint when no hint was revealed (how many more checks unlock one). */
    hintNote: null as string | null,
    solution: null as SolutionShown | null,
    /** The last action's error, shown until the next action. */
    error: null as RpcError | null,
  }),
  getters: {
    /** The lab id the panel acts on. */
    labId: (s): string | null => s.session?.lab.id ?? s.starting,
    stepLabel(): string {
      const s = this.session
      if (!s) return ''
      return s.finished ? `Finished · ${s.steps.length} of ${s.steps.length} steps` : `Step ${s.step} of ${s.steps.length}`
    },
  },
  actions: {
    /** Subscribes to backend events once; call before api.ready(). */
    subscribe(): void {
      if (subscribed) return
      subscribed = true
      api.on('labs.log', (l) => {
        if (l.cluster !== this.cluster || l.lab !== this.labId) return
        this.log.push(l.line)
        if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG)
      })
    },
    /** Switches to a cluster: loads its catalogue and reopens the lab it was on (app restart). */
    async show(cluster: string | null): Promise<void> {
      if (cluster !== this.cluster) {
        this.cluster = cluster
        this.session = null
        this.starting = null
        this.clearResults()
        this.catalogue = null
      }
      await this.loadCatalogue()
      if (!cluster || this.session || this.busy) return
      const active = await api.request('labs.active', { cluster })
      // A reply for a cluster the user has left meanwhile is dropped.
      if (this.cluster !== cluster || this.session) return
      if (active.ok && active.value && !active.value.finished) this.session = active.value
    },
    async loadCatalogue(): Promise<void> {
      const cluster = this.cluster
      this.catalogueLoading = true
      const reply = await api.request('labs.catalogue', { cluster })
      if (cluster !== this.cluster) return
      this.catalogueLoading = false
      if (reply.ok) {
        this.catalogue = reply.value
        this.catalogueError = null
      } else this.catalogueError = reply.error
    },
    /** Opens a lab already started on this cluster where the learner left it. */
    async open(lab: string): Promise<void> {
      if (!this.cluster || this.busy) return
      this.clearResults()
      this.busy = 'open'
      const reply = await api.request('labs.session', { cluster: this.cluster, lab })
      this.busy = null
      if (reply.ok) this.session = reply.value
      else this.error = reply.error
    },
    async start(lab: string): Promise<void> {
      if (!this.cluster || this.busy) return
      this.clearResults()
      this.session = null
      this.starting = lab
      this.busy = 'start'
      const reply = await api.request('labs.start', { cluster: this.cluster, lab })
      this.busy = null
      if (reply.ok) {
        this.session = reply.value
        this.starting = null
        void this.loadCatalogue()
      } else this.error = reply.error
    },
    async runCheck(): Promise<void> {
      const s = this.session
      if (!s || this.busy) return
      this.clearResults()
      this.busy = 'check'
      const reply = await api.request('labs.check', { cluster: s.cluster, lab: s.lab.id })
      this.busy = null
      if (!reply.ok) {
        this.error = reply.error
        return
      }
      const r = reply.value
      this.session = r.session
      const message =
        r.outcome !== 'passed'
          ? (r.reason ?? 'Not done yet')
          : r.session.finished
            ? `Step ${r.step} passed. You finished the lab.`
            : `Step ${r.step} passed. On to step ${r.session.step}.`
      this.check = { outcome: r.outcome, step: r.step, message }
      if (r.session.finished) void this.loadCatalogue()
    },
    async hint(): Promise<void> {
      const s = this.session
      if (!s || this.busy) return
      this.error = null
      this.busy = 'hint'
      const reply = await api.request('labs.hint', { cluster: s.cluster, lab: s.lab.id })
      this.busy = null
      if (!reply.ok) {
        this.error = reply.error
        return
      }
      this.session = reply.value.session
      // A revealed hint is now in session.hintsShown; otherwise show the runner's sentence.
      this.hintNote = reply.value.index === null ? reply.value.text : null
    },
    async showSolution(run: boolean): Promise<void> {
      const s = this.session
      if (!s || this.busy) return
      this.error = null
      if (run) this.log = []
      this.busy = run ? 'run-solution' : 'solution'
      const reply = await api.request('labs.solution', { cluster: s.cluster, lab: s.lab.id, run })
      this.busy = null
      if (!reply.ok) {
        this.error = reply.error
        return
      }
      this.session = reply.value.session
      this.solution = { step: s.step, script: reply.value.script, ran: reply.value.ran }
    },
    async reset(): Promise<void> {
      const s = this.session
      if (!s || this.busy) return
      this.clearResults()
      this.busy = 'reset'
      const reply = await api.request('labs.reset', { cluster: s.cluster, lab: s.lab.id })
      this.busy = null
      if (reply.ok) this.session = reply.value
      else this.error = reply.error
    },
    /** Back to the catalogue; the lab's progress stays on disk. */
    close(): void {
      this.session = null
      this.starting = null
      this.clearResults()
      void this.loadCatalogue()
    },
    clearResults(): void {
      this.check = null
      this.hintNote = null
      this.solution = null
      this.error = null
      this.log = []
    },
  },
})
