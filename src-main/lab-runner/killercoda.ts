// Importing a Killercoda scenario folder as a KubeLab lab: copy it, add the `kubelab` key
// (id, formatVersion, needs inferred from what the scripts do) and turn legacy Katacoda
// `{{execute}}` into `{{exec}}`. Everything Killercoda wrote stays as it was, so stripping the
// key gives the original scenario back. The result is loaded and validated before it is kept.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { LabFormatError, loadLab } from './load'
import { labScripts, writeImportRecord } from './consent'
import type { Capability, Lab, RawLabIndex } from './types'

export interface ImportResult {
  readonly lab: Lab
  /** Why each inferred need was added (script and what it does). */
  readonly inferred: readonly { need: Capability; because: string }[]
  /** Its shell scripts, relative to `lab.dir`: what the user is asked about. */
  readonly scripts: readonly string[]
}

const RULES: readonly { need: Capability; re: RegExp; what: string }[] = [
  { need: 'runtime', re: /\bkubectl\b[^\n|;&]*\s(exec|logs|attach|port-forward|cp|top)\b/, what: 'uses kubectl exec/logs/attach/port-forward/cp' },
  { need: 'runtime', re: /\bkubectl\b[^\n|;&]*\srun\b[^\n]*\s(-i|--rm|--stdin)\b/, what: 'runs an interactive pod' },
  { need: 'runtime', re: /\b(curl|wget|crictl|docker|ctr|nerdctl)\b/, what: 'makes network requests or talks to the container runtime' },
  { need: 'node-ssh', re: /\b(systemctl|journalctl|ssh|scp|apt-get|apt|service)\s/, what: 'manages node services or packages' },
  { need: 'node-ssh', re: /(>|\btee\b|\bcp\b|\bmv\b|\bsed -i\b)\s*\/(etc|var|opt|usr|root|home)\//, what: 'writes files on the node' },
]

function walk(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}

/** Needs implied by a scenario's background/verify/solution scripts (foreground runs in the learner's shell). */
export function inferNeeds(idx: RawLabIndex, dir: string): { need: Capability; because: string }[] {
  const scripts: string[] = []
  const add = (p: string | undefined): void => void (p && scripts.push(p))
  add(idx.details?.intro?.background)
  for (const s of idx.details?.steps ?? []) {
    add(s.background)
    add(s.verify)
    add(s.kubelab?.solution)
  }
  const found = new Map<Capability, string>()
  for (const rel of scripts) {
    const p = join(dir, rel)
    if (!existsSync(p)) continue
    const text = readFileSync(p, 'utf8')
    for (const r of RULES) if (!found.has(r.need) && r.re.test(text)) found.set(r.need, `${rel} ${r.what}`)
  }
  if (idx.details?.assets && Object.keys(idx.details.assets).length > 0 && !found.has('node-ssh')) found.set('node-ssh', 'assets are copied onto nodes')
  return [...found].map(([need, because]) => ({ need, because }))
}

/**
 * Images the scenario names in its scripts and step texts (`--image=X`, `image: X`), so the
 * runner preloads them offline; the learner's commands in the markdown count too.
 */
export function inferImages(dir: string): string[] {
  const found = new Set<string>()
  for (const f of walk(dir)) {
    if (!/\.(sh|md|ya?ml)$/.test(f)) continue
    const text = readFileSync(f, 'utf8')
    for (const m of text.matchAll(/(?:--image[= ]|\bimage:\s*)["']?([a-z0-9][\w./:@-]*)/g)) found.add(m[1]!)
  }
  return [...found].sort()
}

/** Copies scenario `src` into `destRoot/<id>` as a lab; throws LabFormatError when it does not validate. */
/**
 * Copies a Killercoda scenario into `destRoot`. Its scripts run only once allowed:
 * `approveScripts` (the user saw `scripts` and said yes) or approveImportedScripts later.
 */
export function importKillercoda(src: string, destRoot: string, opts: { id?: string; overwrite?: boolean; approveScripts?: boolean } = {}): ImportResult {
  const from = resolve(src)
  const indexFile = join(from, 'index.json')
  if (!existsSync(indexFile)) throw new Error(`${from} is not a Killercoda scenario: it has no index.json`)
  let idx: RawLabIndex
  try {
    idx = JSON.parse(readFileSync(indexFile, 'utf8')) as RawLabIndex
  } catch (e) {
    throw new LabFormatError([{ file: indexFile, field: '(file)', message: `not valid JSON: ${(e as Error).message}` }])
  }
  const id =
    opts.id ??
    idx.kubelab?.id ??
    basename(from)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
  const dest = join(resolve(destRoot), id)
  if (existsSync(dest)) {
    if (!opts.overwrite) throw new Error(`a lab ${id} is already in ${destRoot}: remove ${dest}, or import with another id`)
    rmSync(dest, { recursive: true, force: true })
  }
  const inferred = idx.kubelab?.needs ? [] : inferNeeds(idx, from)
  cpSync(from, dest, { recursive: true })
  try {
    for (const f of walk(dest))
      if (f.endsWith('.md')) {
        const text = readFileSync(f, 'utf8')
        if (text.includes('{{execute'))
          writeFileSync(
            f,
            text.replace(/\{\{execute( interrupt)?\}\}/g, (_m, i: string | undefined) => `{{exec${i ?? ''}}}`),
          )
      }
    const kubelab = {
      formatVersion: 1,
      ...idx.kubelab,
      id,
      needs: idx.kubelab?.needs ?? inferred.map((i) => i.need),
      images: idx.kubelab?.images ?? inferImages(from),
    }
    writeFileSync(join(dest, 'index.json'), `${JSON.stringify({ ...idx, kubelab }, null, 2)}\n`)
    writeImportRecord(dest, from, opts.approveScripts === true)
    return { lab: loadLab(dest), inferred, scripts: labScripts(dest) }
  } catch (e) {
    rmSync(dest, { recursive: true, force: true })
    throw e
  }
}
