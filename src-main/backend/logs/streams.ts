// Open log streams, by id. A stream has one or more sources (a pod container, every pod of a
// workload, a component file); their whole lines are batched into `logs.data` about every
// 100 ms and the stream ends with one `logs.end` once every source has ended.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { resourceRef } from '../../../src-cluster/client'
import type { KubeObject } from '../../../src-cluster/api/object'
import type { LogData, LogEnd, LogOpenParams, LogStreamInfo } from '../../contract'
import { resourceTypeInfo } from '../../contract'
import type { ClusterConnections } from '../resources/connections'
import { checkComponentFile, streamComponentLog } from './component-log'
import { LineSplitter, prefixLines } from './lines'
import { streamPodLog, type LogFailure, type StreamHandle } from './pod-log'

export interface LogStreamsDeps {
  connections: ClusterConnections
  onData: (data: LogData) => void
  onEnd: (end: LogEnd) => void
  flushIntervalMs?: number
}

interface Open {
  handles: StreamHandle[]
  buffer: string
  timer: ReturnType<typeof setTimeout> | undefined
  closed: boolean
}

type Source = (onText: (t: string) => void, onEnd: (f: LogFailure | null) => void) => StreamHandle

export class LogStreams {
  private readonly open = new Map<string, Open>()

  constructor(private readonly deps: LogStreamsDeps) {}

  get size(): number {
    return this.open.size
  }

  async start(params: LogOpenParams): Promise<LogStreamInfo> {
    const { title, pods, sources } = await this.resolve(params)
    const streamId = randomUUID()
    const s: Open = { handles: [], buffer: '', timer: undefined, closed: false }
    this.open.set(streamId, s)
    // Started after the reply is on its way, so the renderer knows the id before data arrives.
    setTimeout(() => this.run(streamId, s, sources), 0)
    return { streamId, title, pods }
  }

  close(streamId: string): void {
    const s = this.open.get(streamId)
    if (!s) return
    s.closed = true
    clearTimeout(s.timer)
    for (const h of s.handles) h.stop()
    this.open.delete(streamId)
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id)
  }

  private run(streamId: string, s: Open, sources: { name: string | null; source: Source }[]): void {
    if (s.closed) return
    let remaining = sources.length
    const failures: LogFailure[] = []
    const flush = (): void => {
      clearTimeout(s.timer)
      s.timer = undefined
      if (s.buffer === '' || s.closed) return
      const text = s.buffer
      s.buffer = ''
      this.deps.onData({ streamId, text })
    }
    const add = (text: string): void => {
      if (text === '' || s.closed) return
      s.buffer += text
      if (s.timer === undefined) s.timer = setTimeout(flush, this.deps.flushIntervalMs ?? 100)
    }
    if (sources.length === 0) {
      this.deps.onEnd({ streamId, error: { code: 'no_pods', message: 'no pods match this workload right now, so there are no logs to show' } })
      this.open.delete(streamId)
      return
    }
    // With several pods, a refusal is a line in the pane while the others keep going; but when
    // every pod is refused (a simulated cluster serves no logs) the one error says it, once. So
    // refusal lines wait until some pod has given a line.
    let anyText = false
    const held: string[] = []
    for (const { name, source } of sources) {
      const lines = new LineSplitter()
      const emit = (t: string): void => {
        if (t === '') return
        if (!anyText) {
          anyText = true
          for (const h of held.splice(0)) add(h)
        }
        add(name ? prefixLines(t, name) : t)
      }
      s.handles.push(
        source(
          (chunk) => emit(lines.push(chunk)),
          (failure) => {
            emit(lines.end())
            if (failure) {
              failures.push(failure)
              if (sources.length > 1) {
                const line = `[${name}] ${failure.message}\n`
                if (anyText) add(line)
                else held.push(line)
              }
            }
            if (--remaining > 0 || s.closed) return
            const all = failures.length === sources.length && failures[0] ? failures[0] : null
            if (!all) for (const h of held.splice(0)) add(h)
            flush()
            const message =
              all && sources.length > 1 ? `none of the ${sources.length} pods gave logs; for the first the answer was: ${all.message}` : all?.message
            this.deps.onEnd({ streamId, error: all ? { code: all.code, message: message ?? all.message } : null })
            this.open.delete(streamId)
          },
        ),
      )
    }
  }

  private async resolve(p: LogOpenParams): Promise<{ title: string; pods: string[]; sources: { name: string | null; source: Source }[] }> {
    const t = p.target
    if (t.kind === 'component') {
      const path = checkComponentFile(join(this.deps.connections.clusterDir(p.cluster), 'logs'), t.file)
      return {
        title: t.file,
        pods: [],
        sources: [{ name: null, source: (onText, onEnd) => streamComponentLog(path, { follow: p.follow, tailLines: p.tailLines }, onText, onEnd) }],
      }
    }
    const client = this.deps.connections.client(p.cluster)
    const podSource =
      (namespace: string, pod: string, container: string | null): Source =>
      (onText, onEnd) =>
        streamPodLog(
          client.config,
          { namespace, pod, container, follow: p.follow, timestamps: p.timestamps, previous: p.previous, tailLines: p.tailLines },
          onText,
          onEnd,
        )
    if (t.kind === 'pod') {
      // No container named: the one kubectl logs would pick (the API server asks for a name when
      // a pod has several). A pod that cannot be read is left to the log request to explain.
      const container = t.container ?? defaultContainer(await client.get<PodLike>(resourceRef('v1', 'pods'), t.namespace, t.name).catch(() => undefined))
      return {
        title: `${t.namespace}/${t.name}${container ? ` (${container})` : ''}`,
        pods: [],
        sources: [{ name: null, source: podSource(t.namespace, t.name, container) }],
      }
    }
    const info = resourceTypeInfo(t.type)
    if (!info || info.section !== 'workloads' || info.type === 'pods')
      throw new Error(`logs of all pods need a workload (deployment, statefulset, ...), not ${t.type}`)
    const owner = await client.get<KubeObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } }>(
      resourceRef(info.apiVersion, info.type),
      t.namespace,
      t.name,
    )
    if (!owner) throw new Error(`${info.kind} ${t.namespace}/${t.name} does not exist (any more)`)
    const labels = owner.spec?.selector?.matchLabels ?? {}
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    if (!selector) throw new Error(`${info.kind} ${t.name} has no matchLabels selector to find its pods by`)
    const items = (await client.list<PodLike>(resourceRef('v1', 'pods'), { namespace: t.namespace, labelSelector: selector })).items.sort((a, b) =>
      String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    )
    const pods = items.map((o) => String(o.metadata?.name))
    return {
      title: `${info.kind} ${t.namespace}/${t.name} (${pods.length} pod${pods.length === 1 ? '' : 's'})`,
      pods,
      sources: items.map((o) => ({ name: String(o.metadata?.name), source: podSource(t.namespace, String(o.metadata?.name), defaultContainer(o)) })),
    }
  }
}

type PodLike = KubeObject & { spec?: { containers?: { name: string }[] } }

/** kubectl's choice: the kubectl.kubernetes.io/default-container annotation, else the first container. */
export function defaultContainer(pod: PodLike | undefined): string | null {
  const names = (pod?.spec?.containers ?? []).map((c) => c.name)
  const annotated = pod?.metadata?.annotations?.['kubectl.kubernetes.io/default-container']
  if (annotated && names.includes(annotated)) return annotated
  return names[0] ?? null
}
