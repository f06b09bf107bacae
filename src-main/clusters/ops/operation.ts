// One long-running cluster action as the UI follows it: a fixed list of steps, each with its
// state, start/end time and the tail of its output. Pure bookkeeping (no I/O) so the rules of
// step transitions are tested without a cluster.
import type { ClusterOperation, CreateClusterParams, OperationKind, OperationLine, OperationStep } from '../../contract'

export interface StepDef {
  id: string
  title: string
}

/** The steps of each kind, in order. Ids match the cluster manager's phases where they exist. */
export const stepsOf: Record<OperationKind, readonly StepDef[]> = {
  create: [
    { id: 'preflight', title: 'Preflight checks' },
    { id: 'machines', title: 'Prepare the node machines' },
    { id: 'control-plane', title: 'Start the control plane' },
    { id: 'nodes', title: 'Wait for every node to be Ready' },
  ],
  start: [
    { id: 'control-plane', title: 'Start the control plane' },
    { id: 'nodes', title: 'Wait for every node to be Ready' },
  ],
  stop: [{ id: 'stop', title: 'Stop the nodes and the control plane' }],
  delete: [{ id: 'delete', title: 'Stop every process and remove the files' }],
}

/** Lines kept per step in snapshots; the full output goes to the cluster's log folder. */
export const maxLinesPerStep = 200

export interface OperationSink {
  snapshot(op: ClusterOperation): void
  line(line: OperationLine): void
}

export class Operation {
  private readonly op: ClusterOperation

  constructor(
    id: string,
    cluster: string,
    kind: OperationKind,
    params: CreateClusterParams | null,
    private readonly sink: OperationSink,
    private readonly now: () => number = Date.now,
  ) {
    this.op = {
      id,
      cluster,
      kind,
      state: 'running',
      startedAt: now(),
      endedAt: null,
      steps: stepsOf[kind].map((s) => ({ ...s, state: 'pending', startedAt: null, endedAt: null, lines: [] })),
      error: null,
      hints: [],
      params,
    }
  }

  get id(): string {
    return this.op.id
  }
  get cluster(): string {
    return this.op.cluster
  }
  get kind(): OperationKind {
    return this.op.kind
  }
  get running(): boolean {
    return this.op.state === 'running'
  }
  get params(): CreateClusterParams | null {
    return this.op.params
  }

  /** The running step, else the last one that ran. */
  current(): OperationStep | undefined {
    const ran = this.op.steps.filter((s) => s.state !== 'pending')
    return ran[ran.length - 1]
  }

  /**
   * Begins step `id`: earlier running steps are done. A phase the operation does not list (the
   * manager reporting `machines` during a plain start, say) is ignored rather than invented.
   */
  begin(id: string): void {
    if (!this.running) return
    const index = this.op.steps.findIndex((s) => s.id === id)
    if (index < 0) return
    const at = this.now()
    for (let i = 0; i < index; i++) {
      const s = this.op.steps[i]!
      if (s.state === 'running' || s.state === 'pending') this.finishStep(s, 'done', at)
    }
    const step = this.op.steps[index]!
    if (step.state === 'running') return
    step.state = 'running'
    step.startedAt = at
    step.endedAt = null
    this.sink.snapshot(this.snapshot())
  }

  /** Appends an output line to the running step (the first step if none has begun). */
  line(text: string): void {
    let step = this.op.steps.find((s) => s.state === 'running')
    if (!step && this.running) {
      this.begin(this.op.steps[0]!.id)
      step = this.op.steps[0]!
    }
    if (!step) step = this.current() ?? this.op.steps[0]!
    step.lines.push(text)
    if (step.lines.length > maxLinesPerStep) step.lines.splice(0, step.lines.length - maxLinesPerStep)
    this.sink.line({ operationId: this.op.id, stepId: step.id, line: text })
  }

  succeed(): void {
    if (!this.running) return
    const at = this.now()
    for (const s of this.op.steps) if (s.state === 'running' || s.state === 'pending') this.finishStep(s, 'done', at)
    this.end('succeeded', at)
  }

  /** The running step (or the next pending one) fails with `message`; later steps stay pending. */
  fail(message: string, hints: string[]): void {
    if (!this.running) return
    const at = this.now()
    const step = this.op.steps.find((s) => s.state === 'running') ?? this.op.steps.find((s) => s.state === 'pending')
    if (step) {
      if (step.startedAt === null) step.startedAt = at
      this.finishStep(step, 'failed', at)
    }
    this.op.error = message
    this.op.hints = hints
    this.end('failed', at)
  }

  cancel(message: string): void {
    if (!this.running) return
    const at = this.now()
    for (const s of this.op.steps) if (s.state === 'running') this.finishStep(s, 'cancelled', at)
    this.op.error = message
    this.end('cancelled', at)
  }

  /** A deep copy: callers (transports, stores) must never share our arrays. */
  snapshot(): ClusterOperation {
    return {
      ...this.op,
      steps: this.op.steps.map((s) => ({ ...s, lines: [...s.lines] })),
      hints: [...this.op.hints],
      params: this.op.params ? { ...this.op.params } : null,
    }
  }

  private finishStep(step: OperationStep, state: OperationStep['state'], at: number): void {
    step.state = state
    step.endedAt = at
  }

  private end(state: ClusterOperation['state'], at: number): void {
    this.op.state = state
    this.op.endedAt = at
    this.sink.snapshot(this.snapshot())
  }
}
