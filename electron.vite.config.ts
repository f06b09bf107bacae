// Builds the three parts of the desktop app into out/ (or `--outDir`; the defaults place each
// part in its own sub-folder, which is why no outDir is set here):
//   out/main/index.js       Electron main (ESM; Node built-ins and dependencies stay external)
//   out/preload/index.cjs   sandboxed preload (CommonJS, self-contained apart from `electron`)
//   out/renderer/           the Vue renderer, a plain browser bundle (also served by `kubelab serve`)
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const root = import.meta.dirname

/** tsconfig.json's `paths` (vitest.config.ts gives the tests the same): the contract is `@contract`. */
const aliases = [
  { find: /^@contract$/, replacement: resolve(root, 'src-main/contract.ts') },
  { find: /^@contract\/(.*)$/, replacement: `${resolve(root, 'src-main/contract')}/$1` },
]

export default defineConfig({
  main: {
    resolve: { alias: aliases },
    build: {
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/main.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    resolve: { alias: aliases },
    build: {
      // A sandboxed preload can require nothing but `electron`: bundle everything else into it.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [vue()],
    resolve: { alias: aliases },
    build: {
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
})
