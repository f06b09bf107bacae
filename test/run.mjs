#!/usr/bin/env node
// `npm test`: runs every test layer this machine can run. A layer whose host dependency is
// missing is reported loudly; with KUBELAB_REQUIRE_ALL=1 (CI) a missing layer fails the run.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const requireAll = process.env.KUBELAB_REQUIRE_ALL === '1'
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const which = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0

/** Each layer: its folder, what the host must have for it, and whether it uses host-wide resources (`shared`). */
const layers = [
  { name: 'unit', dir: 'test/unit', needs: [] },
  {
    name: 'integration',
    dir: 'test/integration',
    needs: [
      ['kubectl (/usr/bin/kubectl)', () => existsSync(process.env.KUBECTL ?? '/usr/bin/kubectl')],
      ['etcd (/usr/bin/etcd, Debian etcd-server)', () => existsSync('/usr/bin/etcd')],
      ['kubeclient (Debian ruby-kubeclient)', () => spawnSync('ruby', ['-e', 'require "kubeclient"']).status === 0],
      ['kubetail (Debian kubetail)', () => which('kubetail')],
    ],
  },
  {
    name: 'e2e',
    dir: 'test/e2e',
    shared: true,
    needs: [
      ['root', () => isRoot],
      ['containerd', () => which('containerd')],
      ['sshd', () => existsSync('/usr/sbin/sshd')],
    ],
  },
  { name: 'ui', dir: 'test/ui', shared: true, needs: [['Debian chromium (/usr/bin/chromium)', () => existsSync('/usr/bin/chromium')]] },
  {
    // Real QEMU VMs from a Debian test image built here (test/vm/image). Runs last, in its own
    // vitest run holding the host-wide VM lock for that run only.
    name: 'vm',
    dir: 'test/vm',
    shared: true,
    lock: '/tmp/kubelab-vm.lock',
    needs: [
      ['qemu-system-x86_64', () => which('qemu-system-x86_64')],
      ['root (the image builder installs packages into a chroot)', () => isRoot],
      ...['mmdebstrap', 'qemu-img', 'mkfs.ext4', 'mkfs.vfat', 'mcopy', 'syslinux', 'sfdisk', 'flock'].map((b) => [b, () => which(b)]),
    ],
  },
]

const hasTests = (dir) => {
  const abs = join(root, dir)
  if (!existsSync(abs)) return false
  const walk = (d) => readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.test.ts')))
  return walk(abs)
}

/** KUBELAB_LAYERS=unit,integration,e2e,ui runs only those layers (e.g. everything but vm, to time it). */
const only = process.env.KUBELAB_LAYERS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const run = []
const missing = []
for (const layer of layers) {
  if (only && !only.includes(layer.name)) {
    console.log(`test layer ${layer.name}: not in KUBELAB_LAYERS`)
    continue
  }
  if (!hasTests(layer.dir)) {
    console.log(`test layer ${layer.name}: no tests in ${layer.dir} yet`)
    continue
  }
  const lacking = layer.needs.filter(([, ok]) => !ok()).map(([what]) => what)
  if (lacking.length) {
    missing.push(layer.name)
    console.error(`\n!!! test layer ${layer.name} SKIPPED: this machine lacks ${lacking.join(', ')} (see .ci/run for what to install)\n`)
  } else {
    run.push(layer)
  }
}
if (missing.length && requireAll) {
  console.error(`KUBELAB_REQUIRE_ALL=1: layers ${missing.join(', ')} could not run; failing.`)
  process.exit(1)
}
const filters = process.argv.slice(2)
const t0 = Date.now()
const elapsed = () => `${Math.round((Date.now() - t0) / 1000)} s`

/**
 * Runs `argv` to its end. Its output goes to ours line by line, each line after `tag` when two
 * runs share the terminal; with `quiet` it is kept and handed back instead (printed as one block).
 */
function runAsync(argv, { tag, quiet } = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: root,
      stdio: ['ignore', tag || quiet ? 'pipe' : 'inherit', tag || quiet ? 'pipe' : 'inherit'],
      env: process.env,
    })
    let kept = ''
    const relay = (stream, out) => {
      if (!stream) return
      let partial = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk) => {
        if (quiet) return void (kept += chunk)
        const lines = (partial + chunk).split('\n')
        partial = lines.pop() ?? ''
        for (const l of lines) out.write(`${tag}${l}\n`)
      })
      stream.on('end', () => {
        if (partial && !quiet) out.write(`${tag}${partial}\n`)
      })
    }
    relay(child.stdout, process.stdout)
    relay(child.stderr, process.stderr)
    child.on('error', (e) => resolve({ status: 1, output: `${kept}${e.message}\n` }))
    child.on('close', (code) => resolve({ status: code ?? 1, output: kept }))
  })
}

// Lint (eslint.config.mjs) and the format check run beside the build and the tests, on the whole
// tree; a run limited to some files (`npm test -- FILE`) skips them. Their output is printed when
// they end; a failure fails the run, after the tests have run too.
async function lint() {
  const eslint = join(root, 'node_modules/eslint/bin/eslint.js')
  if (!existsSync(eslint)) {
    console.error('\n!!! lint SKIPPED: ESLint is not installed here (npm install)\n')
    return requireAll ? 1 : 0
  }
  const l = await runAsync([process.execPath, eslint, '--max-warnings=0', '.'], { quiet: true })
  console.log(`lint: eslint . (${elapsed()})\n${l.output}`.trimEnd())
  // One style for the whole tree (.prettierrc): a file that is not formatted fails the run
  // the same way a lint error does; `npm run format` fixes it.
  const f = await runAsync([process.execPath, join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level=warn', '.'], { quiet: true })
  console.log(`format: prettier --check . (${elapsed()})\n${f.output}`.trimEnd())
  if (f.status !== 0) console.error('format: files above are not formatted; run `npm run format`')
  const status = l.status !== 0 ? l.status : f.status
  console.log(status === 0 ? 'lint: clean' : `lint: FAILED (exit ${status}); the tests run anyway`)
  return status
}
if (requireAll && filters.length === 0 && !existsSync(join(root, 'node_modules/eslint/bin/eslint.js'))) {
  console.error('KUBELAB_REQUIRE_ALL=1: lint could not run (ESLint is not installed here); failing.')
  process.exit(1)
}
const linted = filters.length === 0 ? lint() : Promise.resolve(0)

// The UI layer drives `kubelab serve`, which serves the built renderer: build once up front
// so parallel UI test files do not race to rebuild it.
if (run.some((l) => l.name === 'ui')) {
  console.log('building the app (electron-vite) for the UI layer')
  const b = await runAsync([process.execPath, join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'])
  if (b.status !== 0) {
    console.error('the app build failed; the UI layer cannot run')
    process.exit(1)
  }
  console.log(`built (${elapsed()})`)
}
console.log(`running layers: ${run.map((l) => l.name).join(', ')}`)

/** One vitest run; returns its exit status and its counts from the JSON report. */
async function vitestRun(paths, extra, lock, tag) {
  const out = join(mkdtempSync(join(tmpdir(), 'kubelab-test-')), 'results.json')
  const argv = [
    process.execPath,
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    ...paths,
    ...extra,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]
  const r = await runAsync(lock ? ['flock', lock, ...argv] : argv, { tag })
  const counts = { passed: 0, failed: 0, skipped: 0 }
  const failures = []
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'))
    counts.passed = j.numPassedTests
    counts.failed = j.numFailedTests
    counts.skipped = j.numPendingTests
    for (const file of j.testResults ?? []) {
      const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed')
      for (const a of failed) failures.push({ file: file.name, test: a.fullName, message: (a.failureMessages ?? []).join('\n') })
      // A file that fails outside any test (import error, hook timeout) has no failed assertion.
      if (failed.length === 0 && file.status === 'failed') failures.push({ file: file.name, test: '(the file itself)', message: file.message ?? '' })
    }
  }
  rmSync(dirname(out), { recursive: true, force: true })
  console.log(`${tag ?? ''}done: ${paths.join(' ')} (${elapsed()})`)
  return { status: r.status, counts, failures }
}

// Unit and integration (loopback ports and temp folders only) run two files at a time. e2e and
// ui use host-wide resources (network namespaces, iptables, containerd, cgroups, Chromium) and
// also run two files at a time: each file names its own (cluster names, subnets, bridges,
// KUBELAB_HOME, ports picked free), local clusters claim their /24 host-wide, and each file's
// leak check looks only at what carries its names (test/helpers/leaks.ts).
// KUBELAB_SHARED_WORKERS=1 runs them one at a time again.
// One group after the other by default. KUBELAB_TEST_TOGETHER=1 starts them at the same time,
// each line of their output after its group's tag: the e2e and ui group sets the pace (the
// slowest files go first, vitest.config.ts) and unit and integration run beside it one file at a
// time (three test files at once, not four); KUBELAB_TEST_WORKERS sets their workers. Faster,
// but under a heavily loaded machine some e2e files (HA clusters) failed: not the default until
// proven on CI's idle machine.
// A layer with a `lock` (vm) runs alone under that host-wide lock, after both.
const local = run.filter((l) => l.shared !== true).map((l) => l.dir)
const shared = run.filter((l) => l.shared === true && !l.lock).map((l) => l.dir)
const serial = process.env.KUBELAB_TEST_TOGETHER !== '1' || local.length === 0 || shared.length === 0
const groups = filters.length
  ? [{ paths: filters, extra: [], lock: filters.some((f) => f.includes('test/vm')) ? '/tmp/kubelab-vm.lock' : undefined }]
  : [
      { paths: local, extra: [`--maxWorkers=${process.env.KUBELAB_TEST_WORKERS ?? (serial ? 2 : 1)}`] },
      { paths: shared, extra: [`--maxWorkers=${process.env.KUBELAB_SHARED_WORKERS ?? 2}`] },
    ].filter((g) => g.paths.length > 0)
const alone = filters.length ? [] : run.filter((l) => l.lock).map((l) => ({ paths: [l.dir], extra: ['--maxWorkers=1'], lock: l.lock }))
const results = []
if (filters.length || serial) for (const g of groups) results.push(await vitestRun(g.paths, g.extra, g.lock))
else results.push(...(await Promise.all(groups.map((g) => vitestRun(g.paths, g.extra, g.lock, `[${g.paths.map((p) => p.replace('test/', '')).join('+')}] `)))))
for (const g of alone) results.push(await vitestRun(g.paths, g.extra, g.lock))

let status = 0
const total = { passed: 0, failed: 0, skipped: 0 }
const failures = []
for (const r of results) {
  if (r.status !== 0) status = r.status
  failures.push(...r.failures)
  total.passed += r.counts.passed
  total.failed += r.counts.failed
  total.skipped += r.counts.skipped
}
const lintStatus = await linted
if (missing.length) console.error(`\n!!! layers not run on this machine: ${missing.join(', ')}`)
if (lintStatus !== 0) {
  console.error('\n!!! lint failed (see its output above the tests)')
  if (status === 0) status = lintStatus
}
// Repeat what failed at the very end: a long run's log is often read from its tail only.
for (const f of failures) {
  const message = f.message.split('\n').slice(0, 12).join('\n')
  console.error(`\nFAILED ${f.file.replace(root, '')} > ${f.test}\n${message}`)
}
console.log(`\n${total.passed} passed, ${total.failed} failed` + (total.skipped ? `, ${total.skipped} skipped` : '') + ` (${elapsed()})`)
process.exit(status)
