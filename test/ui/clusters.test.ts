// The Clusters view end to end in Chromium against `kubelab serve`: create a simulated cluster
// through the wizard, watch the steps, stop/start it, run kubectl in a host terminal, delete it.
// The simulated control plane runs detached: the cluster is deleted at the end, also on failure.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, launchChromium, serveKubelab } from '../helpers/ui'

const chromiumPath = CHROMIUM_PATH
const root = join(import.meta.dirname, '..', '..')
const screenshotDir = join(import.meta.dirname, 'screenshots')
const cluster = 'ui-lab'

const haveChromium = existsSync(chromiumPath)
const haveKubectl = existsSync('/usr/bin/kubectl')
const haveMultipass = spawnSync('sh', ['-c', 'command -v multipass']).status === 0
if (!haveChromium) {
  const message = `UI tests need Debian's Chromium at ${chromiumPath} (apt-get install chromium)`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING UI TESTS: ${message} ***\n`)
}

let home: string
let server: ChildProcess | undefined
let output = ''
let browser: Browser | undefined
let page: Page

function startServe(env: NodeJS.ProcessEnv): Promise<string> {
  const serving = serveKubelab(env, (text) => (output += text))
  server = serving.child
  return serving.url
}

async function shot(name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

/** Visible text of the active xterm (DOM renderer rows). */
async function terminalText(): Promise<string> {
  return (
    (await page
      .locator('.term-area .xterm-rows')
      .first()
      .innerText()
      .catch(() => '')) ?? ''
  )
}

describe.skipIf(!haveChromium)('clusters view in browser mode', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui-clusters-'))
    const url = await startServe({ ...process.env, KUBELAB_HOME: home, SHELL: '/bin/bash', HOME: home })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1200, height: 860 } })
    page.on('pageerror', (err) => (output += `\n[page error] ${err.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') output += `\n[console error] ${m.text()}`
    })
    page.on('dialog', (d) => void d.accept())
    await page.goto(url)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    // Whatever happened, no detached control plane may outlive the test.
    if (home && existsSync(join(home, 'clusters', cluster))) {
      spawnSync(process.execPath, [join(root, 'bin', 'kubelab.mjs'), 'delete', cluster], { env: { ...process.env, KUBELAB_HOME: home }, timeout: 60_000 })
    }
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 500))
      if (server.exitCode === null) server.kill('SIGKILL')
    }
    if (home) await rm(home, { recursive: true, force: true })
  }, 90_000)

  it('checks each wizard field in words, keeps the form and the checks, sends nothing invalid; Esc closes it', async () => {
    await page.getByTestId('clusters-empty').waitFor()
    await page.locator('[data-action="empty-create"]').click()
    const wizard = page.getByTestId('wizard')
    await wizard.waitFor()
    // Defaults are the CLI's (simulated nodes advertise 4 CPUs and 8Gi; 2 workers).
    expect(await wizard.locator('input[name="workers"]').inputValue()).toBe('2')
    expect(await wizard.locator('input[name="cpu"]').inputValue()).toBe('4')
    expect(await wizard.locator('input[name="memory"]').inputValue()).toBe('8Gi')
    await page.locator('[data-check="provider"][data-status="pass"]').waitFor()
    await wizard.locator('input[name="name"]').fill('')
    await wizard.locator('input[name="workers"]').fill('')
    await wizard.locator('input[name="memory"]').fill('lots')
    expect(await wizard.locator('[data-error="name"]').textContent()).toContain('Give the cluster a name')
    expect(await wizard.locator('[data-error="workers"]').textContent()).toContain('how many worker nodes')
    expect(await wizard.locator('[data-error="memory"]').textContent()).toContain('Not a memory amount')
    // The checklist stays, no backend error replaces it, Create stays disabled and says why.
    expect(await page.locator('[data-check="provider"]').count()).toBe(1)
    await page.getByTestId('preflight-paused').waitFor()
    expect(await wizard.locator('.checks .problem').count()).toBe(0)
    expect(await wizard.locator('[data-action="create"]').isEnabled()).toBe(false)
    expect(await page.getByTestId('create-why-not').textContent()).toContain('Fix the fields')
    expect(await page.getByTestId('node-summary').count()).toBe(0)
    await wizard.locator('input[name="name"]').fill('Bad_Name')
    expect(await wizard.locator('[data-error="name"]').textContent()).toContain('lowercase letters')
    await shot('wizard-validation')
    // Fixed fields run the checks again; "Check again" re-runs them on demand.
    await wizard.locator('input[name="name"]').fill('fixed')
    await wizard.locator('input[name="workers"]').fill('1')
    await wizard.locator('input[name="memory"]').fill('8Gi')
    await expect.poll(() => page.getByTestId('preflight-paused').count()).toBe(0)
    await expect.poll(() => wizard.locator('[data-action="create"]').isEnabled(), { timeout: 15_000 }).toBe(true)
    await wizard.locator('[data-action="check-again"]').click()
    await page.locator('[data-check="provider"][data-status="pass"]').waitFor()
    await page.keyboard.press('Escape')
    await wizard.waitFor({ state: 'detached' })
  })

  it('offers 3 or 5 control planes on etcd where nodes are machines, and none for hollow nodes', async () => {
    await page.locator('[data-action="empty-create"]').click()
    const wizard = page.getByTestId('wizard')
    await wizard.waitFor()
    await wizard.locator('input[name="provider"][value="simulated"]').check()
    const cps = wizard.locator('select[name="controlPlanes"]')
    expect(await cps.count()).toBe(0)
    // local needs root, qemu only its binary: CI has both.
    await wizard.locator('input[name="provider"][value="local"]:not([disabled]), input[name="provider"][value="qemu"]:not([disabled])').first().check()
    await cps.selectOption('3')
    const store = wizard.locator('select[name="store"]')
    expect(await store.inputValue()).toBe('etcd')
    expect(await store.locator('option[value="embedded"]').isDisabled()).toBe(true)
    await expect.poll(() => page.getByTestId('node-summary').textContent()).toMatch(/^3 control-plane nodes \(etcd\) \+ \d+ workers?$/)
    await shot('wizard-ha')
    await wizard.locator('input[name="provider"][value="simulated"]').check()
    expect(await cps.count()).toBe(0)
    await expect.poll(() => page.getByTestId('node-summary').textContent()).toMatch(/^1 control-plane node \+ \d+ workers?$/)
    await page.keyboard.press('Escape')
    await wizard.waitFor({ state: 'detached' })
  })

  it.skipIf(haveMultipass)("shows an unavailable provider's install URL as a link and its command as code with Copy", async () => {
    await page.locator('[data-action="empty-create"]').click()
    const wizard = page.getByTestId('wizard')
    await wizard.waitFor()
    const problem = wizard.locator('[data-problem="multipass"]')
    await problem.waitFor()
    expect(await problem.locator('a.link').getAttribute('href')).toBe('https://canonical.com/multipass/install')
    expect(await problem.locator('code.cmd').textContent()).toBe('sudo snap install multipass')
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    const copy = problem.locator('[data-action="copy-command"]')
    expect(await copy.textContent()).toBe('Copy')
    await copy.click()
    await expect.poll(() => copy.textContent()).toBe('Copied')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('sudo snap install multipass')
    // Check again asks for the providers too (one may have been installed meanwhile).
    await wizard.locator('[data-action="check-again"]').click()
    await page.locator('[data-check="provider"][data-status="pass"]').waitFor()
    await problem.waitFor()
    await page.keyboard.press('Escape')
    await wizard.waitFor({ state: 'detached' })
  })

  it('creates a simulated cluster through the wizard and shows its steps', async () => {
    await page.getByTestId('clusters-empty').waitFor()
    await page.locator('[data-action="empty-create"]').click()
    const wizard = page.getByTestId('wizard')
    await wizard.waitFor()
    await wizard.locator('input[name="name"]').fill(cluster)
    await wizard.locator('input[name="provider"][value="simulated"]').check()
    await wizard.locator('input[name="workers"]').fill('2')
    // Preflight runs as the form changes; the provider and memory checks must pass.
    await page.locator('[data-check="provider"][data-status="pass"]').waitFor()
    await page.locator('[data-check="name"][data-status="pass"]').waitFor()
    await page.locator('[data-check="memory"]').waitFor()
    await expect.poll(() => wizard.locator('[data-action="create"]').isEnabled()).toBe(true)
    await shot('wizard')

    await wizard.locator('[data-action="create"]').click()
    const op = page.getByTestId('operation')
    await op.waitFor()
    await page.locator('[data-step="preflight"][data-state="done"]').waitFor({ timeout: 30_000 })
    await shot('provisioning')
    await page.locator('[data-testid="operation"][data-op-state="succeeded"]').waitFor({ timeout: 120_000 })
    const steps = await page.locator('[data-step]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-state')}`))
    expect(steps).toEqual(['preflight:done', 'machines:done', 'control-plane:done', 'nodes:done'])
    // Each finished step shows its elapsed time.
    const times = await page.locator('[data-step] .step-time').allInnerTexts()
    expect(times.every((t) => /^\d+(\.\d)?s$|^\d+m \d\ds$/.test(t.trim()))).toBe(true)
    expect(output).not.toContain('[page error]')
  }, 180_000)

  it('lists the cluster Running with its nodes', async () => {
    await page.locator('[data-action="close-wizard"]').click()
    const card = page.locator(`[data-cluster="${cluster}"]`)
    await page.locator(`[data-cluster="${cluster}"][data-state="running"]`).waitFor()
    await card.locator('[data-node="node-2"]').waitFor({ timeout: 20_000 })
    const nodes = await card.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))
    expect(nodes).toEqual(['control-plane', 'node-1', 'node-2'])
    await expect.poll(() => card.locator('[data-node="node-2"]').textContent(), { timeout: 20_000 }).toContain('running')
    expect(await card.textContent()).toContain('3 nodes')
    await shot('clusters-running')
  }, 60_000)

  it('stops and starts a worker node (failure drill)', async () => {
    const row = page.locator(`[data-cluster="${cluster}"] [data-node="node-1"]`)
    await row.locator('[data-action="node-stop"]').click()
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('stopped')
    await row.locator('[data-action="node-start"]').click()
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('running')
  }, 60_000)

  it('stops and starts the cluster', async () => {
    const card = page.locator(`[data-cluster="${cluster}"]`)
    await card.locator('[data-action="stop"]').click()
    await page.locator(`[data-cluster="${cluster}"][data-state="stopped"]`).waitFor({ timeout: 60_000 })
    await card.locator('[data-action="start"]').click()
    await page.locator(`[data-cluster="${cluster}"][data-state="running"]`).waitFor({ timeout: 120_000 })
    // The start operation finished (its progress panel goes away once it succeeded).
    await expect.poll(() => card.locator('[data-testid="operation"]').count(), { timeout: 30_000 }).toBe(0)
  }, 200_000)

  it.skipIf(!haveKubectl)(
    'runs kubectl in a host terminal whose KUBECONFIG points at the cluster',
    async () => {
      await page.locator(`[data-cluster="${cluster}"] [data-action="terminal"]`).click()
      await page.locator('.tab[data-state="connected"]').waitFor({ timeout: 20_000 })
      await page.locator('.term-area .xterm').first().click()
      await page.keyboard.type('kubectl get nodes\n', { delay: 5 })
      await expect.poll(terminalText, { timeout: 30_000 }).toMatch(/node-2\s+Ready/)
      const text = await terminalText()
      expect(text).toMatch(/NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/)
      expect(text).toMatch(/control-plane\s+Ready/)
      expect(text).toMatch(/node-1\s+Ready/)
      await shot('terminal')

      // Ending the shell closes the tab's session; Enter reconnects a fresh one.
      await page.keyboard.type('exit\n')
      await page.locator('.tab[data-state="closed"]').waitFor({ timeout: 20_000 })
      await page.keyboard.press('Enter')
      await page.locator('.tab[data-state="connected"]').waitFor({ timeout: 20_000 })
    },
    90_000,
  )

  it('deletes the cluster', async () => {
    await page.locator('[data-nav="clusters"]').click()
    await page.locator(`[data-cluster="${cluster}"] [data-action="delete"]`).click()
    await page.getByTestId('clusters-empty').waitFor({ timeout: 60_000 })
    expect(existsSync(join(home, 'clusters', cluster))).toBe(false)
    expect(output).not.toContain('[page error]')
  }, 90_000)
})
