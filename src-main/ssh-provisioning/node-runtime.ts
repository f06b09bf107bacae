// The Linux Node.js runtime KubeLab's node agents run on inside VMs. The host gets it once per
// architecture and uploads it during provisioning, so a VM needs no internet for KubeLab's own
// parts (classrooms with bad Wi-Fi). Sources, first match wins:
//   KUBELAB_NODE_RUNTIME=FILE     a tarball in nodejs.org's layout, node-vX.Y.Z-linux-ARCH.tar.gz
//                                  or .tar.xz (offline installs; tests)
//   <KubeLab home>/runtimes/node/  the cache: a tarball fetched earlier for this architecture
//   KUBELAB_NODE_DIST=URL         a folder in nodejs.org's dist layout (SHASUMS256.txt + tarballs);
//                                  default https://nodejs.org/dist/latest-v22.x
// Downloads take the .tar.gz: a third bigger than the .tar.xz, but it unpacks several times
// faster inside a VM, and under emulation (TCG) that is a minute per node.
// A download is checked against the folder's SHASUMS256.txt before it enters the cache (temp
// file + rename), so a tampered or truncated file is never used.
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'

export type NodeArch = 'x64' | 'arm64'

/** Major version the node bundle is built for; a runtime older than this is refused. */
export const NODE_RUNTIME_MIN_MAJOR = 20
export const DEFAULT_NODE_DIST = 'https://nodejs.org/dist/latest-v22.x'

export interface NodeRuntime {
  /** Absolute path of the tarball on the host. */
  readonly file: string
  /** "v22.12.0" */
  readonly version: string
  readonly arch: NodeArch
  readonly source: 'env' | 'cache' | 'download'
  readonly compression: 'xz' | 'gz'
}

export interface NodeRuntimeOptions {
  /** The KubeLab home (the cache lives in its runtimes/node folder). */
  readonly home: string
  readonly arch: NodeArch
  readonly env?: NodeJS.ProcessEnv
  readonly progress?: (line: string) => void
  readonly signal?: AbortSignal
}

const TARBALL = /^node-(v(\d+)\.\d+\.\d+)-linux-(x64|arm64)\.tar\.(xz|gz)$/

/** `uname -m` (or dpkg's name) of a guest → nodejs.org's architecture name. */
export function nodeArchOf(machine: string): NodeArch {
  const m = machine.trim()
  if (m === 'x86_64' || m === 'amd64' || m === 'x64') return 'x64'
  if (m === 'aarch64' || m === 'arm64') return 'arm64'
  throw new Error(`no Node.js runtime for a ${m || 'unknown'} guest: KubeLab's nodes run on x86-64 or arm64 Linux`)
}

/** Version and architecture from a nodejs.org tarball name, or undefined when it is not one. */
export function parseRuntimeName(name: string): { version: string; major: number; arch: NodeArch; compression: 'xz' | 'gz' } | undefined {
  const m = TARBALL.exec(name)
  return m ? { version: m[1]!, major: Number(m[2]), arch: m[3] as NodeArch, compression: m[4] as 'xz' | 'gz' } : undefined
}

export function runtimeCacheDir(home: string): string {
  return join(home, 'runtimes', 'node')
}

function fromEnv(file: string, arch: NodeArch): NodeRuntime {
  const p = parseRuntimeName(basename(file))
  if (!p)
    throw new Error(
      `KUBELAB_NODE_RUNTIME=${file}: the name must be nodejs.org's node-vX.Y.Z-linux-${arch}.tar.gz (or .tar.xz); download it from https://nodejs.org/dist/ or unset KUBELAB_NODE_RUNTIME`,
    )
  if (p.arch !== arch)
    throw new Error(
      `KUBELAB_NODE_RUNTIME=${file} is for linux-${p.arch}, but the VM is linux-${arch}: give the node-${p.version}-linux-${arch}.tar.gz tarball instead`,
    )
  if (p.major < NODE_RUNTIME_MIN_MAJOR)
    throw new Error(`KUBELAB_NODE_RUNTIME=${file} is Node.js ${p.version}; KubeLab's node agents need ${NODE_RUNTIME_MIN_MAJOR} or newer`)
  if (!existsSync(file) || !statSync(file).isFile())
    throw new Error(`KUBELAB_NODE_RUNTIME=${file} does not exist: check the path or unset KUBELAB_NODE_RUNTIME`)
  return { file, version: p.version, arch, source: 'env', compression: p.compression }
}

/** The newest cached tarball for `arch`, if any (partial downloads never carry the final name). */
function fromCache(home: string, arch: NodeArch): NodeRuntime | undefined {
  const dir = runtimeCacheDir(home)
  if (!existsSync(dir)) return undefined
  const found = readdirSync(dir)
    .map((f) => ({ f, p: parseRuntimeName(f) }))
    .filter((x) => x.p && x.p.arch === arch && x.p.major >= NODE_RUNTIME_MIN_MAJOR)
    .sort((a, b) => b.p!.version.localeCompare(a.p!.version, undefined, { numeric: true }))[0]
  return found ? { file: join(dir, found.f), version: found.p!.version, arch, source: 'cache', compression: found.p!.compression } : undefined
}

async function get(url: string, signal?: AbortSignal): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { signal })
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message
    throw new Error(
      `could not download ${url} (${cause}): check the host's internet connection, or set KUBELAB_NODE_RUNTIME to a node-vX.Y.Z-linux-ARCH.tar.gz you downloaded`,
    )
  }
  if (!res.ok || !res.body)
    throw new Error(`downloading ${url} failed: HTTP ${res.status}; set KUBELAB_NODE_RUNTIME to a tarball you downloaded, or KUBELAB_NODE_DIST to a mirror`)
  return res
}

async function download(o: NodeRuntimeOptions, dist: string): Promise<NodeRuntime> {
  const progress = o.progress ?? (() => undefined)
  const sumsUrl = `${dist}/SHASUMS256.txt`
  const sums = await (await get(sumsUrl, o.signal)).text()
  const entries = sums
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, name]) => !!name && parseRuntimeName(name.replace(/^\*/, ''))?.arch === o.arch)
  const line = entries.find(([, name]) => name!.endsWith('.tar.gz')) ?? entries[0]
  if (!line) throw new Error(`${sumsUrl} lists no node-vX.Y.Z-linux-${o.arch}.tar.gz or .tar.xz: point KUBELAB_NODE_DIST at a nodejs.org release folder`)
  const [want, rawName] = line as [string, string]
  const name = rawName.replace(/^\*/, '')
  const p = parseRuntimeName(name)!
  if (p.major < NODE_RUNTIME_MIN_MAJOR) throw new Error(`${sumsUrl} offers Node.js ${p.version}; KubeLab's node agents need ${NODE_RUNTIME_MIN_MAJOR} or newer`)
  const dir = runtimeCacheDir(o.home)
  mkdirSync(dir, { recursive: true })
  const final = join(dir, name)
  const tmp = join(dir, `.${name}.${process.pid}.part`)
  const url = `${dist}/${name}`
  const res = await get(url, o.signal)
  const total = Number(res.headers.get('content-length') ?? 0)
  progress(`downloading ${url}${total ? ` (${(total / 1024 / 1024).toFixed(1)} MiB)` : ''}`)
  const hash = createHash('sha256')
  const out = createWriteStream(tmp)
  let got = 0
  let shown = 0
  try {
    const reader = res.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      hash.update(value)
      got += value.length
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()))
      const pct = total ? Math.floor((got / total) * 100) : 0
      if (total && pct >= shown + 10) {
        shown = pct - (pct % 10)
        progress(`${name}: ${shown}% of ${(total / 1024 / 1024).toFixed(1)} MiB`)
      }
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
    const have = hash.digest('hex')
    if (have !== want.toLowerCase())
      throw new Error(
        `${url} does not match its SHA-256 in ${sumsUrl} (got ${have}, expected ${want}): refusing it; try again, or download it yourself and set KUBELAB_NODE_RUNTIME`,
      )
    renameSync(tmp, final)
  } catch (e) {
    out.destroy()
    rmSync(tmp, { force: true })
    throw e
  }
  progress(`${name}: checksum OK, cached in ${dir}`)
  return { file: final, version: p.version, arch: o.arch, source: 'download', compression: p.compression }
}

/** The runtime tarball for `arch`: from KUBELAB_NODE_RUNTIME, the cache, or a checked download. */
export async function ensureNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const env = opts.env ?? process.env
  const given = env.KUBELAB_NODE_RUNTIME
  if (given) return fromEnv(given, opts.arch)
  const cached = fromCache(opts.home, opts.arch)
  if (cached) return cached
  return download(opts, (env.KUBELAB_NODE_DIST || DEFAULT_NODE_DIST).replace(/\/+$/, ''))
}

/**
 * Where a node keeps the runtime and the shell that installs an uploaded tarball there
 * (idempotent: an installed version is kept; extraction goes to a temp folder, then rename).
 */
export function runtimeDirOnNode(root: string, version: string): string {
  return `${root.replace(/\/+$/, '')}/var/lib/kubelab/node-runtime/${version}`
}

export function runtimeInstalledCheck(dir: string, version: string): string {
  return `[ -x '${dir}/bin/node' ] && [ "$('${dir}/bin/node' --version 2>/dev/null)" = '${version}' ]`
}

export function runtimeInstallScript(tarball: string, dir: string, version: string, compression: 'xz' | 'gz' = 'xz'): string {
  return [
    'set -eu',
    `if ${runtimeInstalledCheck(dir, version)}; then rm -f '${tarball}'; echo 'Node.js ${version} already installed'; exit 0; fi`,
    ...(compression === 'xz'
      ? ["command -v xz >/dev/null || { echo 'xz is missing on this node: install xz-utils (apt-get install xz-utils) and run create again' >&2; exit 1; }"]
      : []),
    `rm -rf '${dir}.new' && mkdir -p '${dir}.new'`,
    `tar -x${compression === 'xz' ? 'J' : 'z'}f '${tarball}' -C '${dir}.new' --strip-components=1 --no-same-owner`,
    `rm -rf '${dir}' && mv '${dir}.new' '${dir}' && rm -f '${tarball}'`,
    `echo "Node.js $('${dir}/bin/node' --version) installed in ${dir}"`,
  ].join('\n')
}
