import { defineConfig } from 'vitest/config'
import { aliases } from './aliases'

// Layers: unit (pure code), integration (in-process control plane + real kubectl),
// e2e (real containerd/sshd, root), ui (Playwright + Debian Chromium). test/run.mjs picks them.
export default defineConfig({
  resolve: { alias: aliases },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
