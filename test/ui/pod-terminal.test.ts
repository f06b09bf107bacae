// A pod terminal and pod logs in Debian's Chromium against `kubelab serve`, on a real `local`
// cluster (root: network namespaces and containerd), made with the CLI and deleted at the end.
// Exec: open a shell from the pod's detail page, type, see the output, `exit 3` shows the tab
// closed with its exit code, Enter reconnects. Logs: pick each container of a pod with an init
// container and two app containers, then download the shown log.
import { type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, launchChromium, serveKubelab } from '../helpers/ui'
import { kubectlCli, kubelabCli } from '../helpers/cli'

const chromiumPath = CHROMIUM_PATH
const kubectlPath = '/usr/bin/kubectl'
const screenshotDir = join(import.meta.dirname, 'screenshots')
const cluster = 'ui6'

const needs: string[] = []
if (!existsSync(chromiumPath)) needs.push(`Debian's Chromium at ${chromiumPath}`)
if (!existsSync(kubectlPath)) needs.push(`kubectl at ${kubectlPath}`)
if (process.platform !== 'linux' || process.getuid?.() !== 0) needs.push('root on Linux (the local provider makes network namespaces)')
if (!existsSync('/usr/bin/containerd') && !existsSync('/usr/sbin/containerd')) needs.push('containerd')
if (needs.length > 0) {
  const message = `the pod terminal UI test needs ${needs.join(', ')}`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING POD TERMINAL UI TEST: ${message} ***\n`)
}

// An init container and two app containers, each saying something different.
const pod = `apiVersion: v1
kind: Pod
metadata:
  name: multi
  namespace: default
spec:
  initContainers:
  - name: setup
    image: kubelab.local/busybox:1
    command: ['sh', '-c', 'echo init-says-hello']
  containers:
  - name: app
    image: kubelab.local/busybox:1
    command: ['sh', '-c', 'echo app-line-1; echo app-line-2; sleep 3601']
  - name: sidecar
    image: kubelab.local/busybox:1
    command: ['sh', '-c', 'echo sidecar-says-hi; sleep 3602']
`

let home: string
let env: NodeJS.ProcessEnv
let server: ChildProcess | undefined
let output = ''
let browser: Browser | undefined
let page: Page

function startServe(): Promise<string> {
  const serving = serveKubelab(env, (text) => (output += text))
  server = serving.child
  return serving.url
}

const kubelab = kubelabCli({ env: () => env })

const kubectl = kubectlCli({ bin: kubectlPath, env: () => env, kubeconfig: () => join(home, 'clusters', cluster, 'kubeconfig') })

async function shot(name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) })
}

/** The log pane's text, or the error the view shows instead (so a failure says why). */
async function logText(): Promise<string> {
  if ((await page.getByTestId('log-error').count()) > 0) return `ERROR: ${await page.getByTestId('log-error').innerText()}`
  return (
    (await page
      .getByTestId('log-lines')
      .innerText()
      .catch(() => '')) ?? ''
  )
}

/** Visible text of the active xterm (DOM renderer rows). */
async function terminalText(): Promise<string> {
  return (
    (await page
      .locator('.term-area .xterm-host:visible .xterm-rows')
      .first()
      .innerText()
      .catch(() => '')) ?? ''
  )
}

describe.skipIf(needs.length > 0)('pod terminal and pod logs on a local cluster', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-ui6-'))
    env = { ...process.env, KUBELAB_HOME: home, KUBECONFIG: join(home, 'user-kubeconfig') }
    await kubelab('create', cluster, '--provider', 'local', '--workers', '1', '--timeout', '240')
    await kubectl.stdin(pod, 'apply', '-f', '-')
    await kubectl('wait', '--for=condition=Ready', 'pod/multi', '--timeout=120s')
    const url = await startServe()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })
    page.on('pageerror', (err) => (output += `\n[page error] ${err.message}`))
    await page.goto(url)
    await page.getByTestId('nav-cluster').selectOption(cluster)
  }, 480_000)

  afterAll(async () => {
    await browser?.close()
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 500))
      if (server.exitCode === null) server.kill('SIGKILL')
    }
    // Delete the cluster even when a test failed: no namespace, bridge or containerd may stay.
    // When delete fails the folder is kept: its cluster.json is what a later delete needs.
    let deleted = true
    if (home && existsSync(join(home, 'clusters', cluster))) {
      await kubelab('delete', cluster).catch((e) => {
        deleted = false
        console.warn(`\n*** cluster ${cluster} was NOT deleted (${e}); remove it with: KUBELAB_HOME=${home} node bin/kubelab.mjs delete ${cluster} ***\n`)
      })
    }
    if (home && deleted) await rm(home, { recursive: true, force: true })
  }, 240_000)

  it('opens a shell in a pod container from its detail page, runs a command, shows the exit code, reconnects on Enter', async () => {
    await page.locator('[data-nav="resources"]').click()
    await page.locator('[data-type="pods"]').click()
    await page.locator('[data-row="default/multi"]').click()
    await page.getByTestId('detail').waitFor()
    // Two app containers: the picker offers both; the init container is not offered for a shell.
    const picker = page.getByTestId('shell-container')
    await expect.poll(() => picker.locator('option').allTextContents(), { timeout: 15_000 }).toEqual(['app', 'sidecar'])
    await picker.selectOption('sidecar')
    await page.locator('[data-action="pod-shell"]').click()

    const tab = page.locator('.tab[data-kind="pod"]').last()
    await expect.poll(() => tab.getAttribute('data-state'), { timeout: 30_000 }).toBe('connected')
    expect(await tab.textContent()).toContain('default/multi (sidecar)')
    await page.locator('.term-area .xterm-host:visible').click()
    await page.keyboard.type('echo hello-$((6*7))\n', { delay: 5 })
    await expect.poll(terminalText, { timeout: 30_000 }).toContain('hello-42')
    // The shell runs in the sidecar container: its first process is the sidecar's (sh execs its
    // last command, so PID 1 is the sidecar's own `sleep 3602`, the app's is `sleep 3601`).
    await page.keyboard.type("tr '\\0' ' ' < /proc/1/cmdline; echo\n", { delay: 5 })
    await expect.poll(terminalText, { timeout: 30_000 }).toContain('sleep 3602')
    await shot('pod-terminal')

    await page.keyboard.type('exit 3\n')
    await expect.poll(() => tab.getAttribute('data-state'), { timeout: 30_000 }).toBe('closed')
    expect(await tab.getAttribute('data-exit-code')).toBe('3')
    expect(await tab.getByTestId('tab-state').textContent()).toBe('exit 3')
    expect(await page.getByTestId('terminal-reason').textContent()).toContain('exit code 3')
    await expect.poll(terminalText, { timeout: 10_000 }).toContain('with exit code 3. Press Enter to reconnect.')
    await shot('pod-terminal-closed')

    await page.keyboard.press('Enter')
    await expect.poll(() => tab.getAttribute('data-state'), { timeout: 30_000 }).toBe('connected')
    expect(await tab.getAttribute('data-exit-code')).toBe('')
    await page.keyboard.type('echo again-$((40+2))\n', { delay: 5 })
    await expect.poll(terminalText, { timeout: 30_000 }).toContain('again-42')
    await page.keyboard.type('exit\n')
    await expect.poll(() => tab.getAttribute('data-exit-code'), { timeout: 30_000 }).toBe('0')
    expect(output).not.toContain('[page error]')
  }, 180_000)

  it('reads each container of a multi-container pod, init container included, and downloads the log', async () => {
    await page.locator('[data-nav="logs"]').click()
    await page.locator('select.log-source').selectOption('pod:default/multi')
    const lines = page.getByTestId('log-lines')
    const picker = page.getByTestId('log-container')
    await picker.waitFor()
    await expect.poll(() => picker.locator('option').allTextContents(), { timeout: 15_000 }).toEqual(['setup (init)', 'app', 'sidecar'])
    // No container named: the pod's first app container, as kubectl logs does.
    expect(await picker.inputValue()).toBe('app')
    await expect.poll(logText, { timeout: 30_000 }).toContain('app-line-2')
    expect(await lines.innerText()).toContain('app-line-1')

    await picker.selectOption('sidecar')
    await expect.poll(logText, { timeout: 30_000 }).toContain('sidecar-says-hi')
    expect(await lines.innerText()).not.toContain('app-line-1')
    expect(await page.getByTestId('log-title').textContent()).toContain('default/multi (sidecar)')

    await picker.selectOption('setup')
    await expect.poll(logText, { timeout: 30_000 }).toContain('init-says-hello')
    await shot('logs-containers')

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.locator('[data-action="log-download"]').click()])
    expect(download.suggestedFilename()).toMatch(/^default_multi_setup-\d{4}-\d\d-\d\dT[\d-]+Z\.log$/)
    const saved = await download.path()
    expect(await readFile(saved, 'utf8')).toBe('init-says-hello\n')
    expect(await page.getByTestId('log-error').count()).toBe(0)
    expect(output).not.toContain('[page error]')
  }, 120_000)
})
