// Test harness: an in-process API server on a free loopback port, and the real kubectl
// (/usr/bin/kubectl) pointed at it with its own kubeconfig and discovery cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCommand, stdoutOf } from './cli'
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src-cluster/apiserver/server'

export interface KubectlResult {
  code: number
  stdout: string
  stderr: string
}

export interface TestApiServer {
  server: ApiServer
  dir: string
  kubeconfig: string
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>
  /** kubectl that must succeed; returns stdout. */
  k(...args: string[]): Promise<string>
  close(): Promise<void>
}

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl'

/**
 * No controller manager runs here, so no namespace gets its `default` ServiceAccount and the
 * ServiceAccount admission would refuse every pod: it is off unless a test passes
 * `disableAdmissionPlugins: []` (as upstream's integration tests run kube-apiserver with
 * `--disable-admission-plugins=ServiceAccount`).
 */
export async function startTestApiServer(opts: Partial<ApiServerOptions> = {}): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-api-'))
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const server = await startApiServer({
    dataDir: join(dir, 'data'),
    securePort: 0,
    adminKubeconfig: kubeconfig,
    log: () => {},
    disableAdmissionPlugins: ['ServiceAccount'],
    ...opts,
  })
  const cacheDir = join(dir, 'kube-cache')
  const kubectl: TestApiServer['kubectl'] = (args, o = {}) =>
    runCommand(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
      env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig, ...(o.env ?? {}) },
      timeoutMs: o.timeoutMs,
      input: o.input,
    })
  return {
    server,
    dir,
    kubeconfig,
    kubectl,
    async k(...args: string[]) {
      return stdoutOf(`kubectl ${args.join(' ')}`, await kubectl(args))
    },
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function writeManifest(dir: string, name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
