// Contract for hands-on labs: the catalogue judged against one cluster, and a started lab's
// session (step text, Check, Hint, Solution, Reset). The lab runner keeps progress on disk, so
// every reply carries the session as the runner now sees it. Free of Node and DOM imports.

export type LabLevelName = 'beginner' | 'intermediate' | 'advanced'

/** A need the cluster cannot meet, with why and what would help. */
export interface LabUnmetNeed {
  need: string
  why: string
}

/** Where the learner is in a started lab (from the runner's ProgressStore). */
export interface LabProgressSummary {
  /** Current step, 1-based; steps + 1 once finished. */
  step: number
  steps: number
  completed: number[]
  finished: boolean
  /** ISO timestamp of the last change. */
  updatedAt: string
}

/** One lab of the catalogue, as the catalogue card shows it. */
export interface LabCard {
  id: string
  title: string
  /** What the lab teaches, in one sentence (the lab's description). */
  concept: string
  level: LabLevelName
  minutes: number
  steps: number
  /** Needs in the lab's own words (`workers>=2`, `runtime`, ...); empty when the API alone suffices. */
  needs: string[]
  /** Judged against the chosen cluster; null when no cluster was given or it could not be read. */
  unmet: LabUnmetNeed[] | null
  /** Progress on the chosen cluster; null when never started there. */
  progress: LabProgressSummary | null
}

/** A lab folder that does not load, with the loader's message. */
export interface BrokenLab {
  dir: string
  problem: string
}

export interface LabCatalogue {
  cluster: string | null
  labs: LabCard[]
  broken: BrokenLab[]
  /** Why the cluster's needs could not be judged (not running, unreachable); null when they were. */
  clusterProblem: string | null
  /** The lab the runner last started on this cluster, if any. */
  active: string | null
}

export interface LabStepInfo {
  number: number
  title: string
  hasSolution: boolean
  hints: number
}

/** A started lab on one cluster, as the lab panel shows it. */
export interface LabSession {
  cluster: string
  lab: LabCard
  steps: LabStepInfo[]
  /** Current step, 1-based; steps.length + 1 once finished. */
  step: number
  completed: number[]
  finished: boolean
  /** Markdown of the current step (or of the finish page once finished). */
  text: string
  /** Markdown of the lab's intro, shown above step 1. */
  intro: string
  /** Checks that failed on the current step, and how many unlock a hint. */
  failures: number
  hintAfter: number
  /** Hints already revealed on this step (their text, in order). */
  hintsShown: string[]
  hintAvailable: boolean
  /** The reason of the last failed check on this step; null when none. */
  lastReason: string | null
  /** How the run went, once finished: shown on the finish page. */
  result?: LabRunResult | null
}

/** A finished run: start → finish time, checks pressed and hints revealed over all steps. */
export interface LabRunResult {
  seconds: number
  attempts: number
  hints: number
  startedAt: string
  finishedAt: string
}

/** One lab's run on a cluster, for a teacher's export (`labs.progress`, `kubelab lab progress --json`). */
export interface LabProgressExport {
  labId: string
  title: string
  steps: number
  completed: number[]
  finished: boolean
  startedAt: string
  finishedAt: string | null
  /** Start to finish; start to now while unfinished. */
  seconds: number
  attempts: number
  hints: number
}

export type LabCheckOutcome = 'passed' | 'failed' | 'could-not-check'

export interface LabCheckReply {
  outcome: LabCheckOutcome
  step: number
  /** Why it failed or could not be checked; null on pass. */
  reason: string | null
  attempt: number
  session: LabSession
}

export interface LabHintReply {
  /** The hint (markdown), or a sentence saying how many failed checks unlock one. */
  text: string
  /** 1-based number of the hint revealed; null when none was revealed. */
  index: number | null
  remaining: number
  session: LabSession
}

export interface LabSolutionReply {
  script: string
  /** Set when the solution was run: its exit code and output. */
  ran: { code: number; output: string } | null
  session: LabSession
}

export interface LabCatalogueParams {
  cluster: string | null
}

export interface LabRef {
  cluster: string
  lab: string
}

export interface LabSolutionParams extends LabRef {
  run: boolean
}

export interface LabClusterRef {
  cluster: string
}

/** One line of a lab's long operation (start, reset, solution run), sent as it happens. */
export interface LabLogLine {
  cluster: string
  lab: string
  /** start | reset | check | solution */
  operation: string
  line: string
}

export interface LabRequests {
  /** The catalogue; with a cluster, whether it meets each lab's needs and why not. */
  'labs.catalogue': { params: LabCatalogueParams; result: LabCatalogue }
  /**
   * Checks needs, prepares the cluster and opens step 1 (runs background scripts: lines arrive
   * as `labs.log`). Fails with `needs_not_met` listing each need and why.
   */
  'labs.start': { params: LabRef; result: LabSession }
  /** The saved session of a started lab (survives an app restart); `lab_not_started` otherwise. */
  'labs.session': { params: LabRef; result: LabSession }
  /** The session of the lab last started on the cluster, or null. */
  'labs.active': { params: LabClusterRef; result: LabSession | null }
  'labs.check': { params: LabRef; result: LabCheckReply }
  'labs.hint': { params: LabRef; result: LabHintReply }
  'labs.solution': { params: LabSolutionParams; result: LabSolutionReply }
  /** Back to the current step's starting state. */
  'labs.reset': { params: LabRef; result: LabSession }
  /** Every lab run on the cluster (time, checks, hints), for a teacher: read from disk. */
  'labs.progress': { params: LabClusterRef; result: LabProgressReport }
}

export interface LabProgressReport {
  cluster: string
  exportedAt: string
  labs: LabProgressExport[]
}

export interface LabEvents {
  'labs.log': LabLogLine
}

export const labRequestTable = {
  'labs.catalogue': true,
  'labs.start': true,
  'labs.session': true,
  'labs.active': true,
  'labs.check': true,
  'labs.hint': true,
  'labs.solution': true,
  'labs.reset': true,
  'labs.progress': true,
} as const satisfies Record<keyof LabRequests, true>

export const labEventTable = {
  'labs.log': true,
} as const satisfies Record<keyof LabEvents, true>
