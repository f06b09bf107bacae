import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

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
  },
})
