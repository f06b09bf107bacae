// The renderer in Debian's Chromium against `kubelab serve` (browser mode), end to end:
// CLI → HTTP + WebSocket server → backend → Vue/Pinia UI.
import { type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, launchChromium, serveKubelab } from '../helpers/ui'

const chromiumPath = CHROMIUM_PATH
const screenshotDir = join(import.meta.dirname, 'screenshots')

const haveChromium = existsSync(chromiumPath)
if (!haveChromium) {
  const message = `UI tests need Debian's Chromium at ${chromiumPath} (apt-get install chromium)`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING UI TESTS: ${message} ***\n`)
}

let home: string
let server: ChildProcess
let serverOutput = ''
let url: string
let browser: Browser
let page: Page

/** Starts `kubelab serve --port 0` and resolves with the URL it prints. */
function startServe(env: NodeJS.ProcessEnv): Promise<string> {
  const serving = serveKubelab(env, (text) => (serverOutput += text))
  server = serving.child
  return serving.url
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe.skipIf(!haveChromium)('desktop shell in browser mode', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui-'))
    url = await startServe({ ...process.env, KUBELAB_HOME: home })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1000, height: 640 } })
    page.on('pageerror', (err) => {
      serverOutput += `\n[page error] ${err.message}`
    })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    if (server && server.exitCode === null) server.kill('SIGKILL')
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('shows the header, an honest empty cluster list and app info', async () => {
    await page.goto(url)
    await expect.poll(() => page.locator('h1').textContent()).toBe('KubeLab')
    const empty = page.getByTestId('clusters-empty')
    await empty.waitFor()
    expect(await empty.textContent()).toContain('No clusters yet')
    expect(await empty.textContent()).toContain('npx kubelab create')
    expect(await page.locator('[data-action="empty-create"]').count()).toBe(1)
    const footer = page.getByTestId('app-info')
    await expect.poll(() => footer.textContent()).toMatch(/KubeLab \d+\.\d+\.\d+ · browser mode · linux · Node v\d+/)
    await mkdir(screenshotDir, { recursive: true })
    await page.screenshot({ path: join(screenshotDir, 'empty.png'), fullPage: true })
  })

  it('lists a cluster found in KUBELAB_HOME', async () => {
    await mkdir(join(home, 'clusters', 'lab-one'), { recursive: true })
    await writeFile(
      join(home, 'clusters', 'lab-one', 'cluster.json'),
      JSON.stringify({
        provider: 'simulated',
        state: 'running',
        nodes: [{ name: 'lab-one-master' }, { name: 'lab-one-worker-1' }, { name: 'lab-one-worker-2' }],
        createdAt: '2025-06-01T09:30:00Z',
      }),
    )
    await page.getByRole('button', { name: 'Refresh' }).click()
    const item = page.locator('[data-cluster="lab-one"]')
    await item.waitFor()
    const text = (await item.textContent()) ?? ''
    expect(text).toContain('lab-one')
    expect(text).toContain('simulated')
    expect(text).toContain('3 nodes')
    expect(text).toContain('running')
    expect(await page.getByTestId('clusters-empty').count()).toBe(0)
    await mkdir(screenshotDir, { recursive: true })
    await page.screenshot({ path: join(screenshotDir, 'clusters.png'), fullPage: true })
    expect(serverOutput).not.toContain('[page error]')
  })

  it('stops cleanly on SIGTERM', async () => {
    server.kill('SIGTERM')
    expect(await exitCode(server)).toBe(0)
    expect(serverOutput).toContain('Stopped (SIGTERM).')
  })
})
