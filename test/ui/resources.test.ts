// Resources, Topology and Logs in Debian's Chromium against `kubelab serve`, on a simulated
// cluster made with the CLI and a deployment applied with the real kubectl.
import { execFile, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, launchChromium, serveKubelab } from '../helpers/ui'
import { kubectlCli } from '../helpers/cli'

const run = promisify(execFile)
const chromiumPath = CHROMIUM_PATH
const kubectlPath = '/usr/bin/kubectl'
const root = join(import.meta.dirname, '..', '..')
const cli = join(root, 'bin', 'kubelab.mjs')
const screenshotDir = join(import.meta.dirname, 'screenshots')

const missing = [chromiumPath, kubectlPath].filter((p) => !existsSync(p))
if (missing.length > 0) {
  const message = `the resources UI test needs ${missing.join(' and ')}`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING RESOURCES UI TEST: ${message} ***\n`)
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      # Evicted 10 s after their node becomes unreachable (the node drill), not after 300 s.
      tolerations:
      - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10 }
      - { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 10 }
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: { app: web }
  ports:
  - port: 80
`

let home: string
let env: NodeJS.ProcessEnv
let created = false
let server: ChildProcess | undefined
let output = ''
let browser: Browser | undefined
let page: Page

function startServe(): Promise<string> {
  const serving = serveKubelab(env, (text) => (output += text))
  server = serving.child
  return serving.url
}

/** When `kubelab delete` fails, still stop the cluster's control plane (its pid file) so no process is left behind. */
async function stopLeftover(clusterHome: string, name: string): Promise<void> {
  try {
    const pid = Number((await readFile(join(clusterHome, 'clusters', name, 'control-plane.pid'), 'utf8')).trim())
    if (pid > 0) process.kill(pid, 'SIGTERM')
  } catch {
    // no pid file: nothing is running
  }
}

const kubectl = kubectlCli({ bin: kubectlPath, env: () => env, kubeconfig: () => join(home, 'clusters', 'ui', 'kubeconfig') })

async function shot(name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) })
}

describe.skipIf(missing.length > 0)('resources, topology and logs in browser mode', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui-res-'))
    env = { ...process.env, KUBELAB_HOME: home, KUBECONFIG: join(home, 'user-kubeconfig') }
    created = true
    // A short grace period so the node drill at the end shows NotReady within seconds.
    await run(process.execPath, [cli, 'create', 'ui', '--provider', 'simulated', '--workers', '2', '--node-monitor-grace-period', '8s'], {
      cwd: root,
      env,
      timeout: 180_000,
    })
    await kubectl.stdin(deployment, 'apply', '-f', '-')
    const url = await startServe()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } })
    page.on('pageerror', (err) => (output += `\n[page error] ${err.message}`))
    await page.goto(url)
    await page.getByTestId('nav-cluster').selectOption('ui')
  }, 300_000)

  afterAll(async () => {
    await browser?.close()
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 500))
      if (server.exitCode === null) server.kill('SIGKILL')
    }
    // Delete the cluster even when a test failed, so no control plane is left running.
    if (created)
      await run(process.execPath, [cli, 'delete', 'ui'], { cwd: root, env, timeout: 60_000 }).catch(async (e) => {
        console.warn(`cluster delete failed: ${e}`)
        await stopLeftover(home, 'ui')
      })
    if (home) await rm(home, { recursive: true, force: true })
  }, 120_000)

  it('shows the nodes with their pods, the deployment and the service in the topology', async () => {
    await page.locator('[data-nav="topology"]').click()
    for (const node of ['control-plane', 'node-1', 'node-2']) await page.locator(`[data-node-box="${node}"]`).waitFor()
    await expect.poll(() => page.locator('[data-pod^="default/web-"]').count(), { timeout: 30_000 }).toBe(2)
    await page.locator('[data-controller="default/web"]').waitFor()
    await page.locator('[data-service="default/web"]').waitFor()
    await page.waitForTimeout(400) // let the fit-to-view transition settle before the picture
    await shot('topology')
  })

  it('lists pods in a table with kubectl columns', async () => {
    await page.locator('[data-nav="resources"]').click()
    await page.locator('[data-type="pods"]').click()
    const table = page.getByTestId('table-pods')
    await expect.poll(() => table.locator('tr.row').count(), { timeout: 30_000 }).toBe(2)
    const headers = await table.locator('th').allTextContents()
    expect(headers.map((h) => h.trim().toLowerCase())).toEqual(expect.arrayContaining(['name', 'ready', 'status', 'restarts', 'age']))
    await expect.poll(() => table.locator('.badge').allTextContents(), { timeout: 15_000 }).toEqual(['Running', 'Running'])
    await shot('resources-table')
  })

  it('scales the deployment to 4 from its detail page; the new pods appear in table and topology', async () => {
    await page.locator('[data-type="deployments"]').click()
    await page.locator('[data-row="default/web"]').click()
    const detail = page.getByTestId('detail')
    await detail.waitFor()
    expect(await page.getByTestId('detail-name').textContent()).toBe('default/web')
    await expect.poll(() => page.getByTestId('yaml-text').inputValue(), { timeout: 15_000 }).toContain('kind: Deployment')
    await page.getByLabel('Replicas').fill('4')
    await detail.getByRole('button', { name: 'Scale' }).click()
    await expect.poll(async () => (await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).trim(), { timeout: 15_000 }).toBe('4')
    await expect.poll(() => page.getByTestId('yaml-text').inputValue(), { timeout: 15_000 }).toContain('replicas: 4')
    await shot('deployment-detail')

    await detail.getByRole('button', { name: '← Back' }).click()
    await page.locator('[data-type="pods"]').click()
    await expect.poll(() => page.getByTestId('table-pods').locator('tr.row').count(), { timeout: 30_000 }).toBe(4)
    await page.locator('[data-nav="topology"]').click()
    await expect.poll(() => page.locator('[data-pod^="default/web-"]').count(), { timeout: 30_000 }).toBe(4)
  })

  it('shows the server validation error at the field when applying bad YAML to a pod', async () => {
    // Edit a pod that has settled (the scale-up's new pods may still be changing status, and an
    // apply of a stale resourceVersion is rightly refused as a conflict).
    await expect
      .poll(async () => (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}')).trim(), { timeout: 30_000 })
      .toBe('Running Running Running Running')
    await new Promise((r) => setTimeout(r, 1000))
    // Click through from the topology to the pod's detail page.
    await page.locator('[data-pod^="default/web-"]').first().click()
    const detail = page.getByTestId('detail')
    await detail.waitFor()
    const yaml = page.getByTestId('yaml-text')
    await expect.poll(() => yaml.inputValue(), { timeout: 15_000 }).toContain('kind: Pod')
    const original = await yaml.inputValue()
    const broken = original.replace(/\n {2}labels:\n/, '\n  labels:\n    "bad key!": x\n')
    expect(broken).not.toBe(original)
    await yaml.fill(broken)
    await detail.getByRole('button', { name: 'Apply' }).click()
    const problem = page.getByTestId('field-error').first()
    await problem.waitFor()
    expect(await problem.getAttribute('data-field')).toBe('metadata.labels')
    expect(await problem.textContent()).toContain('Invalid value: "bad key!"')
    const line = Number(await problem.getAttribute('data-line'))
    const labelsLine = broken.split('\n').findIndex((l) => l === '  labels:') + 1
    expect(line).toBe(labelsLine)
    expect(await page.locator(`.gutter [data-line="${line}"]`).getAttribute('class')).toContain('bad')
    expect(await page.getByTestId('apply-error').textContent()).toContain('422 Invalid')
    await shot('yaml-error')
  })

  it('opens the pod logs and shows the API server answer instead of a blank pane', async () => {
    // On the detail page Logs is off on a simulated cluster, with the reason; the Logs view still
    // lets one ask, and shows what the API server answered.
    const detail = page.getByTestId('detail')
    const pod = ((await page.getByTestId('detail-name').textContent()) ?? '').trim()
    expect(await detail.locator('[data-action="detail-logs"]').isDisabled()).toBe(true)
    expect(await detail.locator('[data-action="detail-logs"]').getAttribute('data-why')).toContain('Simulated nodes run no containers')
    await page.locator('[data-nav="logs"]').click()
    await page.getByTestId('logs').waitFor()
    await page.locator('select.log-source').selectOption(`pod:${pod}`)
    const err = page.getByTestId('log-error')
    await err.waitFor({ timeout: 15_000 })
    const text = (await err.textContent()) ?? ''
    // Simulated nodes run no containers: the API server refuses pods/log (404 while it serves no
    // log subresource, 400 with its reason once it does). Whatever it said must be on screen.
    expect(text).toMatch(/The API server answered 4\d\d \w+ for the logs of pod default\/web-[\w-]+( \(container [\w-]+\))?: \S/)
    await shot('logs')
  })

  it('reads the control-plane log from the cluster folder', async () => {
    await page.locator('select.log-source').selectOption('component:control-plane.log')
    await expect.poll(() => page.getByTestId('log-lines').locator('.log-line').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await page.getByTestId('log-error').count()).toBe(0)
    expect(output).not.toContain('[page error]')
  })

  it('stops a node from the topology: it goes NotReady, its pods move to the other node; starting it makes it Ready', async () => {
    await page.locator('[data-nav="topology"]').click()
    const box = page.locator('[data-node-box="node-1"]')
    await box.waitFor()
    await expect.poll(() => box.getAttribute('data-status'), { timeout: 30_000 }).toBe('Ready')
    // Pods bound to node-1 that are not being deleted (evicted ones stay Terminating while their
    // node is away, as in Kubernetes: nobody is there to confirm they stopped).
    const onNode1 = async (): Promise<number> => {
      const list = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as {
        items: { metadata: { deletionTimestamp?: string }; spec: { nodeName?: string } }[]
      }
      return list.items.filter((p) => p.spec.nodeName === 'node-1' && !p.metadata.deletionTimestamp).length
    }
    expect(await onNode1()).toBeGreaterThan(0)

    await box.locator('[data-action="topo-node-stop"]').click()
    await expect.poll(() => box.getAttribute('data-machine'), { timeout: 30_000 }).toBe('stopped')
    expect(await page.getByTestId('drill-note').textContent()).toContain('Node node-1 stopped')
    await expect.poll(() => box.getAttribute('data-status'), { timeout: 60_000 }).toBe('NotReady')
    expect(await box.getByTestId('node-status').textContent()).toBe('NotReady')
    await page.waitForTimeout(400)
    await shot('topology-drill')
    // After the 10 s toleration the pods are evicted and the Deployment recreates them elsewhere.
    await expect.poll(onNode1, { timeout: 90_000 }).toBe(0)
    await expect.poll(async () => (await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}')).trim(), { timeout: 60_000 }).toBe('4')
    await expect.poll(() => page.locator('[data-pod^="default/web-"].tone-ok').count(), { timeout: 30_000 }).toBe(4)
    await shot('topology-drill-evicted')

    await box.locator('[data-action="topo-node-start"]').click()
    await expect.poll(() => box.getAttribute('data-machine'), { timeout: 30_000 }).toBe('running')
    await expect.poll(() => box.getAttribute('data-status'), { timeout: 60_000 }).toBe('Ready')
    // Back on its feet, the node finishes the evicted pods: four web pods remain.
    await expect.poll(() => page.locator('[data-pod^="default/web-"]').count(), { timeout: 60_000 }).toBe(4)

    // Details opens the node's page.
    await box.locator('[data-action="topo-node-open"]').click()
    await page.getByTestId('detail').waitFor()
    expect(await page.getByTestId('detail-name').textContent()).toBe('node-1')
    expect(output).not.toContain('[page error]')
  }, 240_000)
})
