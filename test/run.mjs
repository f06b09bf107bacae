#!/usr/bin/env node
// `npm test`: runs every test layer this machine can run. A layer whose host dependency is
// missing is reported loudly; with KUBELAB_REQUIRE_ALL=1 (CI) a missing layer fails the run.
import { spawnSync } from 'node:child_process'
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

const run = []
const missing = []
for (const layer of layers) {
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
// The UI layer drives `kubelab serve`, which serves the built renderer: build once up front
// so parallel UI test files do not race to rebuild it.
if (run.some((l) => l.name === 'ui')) {
  console.log('building the app (electron-vite) for the UI layer')
  const b = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
  })
  if (b.status !== 0) {
    console.error('the app build failed; the UI layer cannot run')
    process.exit(1)
  }
}
const filters = process.argv.slice(2)

// Lint (eslint.config.mjs) before the layers, on the whole tree; a run limited to some files
// (`npm test -- FILE`) skips it. Its failure fails the run, after the tests have run too.
let lintStatus = 0
if (filters.length === 0) {
  const eslint = join(root, 'node_modules/eslint/bin/eslint.js')
  if (!existsSync(eslint)) {
    console.error('\n!!! lint SKIPPED: ESLint is not installed here (npm install)\n')
    if (requireAll) {
      console.error('KUBELAB_REQUIRE_ALL=1: lint could not run; failing.')
      process.exit(1)
    }
  } else {
    console.log('lint: eslint .')
    const l = spawnSync(process.execPath, [eslint, '--max-warnings=0', '.'], { cwd: root, stdio: 'inherit', env: process.env })
    lintStatus = l.status ?? 1
    // One style for the whole tree (.prettierrc): a file that is not formatted fails the run
    // the same way a lint error does; `npm run format` fixes it.
    console.log('format: prettier --check .')
    const f = spawnSync(process.execPath, [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level=warn', '.'], {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    })
    if (f.status !== 0) {
      console.error('format: files above are not formatted; run `npm run format`')
      if (lintStatus === 0) lintStatus = f.status ?? 1
    }
    console.log(lintStatus === 0 ? 'lint: clean' : `lint: FAILED (exit ${lintStatus}); the tests run anyway`)
  }
}
console.log(`running layers: ${run.map((l) => l.name).join(', ')}`)

/** One vitest run; returns its exit status and its counts from the JSON report. */
function vitestRun(paths, extra, lock) {
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
  const r = lock
    ? spawnSync('flock', [lock, ...argv], { cwd: root, stdio: 'inherit', env: process.env })
    : spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: process.env })
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
  return { status: r.status ?? 1, counts, failures }
}

// Unit and integration (loopback ports and temp folders only) run two files at a time. e2e and
// ui use host-wide resources (network namespaces, iptables, containerd, cgroups, Chromium) and
// also run two files at a time: each file names its own (cluster names, subnets, bridges,
// KUBELAB_HOME, ports picked free), local clusters claim their /24 host-wide, and each file's
// leak check looks only at what carries its names (test/helpers/leaks.ts).
// KUBELAB_SHARED_WORKERS=1 runs them one at a time again.
// A layer with a `lock` (vm) runs alone under that host-wide lock.
const groups = filters.length
  ? [{ paths: filters, extra: [], lock: filters.some((f) => f.includes('test/vm')) ? '/tmp/kubelab-vm.lock' : undefined }]
  : [
      { paths: run.filter((l) => l.shared !== true).map((l) => l.dir), extra: [`--maxWorkers=${process.env.KUBELAB_TEST_WORKERS ?? 2}`] },
      { paths: run.filter((l) => l.shared === true && !l.lock).map((l) => l.dir), extra: [`--maxWorkers=${process.env.KUBELAB_SHARED_WORKERS ?? 2}`] },
      ...run.filter((l) => l.lock).map((l) => ({ paths: [l.dir], extra: ['--maxWorkers=1'], lock: l.lock })),
    ].filter((g) => g.paths.length > 0)
let status = 0
const total = { passed: 0, failed: 0, skipped: 0 }
const failures = []
for (const g of groups) {
  const r = vitestRun(g.paths, g.extra, g.lock)
  if (r.status !== 0) status = r.status
  failures.push(...r.failures)
  total.passed += r.counts.passed
  total.failed += r.counts.failed
  total.skipped += r.counts.skipped
}
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
console.log(`\n${total.passed} passed, ${total.failed} failed` + (total.skipped ? `, ${total.skipped} skipped` : ''))
process.exit(status)
