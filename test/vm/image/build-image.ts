// `npx tsx test/vm/image/build-image.ts [--force]`: builds (or finds) the VM test image and
// prints its path. --force rebuilds even when the cache has it.
import { rmSync } from 'node:fs'
import { ensureVmTestImage, vmTestImagePath } from './index'

const started = Date.now()
if (process.argv.includes('--force')) rmSync(vmTestImagePath(), { force: true })
ensureVmTestImage((line) => console.error(line))
  .then((img) => {
    console.error(`${img.built ? 'built' : 'cached'} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
    console.log(img.path)
  })
  .catch((e: Error) => {
    console.error(`VM test image build failed: ${e.message}`)
    process.exit(1)
  })
