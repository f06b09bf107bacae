// Day-to-day cluster work in Debian's Chromium against `kubelab serve`, on one simulated cluster
// made with the CLI (issue 15): URLs for views and objects (Back/Forward/reload), detail pages
// that follow the object live with an edit-conflict offer, a summary with owner/owned links,
// local parse and unknown-field errors at their lines, + Create from templates, row actions
// (scale, restart, delete), the namespace selector, workload logs that say their error once,
// the command palette and shortcuts, the app icon, and a stopped cluster shown as stopped.
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
const cluster = 'daily'

const missing = [chromiumPath, kubectlPath].filter((p) => !existsSync(p))
if (missing.length > 0) {
  const message = `the day-to-day UI test needs ${missing.join(' and ')}`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING DAY-TO-DAY UI TEST: ${message} ***\n`)
}

const web = (ns: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`

const service = `apiVersion: v1
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
let base = ''
let browser: Browser | undefined
let page: Page
const notFound: string[] = []

function startServe(): Promise<string> {
  const serving = serveKubelab(env, (text) => (output += text))
  server = serving.child
  return serving.url
}

async function stopLeftover(clusterHome: string, name: string): Promise<void> {
  try {
    const pid = Number((await readFile(join(clusterHome, 'clusters', name, 'control-plane.pid'), 'utf8')).trim())
    if (pid > 0) process.kill(pid, 'SIGTERM')
  } catch {
    // no pid file: nothing is running
  }
}

const kubectl = kubectlCli({ bin: kubectlPath, env: () => env, kubeconfig: () => join(home, 'clusters', cluster, 'kubeconfig') })

async function shot(name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) })
}

const hash = (): Promise<string> => page.evaluate(() => location.hash)

/** Placeholders of the shown inputs that are wider than their field (cut off on screen). */
const cutPlaceholders = (): Promise<string[]> =>
  page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D
    return [...document.querySelectorAll<HTMLInputElement>('input[placeholder]')]
      .filter((i) => i.offsetParent !== null)
      .filter((i) => {
        const cs = getComputedStyle(i)
        ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`
        return ctx.measureText(i.placeholder).width > i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
      })
      .map((i) => i.placeholder)
  })
const yamlText = (): Promise<string> => page.getByTestId('yaml-text').inputValue()

async function openDeployment(ns: string, name: string): Promise<void> {
  await page.locator('[data-nav="resources"]').click()
  await page.locator('[data-type="deployments"]').click()
  await page.locator(`[data-row="${ns}/${name}"] td.name`).click()
  await page.getByTestId('detail').waitFor()
  await expect.poll(yamlText, { timeout: 15_000 }).toContain('kind: Deployment')
}

describe.skipIf(missing.length > 0)('day-to-day cluster work in browser mode', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui-daily-'))
    env = { ...process.env, KUBELAB_HOME: home, KUBECONFIG: join(home, 'user-kubeconfig') }
    created = true
    await run(process.execPath, [cli, 'create', cluster, '--provider', 'simulated', '--workers', '1'], { cwd: root, env, timeout: 180_000 })
    await kubectl('create', 'namespace', 'team-a')
    await kubectl.stdin(`${web('default', 2)}---\n${web('team-a', 1)}---\n${service}`, 'apply', '-f', '-')
    base = await startServe()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } })
    page.on('pageerror', (err) => (output += `\n[page error] ${err.message}`))
    page.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url())
    })
    await page.goto(base)
    await page.getByTestId('nav-cluster').selectOption(cluster)
  }, 300_000)

  afterAll(async () => {
    await browser?.close()
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 500))
      if (server.exitCode === null) server.kill('SIGKILL')
    }
    if (created)
      await run(process.execPath, [cli, 'delete', cluster], { cwd: root, env, timeout: 60_000 }).catch(async (e) => {
        console.warn(`cluster delete failed: ${e}`)
        await stopLeftover(home, cluster)
      })
    if (home) await rm(home, { recursive: true, force: true })
  }, 120_000)

  it('has an app icon: favicon served, no 404 on load', async () => {
    const href = await page.locator('link[rel="icon"]').getAttribute('href')
    expect(href).toBe('./icon.svg')
    const icon = await page.request.get(new URL('icon.svg', base).href)
    expect(icon.status()).toBe(200)
    expect(icon.headers()['content-type']).toContain('image/svg+xml')
    expect((await page.request.get(new URL('icon.png', base).href)).status()).toBe(200)
    expect(await page.locator('img.logo').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0)
    expect(notFound).toEqual([])
  })

  it('gives views and objects URLs: Back, Forward and reload return to them', async () => {
    await openDeployment('default', 'web')
    expect(await hash()).toBe(`#/resources/deployments/default/web?cluster=${cluster}`)
    await page.reload()
    await page.getByTestId('detail').waitFor()
    expect(await page.getByTestId('detail-name').textContent()).toBe('default/web')
    // The cluster list arrives after the page: the picker shows the URL's cluster once it has it.
    await expect.poll(() => page.getByTestId('nav-cluster').inputValue()).toBe(cluster)
    await page.goBack()
    await page.getByTestId('table-deployments').waitFor()
    expect(await page.getByTestId('detail').count()).toBe(0)
    await page.goForward()
    await page.getByTestId('detail').waitFor()
    await page.locator('[data-nav="topology"]').click()
    expect(await hash()).toBe(`#/topology?cluster=${cluster}`)
    await page.goBack()
    expect(await page.getByTestId('detail-name').textContent()).toBe('default/web')
    // Alt+3 is Topology; Alt+2 comes back to Resources.
    await page.keyboard.press('Alt+3')
    await page.getByTestId('topology').waitFor()
    await page.keyboard.press('Alt+2')
    await page.getByTestId('detail').waitFor()
  })

  it('follows the object live; an edit against a newer copy offers reload and the difference', async () => {
    await kubectl('scale', 'deployment', 'web', '--replicas=3')
    await expect.poll(yamlText, { timeout: 15_000 }).toContain('replicas: 3')
    await expect.poll(yamlText, { timeout: 15_000 }).toContain('readyReplicas: 3')
    // Events follow too: the Deployment controller reports the scale-up.
    await expect.poll(() => page.getByTestId('events').textContent(), { timeout: 15_000 }).toContain('to 3')
    // Newest first: the scale-up to 3 heads the list, and the times only go back.
    await expect.poll(() => page.getByTestId('events').locator('li').first().textContent(), { timeout: 15_000 }).toContain('to 3')
    const times = await page
      .getByTestId('events')
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-time') ?? ''))
    expect(times.length).toBeGreaterThan(1)
    expect(times.every((t) => t !== '')).toBe(true)
    expect([...times].sort().reverse()).toEqual(times)
    // The YAML is coloured: keys and values in their own colours.
    const colours = page.getByTestId('yaml-colours')
    const keyColour = await colours
      .locator('.yt-key')
      .first()
      .evaluate((e) => getComputedStyle(e).color)
    const inkColour = await colours.evaluate((e) => getComputedStyle(e).color)
    expect(await colours.locator('.yt-key').count()).toBeGreaterThan(10)
    expect(keyColour).not.toBe(inkColour)

    // Start an edit, then someone scales meanwhile.
    const edited = (await yamlText()).replace(/\n {2}labels:\n/, '\n  labels:\n    edited: "yes"\n')
    const mine = edited.includes('edited: "yes"') ? edited : (await yamlText()).replace('metadata:\n', 'metadata:\n  labels:\n    edited: "yes"\n')
    await page.getByTestId('yaml-text').fill(mine)
    await kubectl('scale', 'deployment', 'web', '--replicas=4')
    const conflict = page.getByTestId('edit-conflict')
    await conflict.waitFor({ timeout: 15_000 })
    // The edit is kept, not overwritten.
    expect(await yamlText()).toContain('edited: "yes"')
    await conflict.locator('[data-action="conflict-diff"]').click()
    const diff = page.getByTestId('edit-diff')
    // The difference follows the server (status may have moved first, then the scale lands).
    await expect.poll(() => diff.textContent(), { timeout: 15_000 }).toContain('+   replicas: 4')
    expect(await diff.textContent()).toContain('-     edited: "yes"')
    await shot('detail-edit-conflict')
    await conflict.locator('[data-action="conflict-reload"]').click()
    expect(await page.getByTestId('edit-conflict').count()).toBe(0)
    expect(await yamlText()).toContain('replicas: 4')
    expect(await yamlText()).not.toContain('edited: "yes"')

    // Revert restores the live copy, whatever changed meanwhile.
    await page.getByTestId('yaml-text').fill((await yamlText()).replace('replicas: 4', 'replicas: 9'))
    await page.locator('[data-action="revert"]').click()
    expect(await yamlText()).toContain('replicas: 4')
    expect(await page.locator('[data-action="revert"]').isEnabled()).toBe(false)
  })

  it('says a YAML parse error is local, with its line; marks unknown fields at their line', async () => {
    const good = await yamlText()
    const lines = good.split('\n')
    const at = lines.findIndex((l) => l.startsWith('spec:')) + 1
    lines.splice(at, 0, '  replicas: [1, 2')
    await page.getByTestId('yaml-text').fill(lines.join('\n'))
    await page.locator('[data-action="apply"]').click()
    const err = page.getByTestId('apply-error')
    await err.waitFor()
    expect(await err.locator('strong').textContent()).toBe('Local parse error: nothing was sent to the API server.')
    expect(await err.textContent()).toMatch(/local parse error, line \d+/)
    expect(await err.textContent()).not.toContain('rejected')

    const unknown = good.replace(/\nspec:\n/, '\nspec:\n  replicaz: 2\n')
    await page.getByTestId('yaml-text').fill(unknown)
    await page.locator('[data-action="apply"]').click()
    const problem = page.locator('[data-testid="field-error"][data-field="spec.replicaz"]')
    await problem.waitFor()
    const line = unknown.split('\n').findIndex((l) => l === '  replicaz: 2') + 1
    expect(Number(await problem.getAttribute('data-line'))).toBe(line)
    expect(await page.locator(`.gutter [data-line="${line}"]`).getAttribute('class')).toContain('bad')
    expect(await page.getByTestId('apply-error').locator('strong').textContent()).toContain('400')
    await shot('yaml-unknown-field')
    await page.locator('[data-action="revert"]').click()
  })

  it('summarises the object and links owner and owned objects: Deployment → ReplicaSet → Pods → node', async () => {
    const owned = page.getByTestId('owned')
    await owned.locator('[data-owned^="replicasets/web-"]').first().waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('containers').textContent()).toContain('nginx:1.27')
    expect(await page.getByTestId('containers').textContent()).toContain('80/TCP')
    expect(await page.getByTestId('conditions').textContent()).toContain('Available')
    expect(await page.getByTestId('labels').count()).toBe(0) // the Deployment itself has no labels
    await shot('detail-summary')
    await owned.locator('[data-owned^="replicasets/web-"]').first().click()
    await expect.poll(() => page.getByTestId('detail-name').textContent()).toMatch(/^default\/web-/)
    expect(await hash()).toMatch(/^#\/resources\/replicasets\/default\/web-/)
    await page.locator('[data-owner="deployments/web"]').waitFor()
    await expect.poll(() => page.getByTestId('owned').locator('[data-owned^="pods/web-"]').count(), { timeout: 15_000 }).toBe(4)
    await page.getByTestId('owned').locator('[data-owned^="pods/web-"]').first().click()
    await expect.poll(() => hash()).toMatch(/^#\/resources\/pods\/default\/web-/)
    await page.getByTestId('node-link').waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('labels').textContent()).toContain('app=web')
    await expect.poll(() => page.getByTestId('containers').textContent(), { timeout: 15_000 }).toContain('Running')
    // Simulated nodes run no containers: Logs and Shell are off and say why.
    expect(await page.locator('[data-action="detail-logs"]').isDisabled()).toBe(true)
    expect(await page.locator('[data-action="pod-shell"]').isDisabled()).toBe(true)
    expect(await page.locator('[data-action="pod-shell"]').getAttribute('data-why')).toContain('Simulated nodes run no containers')
    expect(await page.getByTestId('why-not').textContent()).toContain('Simulated nodes run no containers')
    await shot('detail-pod')
  })

  it('says the logs error of a Deployment once', async () => {
    await page.locator('[data-nav="logs"]').click()
    await page.locator('select.log-source').selectOption('workload:deployments:default/web')
    const err = page.getByTestId('log-error')
    await err.waitFor({ timeout: 15_000 })
    expect(await err.textContent()).toContain('none of the 4 pods gave logs')
    expect(await page.getByTestId('log-lines').count()).toBe(0)
    await shot('logs-workload-once')
  })

  it('filters tables, topology and the logs picker by the chosen namespaces; topology labels repeated names', async () => {
    await page.locator('[data-nav="topology"]').click()
    await page.locator('[data-controller="default/web"]').waitFor({ timeout: 15_000 })
    await page.locator('[data-controller="team-a/web"]').waitFor()
    expect(await page.locator('[data-controller="team-a/web"] .topo-side-name').textContent()).toBe('team-a/web')
    await page.waitForTimeout(400) // the fit-to-view transition, for the picture
    await shot('topology-namespaces')

    await page.getByTestId('ns-picker').click()
    await page.locator('[data-ns-only="team-a"]').click()
    expect(await page.getByTestId('ns-label').textContent()).toBe('team-a')
    expect(await hash()).toBe(`#/topology?cluster=${cluster}&ns=team-a`)
    await expect.poll(() => page.locator('[data-controller="default/web"]').count()).toBe(0)
    expect(await page.locator('[data-controller="team-a/web"] .topo-side-name').textContent()).toBe('web')

    await page.locator('[data-nav="resources"]').click()
    await page.locator('[data-type="deployments"]').click()
    const table = page.getByTestId('table-deployments')
    await expect.poll(() => table.locator('tr.row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-row')))).toEqual(['team-a/web'])

    // Several: team-a and default.
    await page.getByTestId('ns-picker').click()
    await page.locator('[data-ns="default"]').check()
    expect(await page.getByTestId('ns-label').textContent()).toBe('2 namespaces')
    await page.keyboard.press('Escape')
    await expect.poll(() => table.locator('tr.row').count()).toBe(2)

    await page.locator('[data-nav="logs"]').click()
    const options = await page.locator('select.log-source optgroup[label="Pods"] option').allTextContents()
    expect(options.every((o) => o.startsWith('default/') || o.startsWith('team-a/'))).toBe(true)
    expect(options.some((o) => o.startsWith('kube-system/'))).toBe(false)
    // The pod pickers of terminals (and port forwards) offer the chosen namespaces only.
    await page.locator('[data-nav="terminals"]').click()
    const picker = page.getByTestId('pod-picker').first()
    await expect.poll(() => picker.locator('[data-pick="namespace"] option').allTextContents(), { timeout: 15_000 }).toEqual(['default', 'team-a'])
    await page.getByTestId('ns-picker').click()
    await page.locator('[data-ns="*"]').check()
    await page.keyboard.press('Escape')
    expect(await page.getByTestId('ns-label').textContent()).toBe('All namespaces')
  })

  it("keeps the topology's filter and picture in the URL: reload, Back and a shared link return to them", async () => {
    await page.locator('[data-nav="topology"]').click()
    await page.locator('[data-controller="team-a/web"]').waitFor({ timeout: 15_000 })
    expect(await cutPlaceholders()).toEqual([])
    await page.getByTestId('topo-filter').fill('team-a/web')
    await page.getByTestId('topo-status').selectOption('ok')
    await page.getByTestId('topo-pods-mode').selectOption('grouped')
    await page.getByTestId('topo-group-by').selectOption('namespace')
    const place = `#/topology?cluster=${cluster}&q=team-a%2Fweb&status=ok&pods=grouped&by=namespace`
    await expect.poll(hash).toBe(place)
    const shows = async (p: Page): Promise<void> => {
      await p.locator('[data-ns-box="team-a"]').waitFor({ timeout: 15_000 })
      expect(await p.getByTestId('topo-filter').inputValue()).toBe('team-a/web')
      expect(await p.getByTestId('topo-status').inputValue()).toBe('ok')
      expect(await p.getByTestId('topo-pods-mode').inputValue()).toBe('grouped')
      expect(await p.getByTestId('topo-group-by').inputValue()).toBe('namespace')
      await expect.poll(() => p.getByTestId('topo-count').textContent(), { timeout: 15_000 }).toMatch(/^1 of \d+ pods$/)
      expect(await p.locator('[data-ns-box="default"]').count()).toBe(0)
    }
    await page.reload()
    await shows(page)
    // Typing the filter made no Back steps of its own: Back from Resources lands on the whole place.
    await page.locator('[data-nav="resources"]').click()
    await page.locator('[data-type="deployments"]').waitFor()
    await page.goBack()
    expect(await hash()).toBe(place)
    await shows(page)
    // The launch link with this place, in a fresh browser context, opens the same picture.
    const context = await browser!.newContext({ viewport: { width: 1400, height: 860 } })
    try {
      const other = await context.newPage()
      await other.goto(`${base}${place}`)
      await shows(other)
    } finally {
      await context.close()
    }
    // Back to the defaults, which leave the URL.
    await page.locator('[data-action="topo-filter-clear"]').click()
    await page.getByTestId('topo-group-by').selectOption('node')
    await page.getByTestId('topo-pods-mode').selectOption('auto')
    await expect.poll(hash).toBe(`#/topology?cluster=${cluster}`)
  })

  it('creates from a template in the chosen namespace, shows problems as an edit does, opens the new object', async () => {
    await page.locator('[data-nav="resources"]').click()
    await page.getByTestId('ns-picker').click()
    await page.locator('[data-ns-only="team-a"]').click()
    await page.locator('[data-type="configmaps"]').click()
    await page.locator('[data-action="create-open"]').click()
    const panel = page.getByTestId('create-panel')
    await panel.waitFor()
    await page.getByTestId('create-template').selectOption('ConfigMap')
    const text = await yamlText()
    expect(text).toContain('namespace: team-a')
    // A misspelt field first: the same display as an edit.
    await page.getByTestId('yaml-text').fill(text.replace('\ndata:\n', '\ndatta:\n'))
    await page.locator('[data-action="create-apply"]').click()
    await page.locator('[data-testid="field-error"][data-field="datta"]').waitFor()
    await shot('create-error')
    await page.getByTestId('yaml-text').fill(text.replace('my-config', 'greeting'))
    await page.locator('[data-action="create-apply"]').click()
    await page.getByTestId('detail').waitFor()
    expect(await page.getByTestId('detail-name').textContent()).toBe('team-a/greeting')
    expect(await hash()).toBe(`#/resources/configmaps/team-a/greeting?cluster=${cluster}&ns=team-a`)
    expect((await kubectl('get', 'configmap', 'greeting', '-n', 'team-a', '-o', 'jsonpath={.data.greeting}')).trim()).toBe('hello')
  })

  it('deletes (after asking), restarts and scales from the detail page', async () => {
    // Still on the new ConfigMap's page: refusing keeps it, accepting deletes it and goes back.
    expect(await page.getByTestId('detail-name').textContent()).toBe('team-a/greeting')
    page.once('dialog', (d) => void d.dismiss())
    await page.locator('[data-action="detail-delete"]').click()
    expect((await kubectl('get', 'configmaps', '-n', 'team-a', '-o', 'name')).split('\n')).toContain('configmap/greeting')
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Delete ConfigMap team-a/greeting?')
      void d.accept()
    })
    await page.locator('[data-action="detail-delete"]').click()
    await page.getByTestId('table-configmaps').waitFor({ timeout: 15_000 })
    expect((await kubectl('get', 'configmaps', '-n', 'team-a', '-o', 'name')).split('\n')).not.toContain('configmap/greeting')

    await openDeployment('team-a', 'web')
    await page.locator('[data-action="detail-restart"]').click()
    await expect
      .poll(async () => (await kubectl('get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.template.metadata.annotations}')).trim(), {
        timeout: 15_000,
      })
      .toContain('kubectl.kubernetes.io/restartedAt')
    // The page follows: the restart shows in its YAML.
    await expect.poll(yamlText, { timeout: 15_000 }).toContain('kubectl.kubernetes.io/restartedAt')
    await page.getByTestId('detail').getByLabel('Replicas').fill('2')
    await page.locator('[data-action="detail-scale"]').click()
    await expect
      .poll(async () => (await kubectl('get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}')).trim(), { timeout: 15_000 })
      .toBe('2')
    await shot('detail-actions')
    await page.getByTestId('detail').getByLabel('Replicas').fill('1')
    await page.locator('[data-action="detail-scale"]').click()
    await expect
      .poll(async () => (await kubectl('get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}')).trim(), { timeout: 15_000 })
      .toBe('1')
  })

  it('scales, restarts and deletes (after asking) from the table', async () => {
    await page.locator('[data-type="deployments"]').click()
    const row = page.locator('[data-row="team-a/web"]')
    await row.locator('[data-action="row-scale"]').click()
    await row.getByTestId('row-replicas').fill('2')
    await row.locator('[data-action="row-scale-ok"]').click()
    await expect
      .poll(async () => (await kubectl('get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}')).trim(), { timeout: 15_000 })
      .toBe('2')
    await row.locator('[data-action="row-restart"]').click()
    await expect
      .poll(async () => (await kubectl('get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.template.metadata.annotations}')).trim(), {
        timeout: 15_000,
      })
      .toContain('kubectl.kubernetes.io/restartedAt')
    await shot('table-row-actions')

    // Delete asks first: refusing keeps it, accepting deletes it.
    page.once('dialog', (d) => void d.dismiss())
    await row.locator('[data-action="row-delete"]').click()
    expect((await kubectl('get', 'deployments', '-n', 'team-a', '-o', 'name')).trim()).toBe('deployment.apps/web')
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Delete Deployment team-a/web?')
      void d.accept()
    })
    await row.locator('[data-action="row-delete"]').click()
    await row.waitFor({ state: 'detached', timeout: 15_000 })
    expect((await kubectl('get', 'deployments', '-n', 'team-a', '-o', 'name')).trim()).toBe('')
  })

  it('opens anything from the command palette (Ctrl+K)', async () => {
    await page.getByTestId('ns-picker').click()
    await page.locator('[data-ns="*"]').check()
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+k')
    const input = page.getByTestId('palette-input')
    await input.waitFor()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('palette-input')
    await input.fill('deployment default/web')
    await shot('palette')
    await page.keyboard.press('Enter')
    await page.getByTestId('palette').waitFor({ state: 'detached' })
    await page.getByTestId('detail').waitFor()
    expect(await page.getByTestId('detail-name').textContent()).toBe('default/web')
    await page.keyboard.press('Control+k')
    await page.getByTestId('palette-input').fill('go to topology')
    await page.keyboard.press('Enter')
    await page.getByTestId('topology').waitFor()
    // Switch namespace from the palette, and back to all.
    await page.keyboard.press('Control+k')
    await page.getByTestId('palette-input').fill('namespace team-a')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('ns-label').textContent()).toBe('team-a')
    await page.keyboard.press('Control+k')
    await page.getByTestId('palette-input').fill('all namespaces')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('ns-label').textContent()).toBe('All namespaces')
  })

  it('picks exec and port-forward targets from the cluster; a refused exec offers no useless reconnect', async () => {
    await page.locator('[data-nav="terminals"]').click()
    const picker = page.getByTestId('pod-picker').first()
    await expect.poll(() => picker.locator('[data-pick="namespace"]').inputValue(), { timeout: 15_000 }).toBe('default')
    const pods = await picker.locator('[data-pick="name"] option').allTextContents()
    expect(pods.length).toBeGreaterThan(0)
    expect(pods.every((p) => /^web-[\w-]+ \(Running\)$/.test(p))).toBe(true)
    expect(await picker.locator('[data-pick="container"] option').first().textContent()).toBe('web (default)')
    // Said before trying: simulated nodes run no containers.
    expect(await page.getByTestId('pod-exec-note').textContent()).toContain('simulated nodes run no containers')
    await page.locator('[data-action="open-pod"]').click()
    const reason = page.getByTestId('terminal-reason')
    await reason.waitFor({ timeout: 15_000 })
    // The API server's own words (simulated nodes run no containers), not just an HTTP code.
    expect(await reason.textContent()).toMatch(/the API server refused the exec \(HTTP 400 BadRequest\): pod web-[\w-]+ runs on simulated node/)
    expect(await reason.textContent()).not.toContain('Press Enter')
    expect(await reason.textContent()).toContain('Reconnecting would get the same answer')
    await shot('terminal-pod-picker')

    await page.locator('[data-nav="clusters"]').click()
    // Reachable without scrolling: one click in the Clusters header brings the panel into view
    // and puts the keyboard in it.
    await page.setViewportSize({ width: 1400, height: 300 })
    const inView = (): Promise<boolean> =>
      page.getByTestId('port-forwards').evaluate((el) => {
        const r = el.getBoundingClientRect()
        return r.top >= 0 && r.top < innerHeight
      })
    expect(await inView()).toBe(false)
    await page.locator('[data-action="show-port-forwards"]').click()
    await expect.poll(inView).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="port-forwards"]') != null)).toBe(true)
    await page.setViewportSize({ width: 1400, height: 860 })
    const pf = page.getByTestId('pf-form')
    await pf.getByTestId('pod-picker').locator('[data-pick="kind"]').selectOption('service')
    await expect.poll(() => pf.locator('[data-pick="name"] option').allTextContents(), { timeout: 15_000 }).toEqual(['kubernetes', 'web'])
    await pf.locator('[data-pick="name"]').selectOption('web')
    await expect.poll(() => pf.locator('[data-pick="port"]').inputValue()).toBe('80')
    await pf.locator('[data-pick="kind"]').selectOption('pod')
    await expect.poll(() => pf.locator('[data-pick="port"]').inputValue()).toBe('80')
    // Every placeholder fits its field: the port ones, the table and log searches.
    expect(await cutPlaceholders()).toEqual([])
    await page.locator('[data-nav="logs"]').click()
    expect(await cutPlaceholders()).toEqual([])
    await page.locator('[data-nav="resources"]').click()
    expect(await cutPlaceholders()).toEqual([])
    await page.locator('[data-nav="clusters"]').click()
    await shot('portforward-picker')
  })

  it('shows a stopped cluster as stopped, also when stopped outside the app: a banner, nothing live, node actions off with the reason', async () => {
    await page.locator('[data-nav="clusters"]').click()
    await page.locator(`[data-cluster="${cluster}"] [data-action="stop"]`).click()
    await page.locator(`[data-cluster="${cluster}"][data-state="stopped"]`).waitFor({ timeout: 60_000 })
    await page.locator('[data-nav="topology"]').click()
    const banner = page.getByTestId('cluster-banner')
    await banner.waitFor()
    expect(await banner.textContent()).toContain(`Cluster ${cluster} is stopped.`)
    expect(await page.getByTestId('topology').getAttribute('data-live')).toBe('false')
    const start = page.locator('[data-action="topo-node-start"], [data-action="topo-node-stop"]').first()
    if ((await start.count()) > 0) {
      expect(await start.isDisabled()).toBe(true)
      expect(await start.getAttribute('title')).toContain('is stopped: start it first')
    }
    await page.waitForTimeout(400)
    await shot('topology-stopped')
    await page.locator('[data-nav="resources"]').click()
    await page.getByTestId('cluster-banner').waitFor()
    // The detail page opened from the palette: its actions are off and say why.
    const del = page.locator('[data-action="detail-delete"]')
    expect(await del.isDisabled()).toBe(true)
    expect(await del.getAttribute('title')).toContain('is stopped: start it first')
    expect(await page.getByTestId('detail-status').textContent()).toBe('unknown')
    await page.locator('[data-type="deployments"]').click()
    expect(await page.locator('[data-action="create-open"]').isDisabled()).toBe(true)
    await shot('resources-stopped')
    // Start from the banner: the views come back to life.
    await page.locator('[data-action="banner-start"]').click()
    await page.getByTestId('cluster-banner').waitFor({ state: 'detached', timeout: 90_000 })
    await page.locator('[data-type="deployments"]').click()
    await page.locator('[data-row="default/web"]').waitFor({ timeout: 30_000 })
    expect(await page.locator('[data-action="create-open"]').isEnabled()).toBe(true)

    // Stopped and started outside the app (kubelab stop/start in a shell) while the topology is
    // open: the view follows, and no longer claims node states it cannot know.
    await page.locator('[data-nav="topology"]').click()
    const nodeStatus = page.getByTestId('node-status').first()
    await expect.poll(() => nodeStatus.textContent(), { timeout: 30_000 }).toBe('Ready')
    await run(process.execPath, [cli, 'stop', cluster], { cwd: root, env, timeout: 60_000 })
    await page.getByTestId('cluster-banner').waitFor({ timeout: 30_000 })
    await expect.poll(() => nodeStatus.textContent()).toBe('unknown')
    expect(await nodeStatus.getAttribute('title')).toBe('Last known: Ready; the cluster is not running')
    await shot('topology-stopped-outside')
    await run(process.execPath, [cli, 'start', cluster], { cwd: root, env, timeout: 90_000 })
    await page.getByTestId('cluster-banner').waitFor({ state: 'detached', timeout: 30_000 })
    await expect.poll(() => nodeStatus.textContent(), { timeout: 30_000 }).toBe('Ready')
    expect(output).not.toContain('[page error]')
  }, 240_000)
})
