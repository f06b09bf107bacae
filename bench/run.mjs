#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/*.bench.ts, one after another (they measure, so
// they never run in parallel). Pass names to run some: `npm run bench -- api store`.
// SIGINT/SIGTERM/SIGHUP (Ctrl-C) go to the running benchmark, which cleans up what it made
// (bench/lib/cleanup.ts); no further benchmark starts, and this exits once it has.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const dir = new URL('.', import.meta.url).pathname
const wanted = process.argv.slice(2)
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all
let failed = 0
let child
let stoppedBy
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stoppedBy = signal
    // A Ctrl-C reaches the benchmark too (same process group); a kill of this process alone does not.
    child?.kill(signal)
  })
}
for (const f of chosen) {
  if (stoppedBy) break
  console.log(`\n=== ${f}`)
  child = spawn(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit' })
  const status = await new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  child = undefined
  if (status !== 0) {
    failed++
    console.error(`benchmark ${f} failed (exit ${status})`)
  }
}
if (stoppedBy) console.error(`npm run bench: stopped by ${stoppedBy}`)
process.exit(stoppedBy ? 128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[stoppedBy] : failed ? 1 : 0)
