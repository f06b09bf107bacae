// kubelab-node: runs the bundle (kubelab-node.cjs beside this file) with a V8 code cache.
// Compiling the multi-megabyte bundle was most of every component's start: ~0.4 s of CPU per
// process natively, tens of seconds on an emulated VM that starts eight of them at once. The
// first process that runs for a few seconds leaves the compiled code in
// kubelab-node.cjs.HASH.cache; later starts reuse it. HASH is the bundle's content hash (filled
// in by provisioning/bundle.ts): V8 itself checks only the source's length.
import Module, { createRequire } from 'node:module'
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const HASH = '__KUBELAB_BUNDLE_HASH__'
const dir = dirname(fileURLToPath(import.meta.url))
const file = join(dir, 'kubelab-node.cjs')
const cacheName = `kubelab-node.cjs.${HASH}.cache`
const cacheFile = join(dir, cacheName)

let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  // No cache yet: compile from source and leave one below.
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData })
const module = { exports: {}, filename: file, id: file, loaded: false }
script.runInThisContext()(module.exports, createRequire(file), module, file, dir)

if (cachedData === undefined || script.cachedDataRejected) {
  // After a few seconds of running, so the functions compiled lazily at start are included.
  // Written to a temp file and renamed: several components start at once. A read-only folder
  // only costs the speed-up.
  setTimeout(() => {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`
      writeFileSync(tmp, script.createCachedData())
      renameSync(tmp, cacheFile)
      for (const f of readdirSync(dir)) if (/^kubelab-node\.cjs\..+\.cache$/.test(f) && f !== cacheName) rmSync(join(dir, f), { force: true })
    } catch {
      // Not writable (or gone): run without a cache.
    }
  }, 5000).unref()
}
