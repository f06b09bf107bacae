// The lab panel in Debian's Chromium against `kubelab serve`, on a simulated cluster made with
// the CLI: the catalogue says which labs this cluster can run; start the namespaces lab; Check
// shows the runner's reason; progress survives a restart of the backend; a step's Run button
// types its command into the lab shell; the rest typed by hand turns Check green; Reset puts
// the step back.
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
const cluster = 'labs-ui'

const missing = [chromiumPath, kubectlPath].filter((p) => !existsSync(p))
if (missing.length > 0) {
  const message = `the labs UI test needs ${missing.join(' and ')}`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING LABS UI TEST: ${message} ***\n`)
}

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

async function stopServe(): Promise<void> {
  const child = server
  server = undefined
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** When `kubelab delete` fails, still stop the cluster's control plane so no process is left. */
async function stopLeftover(): Promise<void> {
  try {
    const pid = Number((await readFile(join(home, 'clusters', cluster, 'control-plane.pid'), 'utf8')).trim())
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

async function openLabs(url: string): Promise<void> {
  await page.goto(url)
  await page.getByTestId('nav-cluster').selectOption(cluster)
  await page.locator('[data-nav="labs"]').click()
}

/** Presses Check and waits for its answer (the button is busy meanwhile). */
async function check(): Promise<{ outcome: string | null; text: string }> {
  const button = page.locator('[data-action="lab-check"]')
  await button.click()
  const result = page.getByTestId('lab-check-result')
  await result.waitFor({ timeout: 60_000 })
  return { outcome: await result.getAttribute('data-outcome'), text: (await result.textContent()) ?? '' }
}

describe.skipIf(missing.length > 0)('the lab panel in browser mode', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui-labs-'))
    env = { ...process.env, KUBELAB_HOME: home, KUBECONFIG: join(home, 'user-kubeconfig') }
    created = true
    await run(process.execPath, [cli, 'create', cluster, '--provider', 'simulated', '--workers', '1'], { cwd: root, env, timeout: 180_000 })
    const url = await startServe()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } })
    page.on('pageerror', (err) => (output += `\n[page error] ${err.message}`))
    await openLabs(url)
  }, 300_000)

  afterAll(async () => {
    await browser?.close()
    await stopServe()
    // Delete the cluster even when a test failed, so no control plane is left running.
    if (created)
      await run(process.execPath, [cli, 'delete', cluster], { cwd: root, env, timeout: 60_000 }).catch(async (e) => {
        console.warn(`cluster delete failed: ${e}`)
        await stopLeftover()
      })
    if (home) await rm(home, { recursive: true, force: true })
  }, 120_000)

  it('shows the catalogue with what this cluster can run and why not', async () => {
    // Lab titles are headings (screen readers list them).
    await page.locator('[data-lab="namespaces"] h4.lab-title').waitFor({ timeout: 30_000 })
    const card = page.locator('[data-lab="namespaces"]')
    await card.waitFor({ timeout: 60_000 })
    await expect.poll(() => card.getAttribute('data-fit'), { timeout: 60_000 }).toBe('yes')
    expect(await card.textContent()).toContain('Namespaces')
    expect(await card.textContent()).toMatch(/beginner|5 min/)
    // A lab that needs real containers says why a simulated cluster cannot run it.
    const unfit = page.locator('.lab-card[data-fit="no"]').first()
    await unfit.waitFor()
    expect(await unfit.getByTestId('lab-unmet').textContent()).toContain('simulated nodes')
    expect(await unfit.locator('[data-action="lab-start"]').isDisabled()).toBe(true)
    await shot('labs-catalogue')
  })

  it("starts a lab; Check shows the runner's reason", async () => {
    await page.locator('[data-lab="namespaces"] [data-action="lab-start"]').click()
    const panel = page.getByTestId('lab-panel')
    await panel.waitFor({ timeout: 120_000 })
    expect(await panel.getAttribute('data-step')).toBe('1')
    expect(await page.getByTestId('lab-step-label').textContent()).toBe('Step 1 of 1')
    expect(await page.getByTestId('lab-step-title').textContent()).toContain('Create namespace team-a')
    const r = await check()
    expect(r.outcome).toBe('failed')
    expect(r.text).toContain('namespace team-a not found')
    // Hints unlock after two failed checks: the runner says so.
    await page.locator('[data-action="lab-hint"]').click()
    await expect.poll(() => page.getByTestId('lab-hint-note').textContent(), { timeout: 30_000 }).toContain('Press Check 1 more time')
  })

  it('keeps the lab and its last reason across a restart of the backend', async () => {
    await stopServe()
    const url = await startServe()
    await openLabs(url)
    const panel = page.getByTestId('lab-panel')
    await panel.waitFor({ timeout: 60_000 })
    expect(await panel.getAttribute('data-lab')).toBe('namespaces')
    expect(await page.getByTestId('lab-last-reason').textContent()).toContain('namespace team-a not found')
  })

  it("runs a step's command in the lab shell; Check turns green once the work is done", async () => {
    await expect.poll(() => page.getByTestId('lab-terminal').getAttribute('data-state'), { timeout: 30_000 }).toBe('connected')
    // The shell's history has no leftover "[connecting…]" line (the header's dot says it).
    expect(await page.getByTestId('lab-terminal').locator('.xterm-rows').textContent()).not.toContain('[connecting')
    await page.getByTestId('lab-panel').locator('[data-lab-action="exec"]').first().click()
    await expect.poll(async () => (await kubectl('get', 'namespaces', '-o', 'name')).split('\n'), { timeout: 30_000 }).toContain('namespace/team-a')
    const half = await check()
    expect(half.outcome).toBe('failed')
    expect(half.text).toContain("label team on namespace team-a is ''; expected a")
    // Second failed check: a hint is unlocked and shows its text.
    await page.locator('[data-action="lab-hint"]').click()
    await expect.poll(() => page.getByTestId('lab-hints').textContent(), { timeout: 30_000 }).toContain('kubectl create namespace NAME')
    await page.waitForTimeout(300) // let the terminal paint its last output before the picture
    await shot('labs')

    // The rest by hand, in the shell beside the panel.
    await page.locator('.lab-xterm').click()
    await page.keyboard.type('kubectl label namespace team-a team=a')
    await page.keyboard.press('Enter')
    await expect.poll(async () => (await kubectl('get', 'namespace', 'team-a', '-o', 'jsonpath={.metadata.labels.team}')).trim(), { timeout: 30_000 }).toBe('a')
    const done = await check()
    expect(done.outcome).toBe('passed')
    expect(done.text).toContain('Step 1 passed')
    expect(await page.getByTestId('lab-panel').getAttribute('data-finished')).toBe('true')
    expect(await page.getByTestId('lab-step-label').textContent()).toContain('Finished')
    await shot('labs-finished')
  })

  it('Reset puts the step back to its starting state', async () => {
    // Reset asks first.
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Reset this step?')
      void d.accept()
    })
    await page.locator('[data-action="lab-reset"]').click()
    const panel = page.getByTestId('lab-panel')
    await expect.poll(() => panel.getAttribute('data-finished'), { timeout: 120_000 }).toBe('false')
    expect(await panel.getAttribute('data-step')).toBe('1')
    // The step's background deleted team-a again.
    await expect.poll(async () => (await kubectl('get', 'namespaces', '-o', 'name')).split('\n'), { timeout: 60_000 }).not.toContain('namespace/team-a')
    const again = await check()
    expect(again.outcome).toBe('failed')
    expect(again.text).toContain('namespace team-a not found')
    expect(output).not.toContain('[page error]')
  })

  it('shows a solution without its shell boilerplate', async () => {
    await page.locator('[data-action="lab-solution"]').click()
    const script = page.getByTestId('lab-solution-script')
    await script.waitFor({ timeout: 30_000 })
    const text = (await script.textContent()) ?? ''
    expect(text.split('\n')[0]).toBe('kubectl create namespace team-a --dry-run=client -o yaml | kubectl apply -f -')
    expect(text).toContain('kubectl label namespace team-a team=a --overwrite')
    expect(text).not.toContain('#!')
    expect(text).not.toContain('set -eu')
  })

  it('says why Check cannot run in words, not its error code', async () => {
    await run(process.execPath, [cli, 'stop', cluster], { cwd: root, env, timeout: 60_000 })
    await page.locator('[data-action="lab-check"]').click()
    const alert = page.getByTestId('lab-error')
    await alert.waitFor({ timeout: 30_000 })
    expect(await alert.textContent()).toContain(`cluster ${cluster} is stopped: start it in Clusters, then try again (your progress is kept)`)
    expect(await alert.textContent()).not.toContain('cluster_not_running')
    // The code stays for tools, out of sight.
    expect(await alert.getAttribute('data-code')).toBe('cluster_not_running')
  })
})
