// The UI tests' browser: Debian's Chromium driven by playwright-core (no browser download), with
// the same flags for every test file.
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (apt-get install chromium); UI tests skip, or fail under KUBELAB_REQUIRE_ALL=1, without it. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Launches headless Chromium for a UI test; the caller closes it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}
