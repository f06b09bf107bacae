// Loads OCI image tarballs into a node's containerd with `ctr images import`, in the
// namespace the CRI plugin reads (k8s.io), reporting ctr's progress lines as they come.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface LoadOptions {
  /** containerd socket path (ctr -a). */
  socket: string
  /** containerd namespace; the CRI plugin uses k8s.io. */
  namespace?: string
  /** Snapshotter to unpack into; must match the CRI plugin's (default: containerd's default). */
  snapshotter?: string
  /** Receives each progress line of ctr. */
  onProgress?: (line: string) => void
  ctr?: string
}

export interface LoadResult {
  /** Image names containerd unpacked. */
  images: string[]
  output: string
}

export function loadImage(tarPath: string, opts: LoadOptions): Promise<LoadResult> {
  if (!existsSync(tarPath)) return Promise.reject(new Error(`image load: ${tarPath} does not exist`))
  const args = ['-a', opts.socket, '-n', opts.namespace ?? 'k8s.io', 'images', 'import']
  if (opts.snapshotter) args.push('--snapshotter', opts.snapshotter)
  args.push(tarPath)
  const ctr = opts.ctr ?? 'ctr'
  return new Promise((resolve, reject) => {
    const child = spawn(ctr, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let pending = ''
    const onData = (b: Buffer): void => {
      output += b.toString()
      pending += b.toString()
      const lines = pending.split(/\r?\n|\r/)
      pending = lines.pop() ?? ''
      for (const l of lines) if (l.trim()) opts.onProgress?.(l.trim())
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (err) => reject(new Error(`image load: cannot run ${ctr} (${err.message}); install containerd's ctr`)))
    child.on('close', (code) => {
      if (pending.trim()) opts.onProgress?.(pending.trim())
      if (code !== 0) {
        reject(new Error(`image load: ${ctr} ${args.join(' ')} exited ${code}: ${output.trim()}`))
        return
      }
      const images = [...output.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1] as string)
      resolve({ images, output })
    })
  })
}

/**
 * `kubelab image load [--socket S] [--namespace N] [--snapshotter X] FILE...`: loads each
 * tarball, printing progress. Returns the process exit code.
 */
export async function runImageLoad(argv: string[], print: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let socket = '/run/containerd/containerd.sock'
  let namespace = 'k8s.io'
  let snapshotter: string | undefined
  const files: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const next = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`image load: ${a} needs a value`)
      return v
    }
    if (a === '--socket' || a === '-a') socket = next().replace(/^unix:\/\//, '')
    else if (a === '--namespace' || a === '-n') namespace = next()
    else if (a === '--snapshotter') snapshotter = next()
    else if (a.startsWith('-')) throw new Error(`image load: unknown flag ${a}; flags: --socket, --namespace, --snapshotter`)
    else files.push(a)
  }
  if (!files.length) throw new Error('image load: give at least one OCI image tarball')
  for (const f of files) {
    print(`loading ${f}`)
    const r = await loadImage(f, { socket, namespace, snapshotter, onProgress: (l) => print(`  ${l}`) })
    print(`loaded ${r.images.join(', ') || f}`)
  }
  return 0
}
