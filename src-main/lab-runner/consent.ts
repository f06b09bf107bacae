// Imported scenarios were written for a throwaway VM, but their scripts run with the cluster's
// admin kubeconfig: as root on a node over SSH, or with the user's bash on this computer for
// simulated clusters. So an import records what it brought (`kubelab-import.json`: the source and
// the SHA-256 of every file) and whether the user, shown the scripts, allowed them to run. The
// runner runs a script of an imported lab only when it was allowed and is unchanged since.
// Labs without the record (the shipped catalogue, labs written by hand) run as before.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const IMPORT_RECORD = 'kubelab-import.json'

interface ImportRecord {
  readonly from: string
  readonly approved: boolean
  /** Path relative to the lab folder → SHA-256 (hex) as imported. */
  readonly files: Record<string, string>
}

function walk(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

/** The shell scripts an imported lab brings, relative to its folder (what the user is shown). */
export function labScripts(dir: string): string[] {
  return walk(dir)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => relative(dir, f))
    .sort()
}

/** Records an import; `approved` says whether the user allowed its scripts to run. */
export function writeImportRecord(dir: string, from: string, approved: boolean): void {
  const files: Record<string, string> = {}
  for (const f of walk(dir)) if (relative(dir, f) !== IMPORT_RECORD) files[relative(dir, f)] = sha256(f)
  const record: ImportRecord = { from, approved, files }
  writeFileSync(join(dir, IMPORT_RECORD), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 })
}

/** Allows an imported lab's scripts as they are now (`kubelab lab import … --yes`). */
export function approveImportedScripts(dir: string): void {
  const record = JSON.parse(readFileSync(join(dir, IMPORT_RECORD), 'utf8')) as ImportRecord
  writeImportRecord(dir, record.from, true)
}

export class ScriptNotApprovedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScriptNotApprovedError'
  }
}

/** Throws unless `script` may run: not an imported lab, or allowed at import and unchanged since. */
export function assertScriptApproved(labId: string, dir: string, script: string): void {
  const file = join(dir, IMPORT_RECORD)
  if (!existsSync(file)) return
  const record = JSON.parse(readFileSync(file, 'utf8')) as ImportRecord
  const rel = relative(dir, script)
  if (!record.approved)
    throw new ScriptNotApprovedError(
      `lab ${labId} was imported from ${record.from} without allowing its scripts to run (they run with the cluster's admin credentials); ` +
        `read them in ${dir}, then import it again with: kubelab lab import ${record.from} --id ${labId} --overwrite --yes`,
    )
  if (!existsSync(script) || record.files[rel] !== sha256(script))
    throw new ScriptNotApprovedError(
      `lab ${labId}: ${rel} is not the script that was allowed at import (changed or added since); import the lab again to review it`,
    )
}
