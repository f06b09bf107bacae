#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/*.bench.ts, one after another (they measure, so
// they never run in parallel). Pass names to run some: `npm run bench -- api store`.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const dir = new URL('.', import.meta.url).pathname
const wanted = process.argv.slice(2)
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all
let failed = 0
for (const f of chosen) {
  console.log(`\n=== ${f}`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    console.error(`benchmark ${f} failed (exit ${r.status})`)
  }
}
process.exit(failed ? 1 : 0)
