// Opening the app's URL in the user's browser (`kubelab app` in browser mode). $BROWSER wins, as
// for git, Python's webbrowser and xdg-open itself; else the platform's opener. Never fatal: the
// caller prints the URL either way and says why no browser came up.
import { spawn } from 'node:child_process'

export type OpenResult = { ok: true; via: string } | { ok: false; reason: string }

export interface Opener {
  command: string
  args: string[]
}

/** The command that would open `url`, or why there is none. */
export function browserOpener(url: string, env: NodeJS.ProcessEnv, platform: string = process.platform): Opener | { reason: string } {
  const fromEnv = (env.BROWSER ?? '').split(':')[0]?.trim() ?? ''
  if (fromEnv !== '') {
    // `BROWSER="firefox --new-window"` and `BROWSER="chromium %s"` are both in use.
    const words = fromEnv.split(/\s+/)
    const args = words.slice(1)
    const withUrl = args.some((a) => a.includes('%s')) ? args.map((a) => a.replaceAll('%s', url)) : [...args, url]
    return { command: words[0] as string, args: withUrl }
  }
  if (platform === 'darwin') return { command: 'open', args: [url] }
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replaceAll('&', '^&')] }
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display to open a browser on (set BROWSER to choose one)' }
  }
  return { command: 'xdg-open', args: [url] }
}

/**
 * Starts the opener detached (the browser outlives KubeLab). Openers such as xdg-open and open
 * return at once with their verdict; a browser started directly keeps running, so after a few
 * seconds without an exit it counts as opened.
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv, platform: string = process.platform): Promise<OpenResult> {
  const opener = browserOpener(url, env, platform)
  if ('reason' in opener) return Promise.resolve({ ok: false, reason: opener.reason })
  const via = opener.command
  return new Promise((resolve) => {
    let settled = false
    let child: ReturnType<typeof spawn> | undefined
    const done = (r: OpenResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // Only now: until the verdict, the child keeps a process that has nothing else to do alive.
      child?.unref()
      resolve(r)
    }
    const timer = setTimeout(() => done({ ok: true, via }), 5000)
    try {
      child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', env })
    } catch (err) {
      done({ ok: false, reason: `${via} could not be started: ${err instanceof Error ? err.message : String(err)}` })
      return
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      done({ ok: false, reason: err.code === 'ENOENT' ? `${via} is not installed` : `${via} could not be started: ${err.message}` })
    })
    child.on('exit', (code, signal) => {
      if (code === 0) done({ ok: true, via })
      else done({ ok: false, reason: `${via} failed (${signal ?? `exit code ${code}`})` })
    })
  })
}
