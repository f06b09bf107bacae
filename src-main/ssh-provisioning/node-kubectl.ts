// kubectl on VM nodes. Learners `kubelab ssh` into the control plane and type kubectl, as on a
// kubeadm node or a Killercoda scenario, and lab scripts (verify, solution) run kubectl on the
// node they name. VMs get no internet for this: the host gets the Linux binary for the guest's
// architecture once, and provisioning uploads it (gzip-compressed: a third of the bytes).
// Sources, first match wins:
//   KUBELAB_KUBECTL=FILE             a Linux kubectl for the guest's architecture (offline; tests)
//   <KubeLab home>/runtimes/kubectl/ the cache: a binary fetched earlier
//   KUBELAB_KUBECTL_BASE=URL         a mirror of https://dl.k8s.io/release (…/vX.Y.Z/bin/linux/ARCH/
//                                    kubectl and kubectl.sha256)
// A download is checked against its published SHA-256 before it enters the cache.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { NodeArch } from './node-runtime'

/** kubectl's version for the nodes: the minor the API server reports (kubectl supports ±1). */
export const NODE_KUBECTL_VERSION = 'v1.32.4'
export const DEFAULT_KUBECTL_BASE = 'https://dl.k8s.io/release'

export interface NodeKubectl {
  /** The gzip-compressed binary on the host, ready to upload. */
  readonly gz: string
  readonly arch: NodeArch
  readonly source: 'env' | 'cache' | 'download'
  readonly origin: string
}

export interface NodeKubectlOptions {
  readonly home: string
  readonly arch: NodeArch
  readonly env?: NodeJS.ProcessEnv
  readonly progress?: (line: string) => void
  readonly signal?: AbortSignal
}

const ELF_MACHINE: Record<NodeArch, number> = { x64: 0x3e, arm64: 0xb7 }
const K8S_ARCH: Record<NodeArch, string> = { x64: 'amd64', arm64: 'arm64' }

/** Is `file` a Linux ELF executable for `arch`? (A macOS kubectl or a shell wrapper is not.) */
export function elfMachineOf(file: string): number | undefined {
  const fd = openSync(file, 'r')
  try {
    const h = Buffer.alloc(20)
    if (readSync(fd, h, 0, 20, 0) < 20 || h.readUInt32BE(0) !== 0x7f454c46) return undefined
    return h.readUInt16LE(18)
  } finally {
    closeSync(fd)
  }
}

export function kubectlCacheDir(home: string, arch: NodeArch): string {
  return join(home, 'runtimes', 'kubectl', `linux-${arch}`)
}

/** Compresses `bin` next to the cache entry once (keyed by the binary's size and mtime). */
function gzipOnce(bin: string, dir: string): string {
  const st = statSync(bin)
  const gz = join(dir, `kubectl-${st.size}-${Math.floor(st.mtimeMs)}.gz`)
  if (existsSync(gz)) return gz
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(dir)) if (/^kubectl-\d+-\d+\.gz$/.test(f)) rmSync(join(dir, f), { force: true })
  const tmp = `${gz}.${process.pid}.part`
  writeFileSync(tmp, gzipSync(readFileSync(bin), { level: 1 }))
  renameSync(tmp, gz)
  return gz
}

function fromEnv(file: string, o: NodeKubectlOptions): NodeKubectl {
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`KUBELAB_KUBECTL=${file} does not exist: check the path or unset KUBELAB_KUBECTL`)
  const m = elfMachineOf(file)
  if (m !== ELF_MACHINE[o.arch])
    throw new Error(
      `KUBELAB_KUBECTL=${file} is not a Linux ${K8S_ARCH[o.arch]} kubectl (the VMs are linux/${K8S_ARCH[o.arch]}): download https://dl.k8s.io/release/${NODE_KUBECTL_VERSION}/bin/linux/${K8S_ARCH[o.arch]}/kubectl`,
    )
  return { gz: gzipOnce(file, join(kubectlCacheDir(o.home, o.arch), 'from-env')), arch: o.arch, source: 'env', origin: file }
}

async function download(o: NodeKubectlOptions, base: string): Promise<NodeKubectl> {
  const progress = o.progress ?? (() => undefined)
  const dir = kubectlCacheDir(o.home, o.arch)
  const url = `${base}/${NODE_KUBECTL_VERSION}/bin/linux/${K8S_ARCH[o.arch]}/kubectl`
  const get = async (u: string): Promise<Response> => {
    let res: Response
    try {
      res = await fetch(u, { signal: o.signal })
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message
      throw new Error(`could not download ${u} (${cause}): check the host's internet connection, or set KUBELAB_KUBECTL to a Linux kubectl you downloaded`)
    }
    if (!res.ok)
      throw new Error(`downloading ${u} failed: HTTP ${res.status}; set KUBELAB_KUBECTL to a Linux kubectl you downloaded, or KUBELAB_KUBECTL_BASE to a mirror`)
    return res
  }
  const want = (await (await get(`${url}.sha256`)).text()).trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  if (!/^[0-9a-f]{64}$/.test(want)) throw new Error(`${url}.sha256 holds no SHA-256: point KUBELAB_KUBECTL_BASE at a dl.k8s.io/release mirror`)
  progress(`downloading ${url}`)
  const body = Buffer.from(await (await get(url)).arrayBuffer())
  const have = createHash('sha256').update(body).digest('hex')
  if (have !== want)
    throw new Error(`${url} does not match its published SHA-256 (got ${have}, expected ${want}): refusing it; try again, or set KUBELAB_KUBECTL`)
  mkdirSync(dir, { recursive: true })
  const bin = join(dir, `kubectl-${NODE_KUBECTL_VERSION}`)
  writeFileSync(`${bin}.part`, body, { mode: 0o755 })
  renameSync(`${bin}.part`, bin)
  progress(`kubectl ${NODE_KUBECTL_VERSION}: checksum OK, cached in ${dir}`)
  return { gz: gzipOnce(bin, dir), arch: o.arch, source: 'download', origin: url }
}

/** The kubectl the nodes get: from KUBELAB_KUBECTL, the cache, or a checked download. */
export async function ensureNodeKubectl(opts: NodeKubectlOptions): Promise<NodeKubectl> {
  const env = opts.env ?? process.env
  if (env.KUBELAB_KUBECTL) return fromEnv(env.KUBELAB_KUBECTL, opts)
  const dir = kubectlCacheDir(opts.home, opts.arch)
  const cached = join(dir, `kubectl-${NODE_KUBECTL_VERSION}`)
  if (existsSync(cached)) return { gz: gzipOnce(cached, dir), arch: opts.arch, source: 'cache', origin: cached }
  return download(opts, (env.KUBELAB_KUBECTL_BASE || DEFAULT_KUBECTL_BASE).replace(/\/+$/, ''))
}

/** The shell that installs an uploaded kubectl.gz as BIN/kubectl (temp + rename). */
export function kubectlInstallScript(gz: string, bin = '/usr/local/bin'): string {
  return [
    'set -eu',
    `mkdir -p '${bin}'`,
    `gzip -dc '${gz}' > '${bin}/.kubectl.new'`,
    `chmod 0755 '${bin}/.kubectl.new' && mv '${bin}/.kubectl.new' '${bin}/kubectl'`,
    `rm -f '${gz}'`,
    `'${bin}/kubectl' version --client 2>/dev/null | head -n 1`,
  ].join('\n')
}
