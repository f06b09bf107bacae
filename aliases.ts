// Path aliases shared by electron.vite.config.ts and vitest.config.ts, the same as tsconfig.json's
// `paths`: the contract between renderer and backend is its own layer, imported as `@contract`
// (the barrel, src-main/contract.ts) or `@contract/<concern>` (src-main/contract/<concern>.ts).
import { resolve } from 'node:path'

const root = import.meta.dirname

export const aliases = [
  { find: /^@contract$/, replacement: resolve(root, 'src-main/contract.ts') },
  { find: /^@contract\/(.*)$/, replacement: `${resolve(root, 'src-main/contract')}/$1` },
]
