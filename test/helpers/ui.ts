// The UI tests' browser: Debian's Chromium driven by playwright-core (no browser download), with
// the same flags for every test file.
import { spawn, type ChildProcess } from 'node:child_process'
import { chromium, type Browser } from 'playwright-core'
import { KUBELAB_BIN, ROOT } from './cli'

/** Debian's Chromium (apt-get install chromium); UI tests skip, or fail under KUBELAB_REQUIRE_ALL=1, without it. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Launches headless Chromium for a UI test; the caller closes it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}

/**
 * Starts `kubelab serve --port 0` from the sources with `env`: `child` at once, `url` once it
 * prints where it serves (rejected with its output if it exits first). Every chunk it prints also
 * goes to `onOutput` (the test file's log, shown when a test fails).
 */
export function serveKubelab(env: NodeJS.ProcessEnv, onOutput: (text: string) => void = () => {}): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [KUBELAB_BIN, 'serve', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let printed = ''
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      printed += chunk.toString()
      onOutput(chunk.toString())
      const m = /serving at (http:\/\/\S+)/.exec(printed)
      if (m) resolve(m[1] as string)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`kubelab serve exited with ${code}:\n${printed}`)))
  })
  return { child, url }
}
