// `npm start` (`kubelab app`) where Electron cannot run: it serves browser mode, opens the URL in
// the user's browser itself ($BROWSER here: a script that records what it was asked to open,
// which Chromium then loads), says how to get the desktop window, and on a taken port tells a
// KubeLab already serving (reused: its link is opened) from another program.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../helpers/wait'

const chromiumPath = '/usr/bin/chromium'
const root = join(import.meta.dirname, '..', '..')
const haveChromium = existsSync(chromiumPath)
if (!haveChromium && process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(`UI tests need Debian's Chromium at ${chromiumPath}`)

interface Run {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

let dir: string
let home: string
let opened: string
let browser: Browser
const runs: Run[] = []
let squatter: Server | undefined

function start(args: string[], env: NodeJS.ProcessEnv): Run {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, KUBELAB_HOME: home, BROWSER: join(dir, 'browser.sh'), ...env }
  // An environment without Electron's display: the case `npm start` must handle by itself.
  delete childEnv.DISPLAY
  delete childEnv.WAYLAND_DISPLAY
  const child = spawn(process.execPath, [join(root, 'bin', 'kubelab.mjs'), 'app', ...args], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const run = { child, output: () => text, exited }
  runs.push(run)
  return run
}

async function openedUrls(): Promise<string[]> {
  try {
    return (await readFile(opened, 'utf8')).split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}

async function showsApp(url: string): Promise<string | null> {
  // A fresh context: no cookie from an earlier visit, so the link itself must carry the secret.
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(url)
    await page.locator('h1').waitFor({ timeout: 15_000 })
    return await page.locator('h1').textContent()
  } finally {
    await context.close()
  }
}

describe.skipIf(!haveChromium)('npm start without Electron', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubelab-start-'))
    home = join(dir, 'home')
    opened = join(dir, 'opened.txt')
    await writeFile(join(dir, 'browser.sh'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`)
    await chmod(join(dir, 'browser.sh'), 0o755)
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL')
    await Promise.all(runs.map((r) => r.exited))
    squatter?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  }, 30_000)

  it('opens the browser-mode app itself, says how to get the window, and reuses a KubeLab already serving on the port', async () => {
    const first = start(['--port', '0'], {})
    await until('the launch message', () => /Opened it in your browser|Could not open/.test(first.output()), { timeoutMs: 120_000, intervalMs: 50 })
    const out = first.output()
    expect(out).toContain('Not starting the desktop window: there is no display')
    expect(out).toContain('run `npm start` in a desktop session')
    const launchUrl = /serving at (http:\/\/\S+)/.exec(out)?.[1] ?? ''
    expect(launchUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    expect(out).toContain(`Opened it in your browser (${join(dir, 'browser.sh')})`)
    expect(await openedUrls()).toEqual([launchUrl])
    expect(await showsApp(launchUrl)).toBe('KubeLab')

    // A second start on the same port finds it, says so, opens its link and leaves.
    const port = new URL(launchUrl).port
    const second = start(['--port', port], {})
    expect(await second.exited).toBe(0)
    expect(second.output()).toContain(`KubeLab is already serving on port ${port} on 127.0.0.1 (process ${first.child.pid}): use that one at ${launchUrl}`)
    expect(await openedUrls()).toEqual([launchUrl, launchUrl])
    expect(await showsApp(launchUrl)).toBe('KubeLab')

    // One started from another KubeLab home has no link to offer: it says whose port it is.
    const third = start(['--port', port], { KUBELAB_HOME: join(dir, 'other-home') })
    expect(await third.exited).toBe(1)
    expect(third.output()).toContain(`another KubeLab (another user's, or one with another KUBELAB_HOME) is serving on port ${port}`)
    expect(await openedUrls()).toHaveLength(2)

    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)
  }, 180_000)

  it('says what to do when another program has the port, and when no browser can be opened', async () => {
    // A program that accepts and hangs up: not KubeLab.
    squatter = createServer((socket) => socket.destroy())
    await new Promise<void>((done) => squatter?.listen(0, '127.0.0.1', () => done()))
    const port = String((squatter.address() as { port: number }).port)
    const taken = start(['--port', port], {})
    expect(await taken.exited).toBe(1)
    expect(taken.output()).toContain(`port ${port} on 127.0.0.1 is taken by another program (not KubeLab)`)
    expect(taken.output()).toContain('pass --port with another number (--port 0 picks any free one)')
    await new Promise<void>((done) => squatter?.close(() => done()))
    squatter = undefined

    const noBrowser = start(['--port', '0'], { BROWSER: join(dir, 'no-such-browser') })
    await until('the no-browser message', () => noBrowser.output().includes('Could not open a browser'), { timeoutMs: 60_000, intervalMs: 50 })
    expect(noBrowser.output()).toContain(`Could not open a browser: ${join(dir, 'no-such-browser')} is not installed. Open the URL above yourself.`)
    const launchUrl = /serving at (http:\/\/\S+)/.exec(noBrowser.output())?.[1] ?? ''
    expect(await showsApp(launchUrl)).toBe('KubeLab')
    noBrowser.child.kill('SIGINT')
    expect(await noBrowser.exited).toBe(0)
  }, 120_000)
})
