import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The slowest files, slowest first (seconds on CI's 2 idle cores, two files at a time). They start
 * first, so a run two files at a time ends with short files rather than waiting on one long one;
 * vitest's own order (longest first from its results cache) only knows them once a run has been
 * cached here, which a fresh CI checkout never has (it then runs the largest files first, and
 * the 3-line labs files last). The two HA files (three etcd members and API servers each) are
 * kept apart by two others, so they do not run side by side. The rest keep vitest's order.
 */
const SLOWEST_FIRST = [
  'test/e2e/labs-local-2.test.ts', // 380
  'test/e2e/labs-local-1.test.ts', // 300
  'test/e2e/local-ha.test.ts', // 165
  'test/e2e/kubelet-more.test.ts', // 95
  'test/e2e/local-workloads.test.ts', // 75
  'test/e2e/multipass-ha.test.ts', // 155
  'test/e2e/virtualbox-cluster.test.ts', // 75
  'test/e2e/multipass-cluster.test.ts', // 65
  'test/e2e/local-etcd.test.ts', // 60
  'test/e2e/netpol.test.ts', // 50
  'test/integration/labs-simulated.test.ts', // 165
  'test/integration/cli-cluster.test.ts', // 35
]

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOWEST_FIRST.findIndex((p) => f.moduleId.endsWith(p))
      return i < 0 ? SLOWEST_FIRST.length : i
    }
    // Array.prototype.sort is stable: files outside the list keep vitest's order after the list.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b))
  }
}

// Layers: unit (pure code), integration (in-process control plane + real kubectl),
// e2e (real containerd/sshd, root), ui (Playwright + Debian Chromium). test/run.mjs picks them.
export default defineConfig({
  // tsconfig.json's `paths`, as electron.vite.config.ts gives them to the build.
  resolve: {
    alias: [
      { find: /^@contract$/, replacement: resolve(import.meta.dirname, 'src-main/contract.ts') },
      { find: /^@contract\/(.*)$/, replacement: `${resolve(import.meta.dirname, 'src-main/contract')}/$1` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: SlowestFirst },
  },
})
