// Tests cannot reach nodejs.org: they make a Linux Node.js runtime in nodejs.org's layout
// (node-vX.Y.Z-linux-x64.tar.gz holding node-vX.Y.Z-linux-x64/bin/node) from the host's own
// Node.js, which runs in the test VMs (same libc: Debian 12 host, doubles on the host, Debian 12
// test image). Built once and cached outside the repository, like the VM test image.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'

export function hostNodeRuntime(): { file: string; version: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the test Node.js runtime is made from the host node: needs x86-64 Linux')
  const version = process.version
  const name = `node-${version}-linux-x64`
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubelab', 'test-node-runtime')
  const file = join(dir, `${name}.tar.gz`)
  if (existsSync(file)) return { file, version }
  mkdirSync(dir, { recursive: true })
  const work = mkdtempSync(join(dir, '.build-'))
  try {
    mkdirSync(join(work, name, 'bin'), { recursive: true })
    copyFileSync(realpathSync(process.execPath), join(work, name, 'bin', 'node'))
    // gzip as nodejs.org's .tar.gz (what downloads take: it unpacks fast in an emulated VM).
    execFileSync('tar', ['-czf', join(work, 'out.tar.gz'), '-C', work, name])
    renameSync(join(work, 'out.tar.gz'), file)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return { file, version }
}

/** Serves `file` and a SHASUMS256.txt naming it, in nodejs.org's dist layout (…/dist/). */
export async function serveNodeDist(file: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const name = basename(file)
  const sums = `${'0'.repeat(64)}  ${name.replace('-linux-x64.tar.gz', '-darwin-arm64.tar.gz')}\n${createHash('sha256').update(readFileSync(file)).digest('hex')}  ${name}\n`
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === '/dist/SHASUMS256.txt') res.writeHead(200).end(sums)
    else if (req.url === `/dist/${name}`) {
      const data = readFileSync(file)
      res.writeHead(200, { 'content-length': data.length }).end(data)
    } else res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dist`, requests, close: () => new Promise((r) => server.close(() => r())) }
}
