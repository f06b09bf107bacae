// Reading a lab folder: parse index.json, check every field and referenced file, and fill in
// defaults. All problems are collected first so an author fixes them in one pass; each names
// the file and the field (`labs/x/index.json: details.steps[0].verify: ...`).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, isAbsolute, join, normalize, resolve } from 'node:path'
import {
  CAPABILITIES,
  type Capability,
  type HostProbe,
  type Lab,
  type LabLevel,
  type LabStep,
  type RawAsset,
  type RawLabExtras,
  type RawLabIndex,
  type RawStep,
} from './types'

export interface LabIssue {
  readonly file: string
  readonly field: string
  readonly message: string
}

export class LabFormatError extends Error {
  constructor(readonly issues: readonly LabIssue[]) {
    super(issues.map((i) => `${i.file}: ${i.field}: ${i.message}`).join('\n'))
    this.name = 'LabFormatError'
  }
}

const ID_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const LEVELS: readonly LabLevel[] = ['beginner', 'intermediate', 'advanced']
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Workers implied by a Killercoda environment when the lab does not say (LABS.md §1.3). */
export function workersForImageId(imageid: string | undefined): number {
  if (!imageid) return 0
  const m = /-(\d+)nodes?$/.exec(imageid)
  return m ? Math.max(0, Number(m[1]) - 1) : 0
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function loadLab(dir: string): Lab {
  const root = resolve(dir)
  const file = join(root, 'index.json')
  if (!existsSync(file))
    throw new LabFormatError([{ file, field: '(file)', message: 'missing: a lab folder needs an index.json (Killercoda scenario format)' }])
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new LabFormatError([{ file, field: '(file)', message: `not valid JSON: ${(e as Error).message}` }])
  }
  const issues: LabIssue[] = []
  const lab = validateIndex(root, raw, (field, message) => issues.push({ file, field, message }))
  if (issues.length > 0 || !lab) throw new LabFormatError(issues)
  return lab
}

type Report = (field: string, message: string) => void

/** Checks one index.json value; returns the Lab when nothing was reported. */
export function validateIndex(root: string, raw: unknown, report: Report): Lab | undefined {
  if (!isObj(raw)) {
    report('(root)', 'must be a JSON object')
    return undefined
  }
  const idx = raw as RawLabIndex
  const str = (v: unknown, field: string, required: boolean): string | undefined => {
    if (v === undefined) {
      if (required) report(field, 'is required')
      return undefined
    }
    if (typeof v !== 'string' || v.trim() === '') {
      report(field, `must be a non-empty string, got ${JSON.stringify(v)}`)
      return undefined
    }
    return v
  }
  // A referenced file must exist inside the lab folder.
  const ref = (v: unknown, field: string, required = false): string | undefined => {
    const rel = str(v, field, required)
    if (rel === undefined) return undefined
    if (isAbsolute(rel) || normalize(rel).startsWith('..')) {
      report(field, `${rel} must be a path inside the lab folder`)
      return undefined
    }
    const abs = join(root, rel)
    if (!existsSync(abs) || !statSync(abs).isFile()) {
      report(field, `file ${rel} does not exist in ${root}`)
      return undefined
    }
    return abs
  }
  const num = (v: unknown, field: string, min: number, dflt: number): number => {
    if (v === undefined) return dflt
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      report(field, `must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`)
      return dflt
    }
    return v
  }

  const title = str(idx.title, 'title', true) ?? ''
  const details = idx.details
  if (!isObj(details)) {
    report('details', 'is required: an object with intro, steps and finish')
    return undefined
  }
  if (idx.kubelab !== undefined && !isObj(idx.kubelab)) report('kubelab', 'must be an object')
  const ext: RawLabExtras = isObj(idx.kubelab) ? idx.kubelab : {}
  const id = ext.id ?? basename(root)
  if (typeof id !== 'string' || !ID_RE.test(id))
    report('kubelab.id', `${JSON.stringify(id)} is not a valid lab id: use lowercase letters, digits and '-' (it names the progress file)`)
  if (ext.formatVersion !== undefined && ext.formatVersion !== 1)
    report('kubelab.formatVersion', `version ${JSON.stringify(ext.formatVersion)} is not supported by this KubeLab: only 1`)
  const level: LabLevel = LEVELS.includes(ext.level ?? 'beginner') ? (ext.level ?? 'beginner') : 'beginner'
  if (!LEVELS.includes(ext.level ?? 'beginner')) report('kubelab.level', `must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(ext.level)}`)
  const minutes = num(ext.minutes, 'kubelab.minutes', 1, 10)
  const imageid = idx.backend?.imageid
  const workers = num(ext.nodes?.workers, 'kubelab.nodes.workers', 0, workersForImageId(imageid))
  const controlPlanes = num(ext.nodes?.controlPlanes, 'kubelab.nodes.controlPlanes', 1, 1)
  const needs: Capability[] = []
  if (ext.needs !== undefined && !Array.isArray(ext.needs)) report('kubelab.needs', 'must be an array of capability tags')
  for (const [i, n] of (Array.isArray(ext.needs) ? ext.needs : []).entries()) {
    if ((CAPABILITIES as readonly string[]).includes(n)) needs.push(n as Capability)
    else report(`kubelab.needs[${i}]`, `unknown capability ${JSON.stringify(n)}: use ${CAPABILITIES.join(', ')} (workers go in kubelab.nodes.workers)`)
  }
  const images: string[] = []
  for (const [i, im] of (Array.isArray(ext.images) ? ext.images : []).entries()) {
    if (typeof im === 'string' && /^[\w./:@-]+$/.test(im)) images.push(im)
    else report(`kubelab.images[${i}]`, `${JSON.stringify(im)} is not an image reference like nginx:1.27`)
  }
  const namespaces: string[] = []
  for (const [i, ns] of (Array.isArray(ext.namespaces) ? ext.namespaces : []).entries()) {
    if (typeof ns === 'string' && DNS_LABEL.test(ns) && ns.length <= 63) namespaces.push(ns)
    else report(`kubelab.namespaces[${i}]`, `${JSON.stringify(ns)} is not a valid namespace name`)
  }
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    if (namespaces.includes(ns)) report('kubelab.namespaces', `${ns} is a system namespace: a lab cannot own it (reset would delete it)`)
  const cleanupOn = ext.cleanupOn ?? 'cp'
  if (typeof cleanupOn !== 'string' || !NODE_ALIAS.test(cleanupOn))
    report('kubelab.cleanupOn', `must be cp (cp2, cp3 on a cluster with several control planes), w1, w2, ..., got ${JSON.stringify(cleanupOn)}`)
  const setupTimeoutSeconds = num(ext.setupTimeoutSeconds, 'kubelab.setupTimeoutSeconds', 1, 60)

  const intro = isObj(details.intro) ? details.intro : {}
  const stepsRaw = details.steps
  if (!Array.isArray(stepsRaw) || stepsRaw.length === 0) report('details.steps', 'must be a non-empty array of steps')
  const steps: LabStep[] = []
  for (const [i, s] of (Array.isArray(stepsRaw) ? stepsRaw : []).entries()) {
    const step = validateStep(s, `details.steps[${i}]`, i + 1, { ref, str, num, report })
    if (step) steps.push(step)
  }
  const assets: Record<string, RawAsset[]> = {}
  if (details.assets !== undefined) {
    if (!isObj(details.assets)) report('details.assets', 'must map host names (host01, ...) to lists of files')
    else
      for (const [host, list] of Object.entries(details.assets)) {
        if (!/^host\d\d$/.test(host)) report(`details.assets.${host}`, 'host keys are host01 (the control plane), host02 (first worker), ...')
        if (!Array.isArray(list)) {
          report(`details.assets.${host}`, 'must be a list of { file, target }')
          continue
        }
        assets[host] = []
        for (const [j, a] of list.entries()) {
          const f = `details.assets.${host}[${j}]`
          if (!isObj(a) || typeof a.file !== 'string' || typeof a.target !== 'string') report(f, 'needs string fields file and target')
          else assets[host]!.push(a as unknown as RawAsset)
        }
      }
  }
  return {
    id: typeof id === 'string' ? id : basename(root),
    dir: root,
    title,
    description: typeof idx.description === 'string' ? idx.description : '',
    level,
    minutes,
    needs: { workers, controlPlanes, capabilities: needs, images },
    namespaces,
    setupTimeoutSeconds,
    cleanup: ref(ext.cleanup, 'kubelab.cleanup'),
    cleanupOn: typeof cleanupOn === 'string' ? cleanupOn : 'cp',
    intro: {
      text: ref(intro.text, 'details.intro.text'),
      background: ref(intro.background, 'details.intro.background'),
      foreground: ref(intro.foreground, 'details.intro.foreground'),
    },
    steps,
    finish: { text: ref(isObj(details.finish) ? details.finish.text : undefined, 'details.finish.text') },
    assets,
    imageid: typeof imageid === 'string' ? imageid : undefined,
  }
}

interface StepTools {
  ref(v: unknown, field: string, required?: boolean): string | undefined
  str(v: unknown, field: string, required: boolean): string | undefined
  num(v: unknown, field: string, min: number, dflt: number): number
  report: Report
}

function validateStep(s: unknown, f: string, number: number, t: StepTools): LabStep | undefined {
  if (!isObj(s)) {
    t.report(f, 'must be an object with title, text and verify')
    return undefined
  }
  const step = s as RawStep
  const x = step.kubelab ?? {}
  if (!isObj(x)) t.report(`${f}.kubelab`, 'must be an object')
  const hints: string[] = []
  if (x.hints !== undefined && !Array.isArray(x.hints)) t.report(`${f}.kubelab.hints`, 'must be an array of markdown files')
  for (const [i, h] of (Array.isArray(x.hints) ? x.hints : []).entries()) {
    const p = t.ref(h, `${f}.kubelab.hints[${i}]`, true)
    if (p) hints.push(p)
  }
  const nodeChecks: Record<string, string> = {}
  if (x.nodeChecks !== undefined && !isObj(x.nodeChecks)) t.report(`${f}.kubelab.nodeChecks`, 'must map node names (cp, w1, ...) to scripts')
  for (const [node, script] of Object.entries(isObj(x.nodeChecks) ? x.nodeChecks : {})) {
    if (!NODE_ALIAS.test(node)) t.report(`${f}.kubelab.nodeChecks.${node}`, 'node names are cp, w1, w2, ...')
    const p = t.ref(script, `${f}.kubelab.nodeChecks.${node}`, true)
    if (p) nodeChecks[node] = p
  }
  const hostProbes: HostProbe[] = []
  for (const [i, p] of (Array.isArray(x.hostProbes) ? x.hostProbes : []).entries()) {
    const pf = `${f}.kubelab.hostProbes[${i}]`
    if (!isObj(p) || typeof p.node !== 'string' || !NODE_ALIAS.test(p.node)) t.report(`${pf}.node`, 'must be a node name: cp, w1, w2, ...')
    else if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
      t.report(`${pf}.port`, `must be a TCP port, got ${JSON.stringify(p.port)}`)
    else
      hostProbes.push({
        node: p.node,
        port: p.port,
        path: typeof p.path === 'string' ? p.path : '/',
        expectStatus: typeof p.expectStatus === 'number' ? p.expectStatus : 200,
      })
  }
  const runOn = x.runOn ?? 'cp'
  if (typeof runOn !== 'string' || !NODE_ALIAS.test(runOn))
    t.report(`${f}.kubelab.runOn`, `must be cp (cp2, cp3 on a cluster with several control planes), w1, w2, ..., got ${JSON.stringify(runOn)}`)
  const verify = t.ref(step.verify, `${f}.verify`)
  if (!verify) if (step.verify === undefined) t.report(`${f}.verify`, 'is required: a script that exits 0 when the step is done')
  return {
    number,
    title: t.str(step.title, `${f}.title`, true) ?? `Step ${number}`,
    text: t.ref(step.text, `${f}.text`),
    background: t.ref(step.background, `${f}.background`),
    foreground: t.ref(step.foreground, `${f}.foreground`),
    verify,
    solution: t.ref(x.solution, `${f}.kubelab.solution`),
    hints,
    hintAfter: t.num(x.hintAfter, `${f}.kubelab.hintAfter`, 0, 2),
    timeoutSeconds: t.num(x.timeoutSeconds, `${f}.kubelab.timeoutSeconds`, 1, 30),
    runOn: typeof runOn === 'string' ? runOn : 'cp',
    nodeChecks,
    hostProbes,
    failureReason: t.str(x.failureReason, `${f}.kubelab.failureReason`, false),
  }
}

const NODE_ALIAS = /^(cp|cp[2-9]|w[1-9]\d*)$/

export interface CatalogueEntry {
  readonly dir: string
  readonly lab?: Lab
  readonly error?: string
}

/** Every lab folder (one holding index.json) directly under each root; broken ones carry their error. */
export function loadCatalogue(roots: readonly string[]): CatalogueEntry[] {
  const out: CatalogueEntry[] = []
  for (const root of roots) {
    if (!existsSync(root)) continue
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name)
      if (!existsSync(join(dir, 'index.json'))) continue
      try {
        out.push({ dir, lab: loadLab(dir) })
      } catch (e) {
        out.push({ dir, error: (e as Error).message })
      }
    }
  }
  return out
}
