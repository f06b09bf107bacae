// UI benchmark: a simulated cluster with 1000 pods shown in the renderer (Debian Chromium via
// Playwright, browser mode). Measures
//  1. time from a pod change (a label patch through the API server) to the Pods table and to
//     the Topology showing that pod's new resourceVersion (detected in the page each frame);
//  2. the renderer's JS heap (CDP Runtime.getHeapUsage) with the table and with the topology.
// The topology's first render is done when every pod is on screen: as its own shape (small
// clusters, or a renderer without grouping) or counted in a workload group (the grouped picture
// at scale); with groups, "open all groups" until every pod has its cell is measured too, and
// the changes are then watched on those cells.
// Run: node --import tsx bench/ui.bench.ts   (PODS=200 WORKERS=3 for a quick look; UI_RENDERER_DIR to
// serve another renderer build than out/renderer; SCREENSHOTS=dir saves the topology as drawn)
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { createClient, loadKubeconfig, resourceRef } from '../src-cluster/client'
import { createBackend } from '../src-main/backend'
import { ClusterManager } from '../src-main/clusters'
import { startServer } from '../src-main/server'
import { writeResults } from './lib/results'
import { quantile, round } from './lib/stats'
import { formatTable } from './lib/table'
import { atCleanup, benchTempDir } from './lib/cleanup'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
const PODS = Number(process.env.PODS ?? 1000)
const WORKERS = Number(process.env.WORKERS ?? 10)
const CHANGES = Number(process.env.CHANGES ?? 15)
const rendererDir = process.env.UI_RENDERER_DIR ?? join(root, 'out', 'renderer')
const POD_RES = resourceRef('v1', 'pods')

/** When `kubelab delete` fails, still stop the cluster's control plane (its pid file) so no process is left behind. */
async function stopLeftover(clusterHome: string, name: string): Promise<void> {
  try {
    const pid = Number((await readFile(join(clusterHome, 'clusters', name, 'control-plane.pid'), 'utf8')).trim())
    if (pid > 0) process.kill(pid, 'SIGTERM')
  } catch {
    // no pid file: nothing is running
  }
}

const mib = (b: number): number => round(b / 2 ** 20, 1)

/** Waits in the page (checked every animation frame) for a selector; returns the page's Date.now() when it appeared. */
async function seenAt(page: Page, selector: string, timeoutMs = 60_000): Promise<number> {
  const handle = await page.waitForFunction((sel) => (document.querySelector(sel) ? Date.now() : false), selector, { polling: 'raf', timeout: timeoutMs })
  return (await handle.jsonValue()) as number
}

async function heap(page: Page): Promise<{ usedMiB: number; totalMiB: number }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('HeapProfiler.collectGarbage')
  const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number }
  await cdp.detach()
  return { usedMiB: mib(h.usedSize), totalMiB: mib(h.totalSize) }
}

async function main(): Promise<void> {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error(`no renderer build at ${rendererDir}: run npm run build first`)
  const home = benchTempDir('kubelab-bench-ui-')
  const env = { ...process.env, KUBELAB_HOME: home, KUBECONFIG: join(home, 'user-kubeconfig') }
  const kubeconfig = join(home, 'clusters', 'bench', 'kubeconfig')
  let created = false
  // In-process cluster manager: the same code path as `kubelab create` / `kubelab delete`.
  const manager = new ClusterManager({ env })
  const backend = createBackend({ mode: 'browser', version: 'bench', env })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  // Also on Ctrl-C: the browser, the backend, the cluster (a detached control plane) and the folder.
  const teardown = atCleanup(async () => {
    await browser.close()
    await backend.close()
    if (created)
      await manager.delete('bench').catch(async (e) => {
        console.error(`could not delete the bench cluster: ${e}`)
        await stopLeftover(home, 'bench')
      })
    await rm(home, { recursive: true, force: true })
  })
  try {
    console.log(`creating a simulated cluster with ${WORKERS} workers and ${PODS} pods…`)
    created = true
    await manager.create('bench', { provider: 'simulated', workers: WORKERS })
    const k = (...args: string[]) => run('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { env })
    await k('create', 'deployment', 'load', '--image=nginx', `--replicas=${PODS}`)
    await k('expose', 'deployment', 'load', '--port=80')
    const client = createClient({ ...loadKubeconfig(kubeconfig), userAgent: 'kubelab-bench' })
    for (const end = Date.now() + 300_000; ;) {
      const pods = (await client.list(POD_RES, { namespace: 'default' })).items
      const running = pods.filter((p) => (p as { status?: { phase?: string } }).status?.phase === 'Running').length
      if (running >= PODS) break
      if (Date.now() > end) throw new Error(`only ${running}/${PODS} pods Running after 5 minutes`)
      await new Promise((r) => setTimeout(r, 500))
    }
    const pods = (await client.list(POD_RES, { namespace: 'default' })).items.map((p) => String(p.metadata?.name))

    const server = await startServer({ backend, rendererDir, port: 0 })
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(server.launchUrl)
    await page.getByTestId('nav-cluster').selectOption('bench')
    const heapIdle = await heap(page)

    // Table: first full list, then single-pod changes.
    let t0 = Date.now()
    await page.locator('[data-nav="resources"]').click()
    await page.locator('[data-type="pods"]').click()
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="table-pods"] tr.row').length >= n, PODS, { polling: 'raf', timeout: 120_000 })
    const tableFirstMs = Date.now() - t0
    const heapTable = await heap(page)

    const change = async (i: number, selector: (key: string, rv: string) => string): Promise<number> => {
      const name = pods[(i * 7919) % pods.length]!
      const start = Date.now()
      const patched = await client.patch(POD_RES, 'default', name, { metadata: { labels: { bench: `v${i}-${start}` } } }, 'merge')
      const rv = String(patched.metadata?.resourceVersion)
      return (await seenAt(page, selector(`default/${name}`, rv))) - start
    }
    const tableMs: number[] = []
    for (let i = 0; i < CHANGES; i++) tableMs.push(await change(i, (key, rv) => `tr[data-row="${key}"][data-rv="${rv}"]`))

    t0 = Date.now()
    await page.locator('[data-nav="topology"]').click()
    await page.waitForFunction(
      (n) => {
        if (document.querySelectorAll('[data-pod]').length >= n) return true
        let grouped = 0
        for (const g of document.querySelectorAll('[data-group]')) grouped += Number(g.getAttribute('data-count'))
        return grouped >= n
      },
      PODS,
      { polling: 'raf', timeout: 120_000 },
    )
    const topoFirstMs = Date.now() - t0
    const mode = (await page.getByTestId('topology').getAttribute('data-mode')) ?? 'each'
    const heapTopoFirst = await heap(page)
    const shots = process.env.SCREENSHOTS
    if (shots) await page.screenshot({ path: join(shots, `bench-topology-${PODS}-pods-${WORKERS}-workers.png`) })
    let openAllMs: number | null = null
    if (mode === 'grouped') {
      t0 = Date.now()
      await page.locator('[data-action="topo-expand-all"]').click()
      await page.waitForFunction((n) => document.querySelectorAll('[data-pod]').length >= n, PODS, { polling: 'raf', timeout: 120_000 })
      openAllMs = Date.now() - t0
      if (shots) await page.screenshot({ path: join(shots, `bench-topology-${PODS}-pods-${WORKERS}-workers-open.png`) })
    }
    const heapTopo = await heap(page)
    const topoMs: number[] = []
    for (let i = 0; i < CHANGES; i++) topoMs.push(await change(CHANGES + i, (key, rv) => `[data-pod="${key}"][data-rv="${rv}"]`))

    const sum = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b)
      return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s[s.length - 1] ?? NaN }
    }
    const table = sum(tableMs)
    const topo = sum(topoMs)
    console.log(
      formatTable(
        ['view', 'pods', 'first render ms', 'change→shown p50 ms', 'p95 ms', 'max ms', 'JS heap used MiB'],
        [
          ['Pods table', PODS, tableFirstMs, table.p50, table.p95, table.max, heapTable.usedMiB],
          [`Topology (${mode})`, PODS, topoFirstMs, topo.p50, topo.p95, topo.max, heapTopo.usedMiB],
        ],
      ),
    )
    if (openAllMs !== null)
      console.log(`topology: open all groups until every pod has its cell: ${openAllMs} ms; heap with groups closed ${heapTopoFirst.usedMiB} MiB`)
    console.log(`renderer JS heap before opening a cluster view: ${heapIdle.usedMiB} MiB used`)
    const file = await writeResults('ui', {
      pods: PODS,
      workers: WORKERS,
      changesPerView: CHANGES,
      note: 'change→shown: label patch acknowledged by the API server until the row/pod node with the new resourceVersion is in the DOM (checked every animation frame); includes the backend 100 ms batch window',
      table: { firstRenderMs: tableFirstMs, changeToShownMs: table, samplesMs: tableMs, heap: heapTable },
      topology: {
        mode,
        firstRenderMs: topoFirstMs,
        openAllGroupsMs: openAllMs,
        changeToShownMs: topo,
        samplesMs: topoMs,
        heap: heapTopo,
        heapFirstRender: heapTopoFirst,
      },
      heapIdle,
    })
    console.log(`wrote ${file}`)
    client.close()
    await server.close()
  } finally {
    await teardown()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
