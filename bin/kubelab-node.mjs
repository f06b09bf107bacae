#!/usr/bin/env node
// Runs a control-plane or node component from the TypeScript sources (tsx compiles on the fly),
// so `npx kubelab-node ...` works right after `npm install`. VMs get an esbuild bundle instead.
import { register } from 'tsx/esm/api'
register()
const { main } = await import('../src-cluster/cmd/main.ts')
await main(process.argv.slice(2))
