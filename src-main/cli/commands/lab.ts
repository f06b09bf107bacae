// `kubelab lab ...`: the lab runner from a terminal. Each call is a fresh process; the
// runner keeps progress in the cluster's folder, so `check` after `start` (or after a reboot)
// continues where the learner was. The lab a cluster is on is remembered (`.active`).
import { ClusterManager } from '../../clusters'
import {
  catalogueRoots,
  findLab,
  formatDuration,
  approveImportedScripts,
  importKillercoda,
  labsProgressDir,
  loadCatalogue,
  managedLabCluster,
  ProgressStore,
  runSummary,
  unmetNeeds,
  LabRunner,
  NeedsNotMetError,
  type Lab,
  type ManagedLabCluster,
} from '../../lab-runner'
import { progressReport } from '../../backend/labs/view'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from '../args'
import type { CliIo, Command } from '../command'
import { usageExitCode } from '../command'
import { projectRoot } from '../project'

const usage = [
  'kubelab lab list [CLUSTER] [--wide]   the catalogue; with CLUSTER, which labs it can run (--wide: and why not)',
  'kubelab lab start CLUSTER LAB         check needs, prepare the cluster, show step 1',
  'kubelab lab check CLUSTER [--lab ID]  verify the current step (exit 0 passed, 1 not yet, 3 could not check)',
  'kubelab lab hint CLUSTER [--lab ID]   the next hint, once enough checks have failed',
  "kubelab lab solution CLUSTER [--lab ID] [--run]   show the step's solution; --run also runs it",
  'kubelab lab reset CLUSTER [--lab ID]  back to the start of the current step',
  'kubelab lab status CLUSTER [--lab ID] where the learner is',
  'kubelab lab stop CLUSTER [--lab ID]   leave the lab: delete what it made, restart what it stopped',
  'kubelab lab progress CLUSTER [--json] every lab run on the cluster: steps, time, checks, hints (--json for teachers)',
  'kubelab lab env CLUSTER               the lab variables as shell exports: eval "$(kubelab lab env CLUSTER)"',
  'kubelab lab import DIR [--id ID] [--overwrite] [--yes]   add a Killercoda scenario to ~/.kubelab/labs; shows its scripts and asks whether they may run (--yes: they may)',
].join('\n')

const flags = { lab: 'string', run: 'boolean', id: 'string', overwrite: 'boolean', json: 'boolean', wide: 'boolean', yes: 'boolean' } as const

export const labCommand: Command = {
  name: 'lab',
  summary: 'Hands-on lab exercises that check themselves',
  usage,
  async run(args, io) {
    const parsed = parseArgs(args, flags)
    if (!parsed.ok) {
      io.err(`kubelab lab: ${parsed.error}\n\nUsage:\n${usage}`)
      return usageExitCode
    }
    const [action, ...pos] = parsed.value.positional
    const f = parsed.value.flags
    const manager = new ClusterManager({ env: io.env })
    const roots = catalogueRoots(projectRoot, manager.home)
    const need = (n: number): boolean => {
      if (pos.length === n) return true
      io.err(`kubelab lab ${action}: expected ${n} argument${n === 1 ? '' : 's'}, got ${pos.length}\n\nUsage:\n${usage}`)
      return false
    }
    let cluster: ManagedLabCluster | undefined
    const runnerFor = async (name: string, labId?: string): Promise<LabRunner> => {
      cluster = await managedLabCluster(manager, name)
      const id = labId ?? f.lab ?? cluster.progress.active()
      if (!id) throw new Error(`no lab started on cluster ${name}: kubelab lab start ${name} LAB (see kubelab lab list)`)
      return new LabRunner(cluster, findLab(roots, id), (l) => io.out(l))
    }
    try {
      switch (action) {
        case 'list':
          if (pos.length > 1) return need(1) ? 0 : usageExitCode
          return await list(io, roots, manager, pos[0], f.wide === true)
        case 'import': {
          if (!need(1)) return usageExitCode
          const r = importKillercoda(pos[0]!, join(manager.home, 'labs'), { id: f.id, overwrite: f.overwrite, approveScripts: f.yes === true })
          io.out(`imported ${r.lab.title} as lab ${r.lab.id} (${r.lab.steps.length} steps) into ${r.lab.dir}`)
          for (const i of r.inferred) io.out(`  needs ${i.need}: ${i.because}`)
          if (r.inferred.length === 0 && r.lab.needs.capabilities.length === 0) io.out('  needs: none beyond the API (runs on simulated clusters too)')
          if (!r.scripts.length) return 0
          io.out(
            `Its ${r.scripts.length} script${r.scripts.length === 1 ? '' : 's'} will run with the cluster's admin credentials: as root on a node, or as you on this computer for simulated clusters:`,
          )
          for (const rel of r.scripts) {
            const lines = readFileSync(join(r.lab.dir, rel), 'utf8').replace(/\n$/, '').split('\n')
            io.out(`  --- ${rel} (${lines.length} line${lines.length === 1 ? '' : 's'})`)
            for (const l of lines.slice(0, 40)) io.out(`  | ${l}`)
            if (lines.length > 40) io.out(`  | … ${lines.length - 40} more lines in ${join(r.lab.dir, rel)}`)
          }
          let allowed = f.yes === true
          if (!allowed && process.stdin.isTTY) {
            const rl = createInterface({ input: process.stdin, output: process.stdout })
            allowed = /^y(es)?$/i.test((await rl.question('Allow these scripts to run? [y/N] ')).trim())
            rl.close()
            if (allowed) approveImportedScripts(r.lab.dir)
          }
          io.out(
            allowed
              ? 'Its scripts may run.'
              : `Its scripts may not run yet: once you have read them, import again with --overwrite --yes (kubelab lab import ${pos[0]} --id ${r.lab.id} --overwrite --yes).`,
          )
          return 0
        }
        case 'start': {
          if (!need(2)) return usageExitCode
          const runner = await runnerFor(pos[0]!, pos[1]!)
          const v = await runner.start()
          io.out(`lab ${v.lab.id} started on ${pos[0]}: ${v.lab.title}`)
          printStep(io, runner.lab, v.progress.step, v.text)
          return 0
        }
        case 'check': {
          if (!need(1)) return usageExitCode
          const runner = await runnerFor(pos[0]!)
          const r = await runner.check()
          if (r.outcome === 'could-not-check') {
            io.err(r.reason ?? 'could not check')
            return 3
          }
          if (r.outcome === 'failed') {
            io.out(`✗ step ${r.step} not done yet (attempt ${r.attempt}): ${r.reason}`)
            if (r.hintAvailable) io.out(`  a hint is available: kubelab lab hint ${pos[0]}`)
            return 1
          }
          io.out(`✓ step ${r.step} passed`)
          const v = runner.view()
          if (r.finished) {
            const s = runSummary(v.progress)
            io.out(
              `lab ${runner.lab.id} finished in ${formatDuration(s.seconds)}: ${s.attempts} check${s.attempts === 1 ? '' : 's'}, ${s.hints} hint${s.hints === 1 ? '' : 's'} used.${v.text ? `\n\n${v.text.trim()}` : ''}`,
            )
          } else printStep(io, runner.lab, v.progress.step, v.text)
          return 0
        }
        case 'hint': {
          if (!need(1)) return usageExitCode
          const h = (await runnerFor(pos[0]!)).hint()
          if (h.checksNeeded)
            io.out(`No hint yet: run kubelab lab check ${pos[0]} ${h.checksNeeded} more time${h.checksNeeded === 1 ? '' : 's'} (failed checks unlock hints).`)
          else io.out(h.index ? `Hint ${h.index}${h.remaining ? ` (${h.remaining} more)` : ''}:\n${h.text}` : h.text)
          return 0
        }
        case 'solution': {
          if (!need(1)) return usageExitCode
          const s = await (await runnerFor(pos[0]!)).solution({ run: f.run })
          io.out(s.script.trimEnd())
          if (s.result) io.out(`(solution ran: exit ${s.result.code}; now run kubelab lab check ${pos[0]})`)
          return 0
        }
        case 'reset': {
          if (!need(1)) return usageExitCode
          const runner = await runnerFor(pos[0]!)
          const v = await runner.reset()
          io.out(`lab ${runner.lab.id} reset to the start of step ${v.progress.step}`)
          printStep(io, runner.lab, v.progress.step, v.text)
          return 0
        }
        case 'stop': {
          if (!need(1)) return usageExitCode
          const runner = await runnerFor(pos[0]!)
          await runner.stop()
          io.out(`lab ${runner.lab.id} stopped: its namespaces and objects are being deleted`)
          return 0
        }
        case 'progress': {
          if (!need(1)) return usageExitCode
          return await progress(io, roots, manager, pos[0]!, f.json === true)
        }
        case 'env': {
          if (!need(1)) return usageExitCode
          const store = new ProgressStore(labsProgressDir(manager.dir(pos[0]!)))
          const id = f.lab ?? store.active()
          const vars = id ? store.read(id)?.vars : undefined
          if (!vars) throw new Error(`no lab started on cluster ${pos[0]}: kubelab lab start ${pos[0]} LAB first`)
          for (const [k, v] of Object.entries(vars)) io.out(`export ${k}='${v.replace(/'/g, "'\\''")}'`)
          return 0
        }
        case 'status': {
          if (!need(1)) return usageExitCode
          const runner = await runnerFor(pos[0]!)
          const p = runner.progress()
          if (f.json) io.out(JSON.stringify(p, null, 2))
          else
            io.out(
              `lab ${p.labId} on ${p.cluster}: ${p.finishedAt ? 'finished' : `step ${p.step} of ${runner.lab.steps.length}`}; passed ${p.completed.join(', ') || 'none'}${p.lastReason ? `; last check: ${p.lastReason}` : ''}`,
            )
          return 0
        }
        default:
          io.err(`kubelab lab: ${action ? `unknown action ${action}` : 'which action?'}\n\nUsage:\n${usage}`)
          return usageExitCode
      }
    } catch (e) {
      io.err(`kubelab lab ${action}: ${e instanceof NeedsNotMetError || e instanceof Error ? e.message : String(e)}`)
      return 1
    } finally {
      cluster?.close()
    }
  },
}

function printStep(io: CliIo, lab: Lab, n: number, text: string): void {
  const step = lab.steps[n - 1]
  if (!step) return
  io.out(`\nStep ${n}/${lab.steps.length}: ${step.title}\n`)
  if (text) io.out(text.trimEnd())
}

/** Every lab run on the cluster: a table, or JSON a teacher can collect (the app's labs.progress). */
async function progress(io: CliIo, roots: string[], manager: ClusterManager, clusterName: string, json: boolean): Promise<number> {
  if (!(await manager.list()).some((c) => c.name === clusterName)) throw new Error(`no cluster named ${clusterName}; see: kubelab list`)
  const labs = loadCatalogue(roots).flatMap((e) => (e.lab ? [e.lab] : []))
  const report = progressReport(clusterName, new ProgressStore(labsProgressDir(manager.dir(clusterName))), labs)
  if (json) {
    io.out(JSON.stringify(report, null, 2))
    return 0
  }
  if (report.labs.length === 0) {
    io.out(`No lab started on cluster ${clusterName} yet: kubelab lab start ${clusterName} LAB`)
    return 0
  }
  const table = [
    ['LAB', 'STEPS', 'STATE', 'TIME', 'CHECKS', 'HINTS'],
    ...report.labs.map((r) => [
      r.labId,
      `${r.completed.length}/${r.steps}`,
      r.finished ? 'finished' : 'in progress',
      formatDuration(r.seconds),
      String(r.attempts),
      String(r.hints),
    ]),
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  for (const r of table) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join(''))
  return 0
}

async function list(io: CliIo, roots: string[], manager: ClusterManager, clusterName: string | undefined, wide: boolean): Promise<number> {
  const entries = loadCatalogue(roots)
  let judge: ((lab: Lab) => string) | undefined
  let cluster: ManagedLabCluster | undefined
  try {
    if (clusterName) {
      cluster = await managedLabCluster(manager, clusterName)
      const first = entries.find((e) => e.lab)?.lab
      if (first) {
        const facts = await new LabRunner(cluster, first).facts()
        judge = (lab) => {
          const unmet = unmetNeeds(lab, facts)
          if (!unmet.length) return 'yes'
          // The reasons are long (what is missing and what would help): only with --wide.
          return wide ? `no: ${unmet.map((u) => `${u.need} (${u.why})`).join('; ')}` : `no: needs ${unmet.map((u) => u.need).join(', ')}`
        }
      }
    }
  } finally {
    cluster?.close()
  }
  const rows = [['ID', 'LEVEL', 'MIN', 'NEEDS', ...(judge ? ['RUNS HERE'] : []), 'TITLE']]
  for (const e of entries) {
    if (!e.lab) {
      io.err(`skipping ${e.dir}: ${e.error}`)
      continue
    }
    const l = e.lab
    const needs =
      [
        ...(l.needs.controlPlanes > 1 ? [`control-planes>=${l.needs.controlPlanes}`] : []),
        ...(l.needs.workers ? [`workers>=${l.needs.workers}`] : []),
        ...l.needs.capabilities,
      ].join(',') || '-'
    rows.push([l.id, l.level, String(l.minutes), needs, ...(judge ? [judge(l)] : []), l.title])
  }
  if (rows.length === 1) io.out(`No labs in ${roots.join(' or ')}.`)
  if (judge && wide) {
    // The full reasons do not fit a column: title first, then why on the next line.
    const short = rows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, r[5]!])
    const widths = short[0]!.map((_, i) => Math.max(...short.map((r) => r[i]!.length)))
    short.forEach((r, n) => {
      io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join(''))
      if (n > 0) io.out(`    runs here: ${rows[n]![4]}`)
    })
    return 0
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join(''))
  if (judge && rows.some((r) => r[4]!.startsWith('no'))) io.out(`\n(why a lab cannot run here: kubelab lab list ${clusterName} --wide)`)
  return 0
}
