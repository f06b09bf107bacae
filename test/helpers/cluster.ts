// Test harness: a whole cluster in-process — API server, scheduler, controller manager and
// simulated nodes (the `kubelab-node control-plane` code path) — plus the real kubectl pointed
// at it. With `fakeClock: true` every component runs on one FakeClock that tests move with
// advance(); otherwise real time with short start delays.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import type { ClosableClient } from '../../src-cluster/client'
import type { ControllerOptions } from '../../src-cluster/controllers/framework'
import type { SimulatedNodesOptions } from '../../src-cluster/simulated/fleet'
import { FakeClock, realClock, type Clock } from '../../src-cluster/util/clock'
import { KUBECTL, type KubectlResult } from './apiserver'
import { runCommand, stdoutOf } from './cli'
import { until } from './wait'

export interface TestClusterOptions {
  /** Worker nodes node-1 … node-N. Default 3. */
  readonly nodes?: number
  /** Run everything on a FakeClock (advance() moves it). Default false: real time. */
  readonly fakeClock?: boolean
  readonly startDelayMs?: number
  readonly runTimeMs?: number
  readonly controllerOptions?: Partial<ControllerOptions>
  readonly nodeOptions?: Partial<Omit<SimulatedNodesOptions, 'client' | 'clock' | 'count'>>
  /** Serve the node control API (stop/start) on a socket in the test dir. */
  readonly controlSocket?: boolean
  /** Print component logs (debugging). */
  readonly verbose?: boolean
}

export interface TestCluster {
  readonly cp: ControlPlane
  readonly client: ClosableClient
  readonly clock: Clock
  /** Set when fakeClock was asked for. */
  readonly fake?: FakeClock
  readonly dir: string
  readonly kubeconfig: string
  readonly logs: string[]
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>
  /** kubectl that must succeed; returns stdout. */
  k(...args: string[]): Promise<string>
  /**
   * Move the fake clock forward in steps, letting the components' I/O (lease renewals, status
   * writes) land between steps as it would in real time. No-op on a real clock.
   */
  advance(ms: number, stepMs?: number): Promise<void>
  /**
   * Wait until `check` returns a truthy value (re-checked as things change); with a fake clock
   * each round also advances it by `advanceMs`. Throws with `what` and the last value seen.
   */
  waitFor<T>(what: string, check: () => Promise<T | undefined | false>, o?: { timeoutMs?: number; advanceMs?: number }): Promise<T>
  close(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-cluster-'))
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const fake = opts.fakeClock ? new FakeClock(Date.now()) : undefined
  const clock: Clock = fake ?? realClock
  const logs: string[] = []
  const log = (l: string): void => {
    logs.push(l)
    if (logs.length > 5000) logs.shift()
    if (opts.verbose) console.log(l)
  }
  const cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    securePort: 0,
    adminKubeconfig: kubeconfig,
    clock,
    log,
    controllerOptions: opts.controllerOptions,
    controlSocket: opts.controlSocket ? join(dir, 'control.sock') : undefined,
    nodes: {
      count: opts.nodes ?? 3,
      prefix: 'node-',
      startDelayMs: opts.startDelayMs ?? (fake ? 1000 : 50),
      runTimeMs: opts.runTimeMs ?? (fake ? 5000 : 500),
      shutdownMs: fake ? 500 : 20,
      ...opts.nodeOptions,
    },
  })
  const cacheDir = join(dir, 'kube-cache')
  const kubectl: TestCluster['kubectl'] = (args, ko = {}) =>
    runCommand(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
      env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig },
      timeoutMs: ko.timeoutMs,
      input: ko.input,
    })
  const advance = async (ms: number, stepMs = 1000): Promise<void> => {
    if (!fake) return
    for (let done = 0; done < ms; done += stepMs) {
      fake.advance(Math.min(stepMs, ms - done))
      await sleep(15)
    }
  }
  return {
    cp,
    client: cp.client,
    clock,
    fake,
    dir,
    kubeconfig,
    logs,
    kubectl,
    async k(...args) {
      return stdoutOf(`kubectl ${args.join(' ')}`, await kubectl(args))
    },
    advance,
    waitFor<T>(what: string, check: () => Promise<T | undefined | false>, wo: { timeoutMs?: number; advanceMs?: number } = {}): Promise<T> {
      return until(what, check, {
        timeoutMs: wo.timeoutMs ?? 30_000,
        pause: fake && wo.advanceMs ? () => advance(wo.advanceMs!, Math.min(wo.advanceMs!, 1000)) : () => sleep(100),
        context: () => `--- recent component logs:\n${logs.slice(-30).join('\n')}`,
      }) as Promise<T>
    },
    async close() {
      await cp.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
