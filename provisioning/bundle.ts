// Bundles everything that runs on a node (src-cluster/cmd/main.ts and what it imports) into
// ONE file, kubelab-node.js, plus the files it reads at run time next to it: the CRI proto and
// a package.json that marks the bundle as an ES module. Node.js on the node runs it without
// node_modules. Also copies the node supervisor and installer, so the output folder is
// everything the host uploads.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { build, type Plugin } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface NodeBundle {
  readonly dir: string
  readonly program: string
  /** Every file to upload into the node's bin folder (program, proto, package.json, supervisor). */
  readonly files: readonly { name: string; path: string }[]
  /** Components this build can run (from `kubelab-node help`). */
  readonly components: readonly string[]
  /** Flags this build's kubelet accepts (from `kubelab-node kubelet --help`), without dashes. */
  readonly kubeletFlags: readonly string[]
  readonly bytes: number
}

/** etcd's gRPC definitions, which the etcd3 client loads at run time (rpc.proto imports the other two by name). */
const ETCD_PROTOS = ['rpc.proto', 'kv.proto', 'auth.proto'] as const

export const BUNDLE_FILES = [
  'kubelab-node.js',
  'kubelab-node.cjs',
  'runtime-v1.proto',
  'package.json',
  'supervisor.mjs',
  'api-lb.mjs',
  'etc-hosts.mjs',
  ...ETCD_PROTOS,
] as const

/**
 * The etcd3 package reads `${__dirname}/../proto/rpc.proto` when it loads; in the bundle there
 * is no __dirname and no package folder, so point it at the copies next to the program.
 */
const etcdProtoPath: Plugin = {
  name: 'etcd3-proto-path',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8')
      const needle = '`${__dirname}/../proto/rpc.proto`'
      if (!src.includes(needle)) throw new Error(`etcd3's connection-pool.js no longer loads ${needle}: update provisioning/bundle.ts for this etcd3 version`)
      return { contents: src.replace(needle, '__kubelabDir + "/rpc.proto"'), loader: 'js' }
    })
  },
}

/** Newest modification time of the sources under `dir`, to skip rebuilding when nothing changed. */
function newestSource(dir: string): number {
  const out = spawnSync('find', [dir, '(', '-name', '*.ts', '-o', '-name', '*.proto', ')', '-printf', '%T@\n'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  })
  let max = 0
  for (const l of (out.stdout ?? '').split('\n')) if (l) max = Math.max(max, Number(l) * 1000)
  return max
}

/**
 * The bundle's text with characters beyond Latin-1 in comment lines written as \uXXXX. V8 keeps
 * a script's source in memory for as long as it runs (functions compile lazily from it), and one
 * character beyond Latin-1 — an arrow in a comment esbuild kept — makes it a two-byte string:
 * 8.7 MB instead of 4.3 MB in every kubelab-node process. esbuild already escapes strings and
 * identifiers; a comment's text means nothing, so escaping it there changes no behaviour.
 */
export function latin1Comments(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u00ff]/.test(text)) return text
  return text
    .split('\n')
    .map((line) => {
      // eslint-disable-next-line no-control-regex
      if (!/[^\u0000-\u00ff]/.test(line) || !/^\s*(\/\/|\/\*|\*)/.test(line)) return line
      // eslint-disable-next-line no-control-regex
      return line.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    })
    .join('\n')
}

/** Lists the components of a built program by running `node PROGRAM help` (without any installed packages). */
export function bundleComponents(program: string, nodeBinary = process.execPath): string[] {
  const r = spawnSync(nodeBinary, [program, 'help'], { encoding: 'utf8', timeout: 30_000, cwd: '/' })
  if (r.status !== 0) throw new Error(`the node bundle ${program} does not run (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().slice(0, 500)}`)
  const names: string[] = []
  let inList = false
  for (const line of r.stdout.split('\n')) {
    if (/^components:/.test(line)) inList = true
    else if (inList) {
      const m = /^ {2}(\S+)\s/.exec(line)
      if (m) names.push(m[1]!)
      else if (line.trim() === '') inList = names.length === 0
    }
  }
  return names
}

/**
 * Lists the flags one component of a built program accepts, from `node PROGRAM COMPONENT --help`
 * (lines starting `  --name`). Lets provisioning pass a newer flag only to a build that has it.
 */
export function componentFlags(program: string, component: string, nodeBinary = process.execPath): string[] {
  const r = spawnSync(nodeBinary, [program, component, '--help'], { encoding: 'utf8', timeout: 30_000, cwd: '/' })
  if (r.status !== 0)
    throw new Error(`the node bundle ${program} cannot show the flags of ${component} (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().slice(0, 500)}`)
  return [...r.stdout.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1]!)
}

/**
 * Builds the node bundle into `outDir` (default out/node). Reuses an existing build that is
 * newer than every source file unless `force`.
 */
export async function buildNodeBundle(opts: { outDir?: string; force?: boolean; minify?: boolean } = {}): Promise<NodeBundle> {
  const dir = opts.outDir ?? join(ROOT, 'out', 'node')
  mkdirSync(dir, { recursive: true })
  const program = join(dir, 'kubelab-node.js')
  const fresh =
    !opts.force &&
    existsSync(program) &&
    statSync(program).mtimeMs > Math.max(newestSource(join(ROOT, 'src-cluster')), statSync(join(ROOT, 'provisioning', 'supervisor.mjs')).mtimeMs)
  if (!fresh) {
    const main = join(dir, 'kubelab-node.cjs')
    await build({
      stdin: {
        contents: "import { main } from './src-cluster/cmd/main'\nvoid main(process.argv.slice(2))\n",
        resolveDir: ROOT,
        sourcefile: 'kubelab-node-entry.ts',
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      target: 'node20',
      // CommonJS so that the loader can run it through vm.Script with a V8 code cache.
      format: 'cjs',
      outfile: main,
      minify: opts.minify ?? false,
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'import.meta.url': '__kubelabImportMetaUrl' },
      // import.meta.url as a file: URL of the bundle (nodes' paths are POSIX), written without
      // a call to require so the app's main-process bundle, which embeds this text, stays ESM-only.
      banner: { js: "const __kubelabDir = __dirname; const __kubelabImportMetaUrl = 'file://' + __filename.split('/').map(encodeURIComponent).join('/');" },
      plugins: [etcdProtoPath],
    })
    writeFileSync(main, latin1Comments(readFileSync(main, 'utf8')))
    const hash = createHash('sha256').update(readFileSync(main)).digest('hex').slice(0, 16)
    writeFileSync(program, readFileSync(join(ROOT, 'provisioning', 'node-loader.mjs'), 'utf8').replace('__KUBELAB_BUNDLE_HASH__', hash))
    copyFileSync(join(ROOT, 'src-cluster', 'kubelet', 'cri', 'runtime-v1.proto'), join(dir, 'runtime-v1.proto'))
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'kubelab-node', private: true, type: 'module' }, null, 2)}\n`)
    copyFileSync(join(ROOT, 'provisioning', 'supervisor.mjs'), join(dir, 'supervisor.mjs'))
  }
  // Resolved as Node resolves the package (hoisted or not), not by a fixed folder path.
  const etcdProtoDir = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('etcd3/package.json')), 'proto')
  for (const f of ETCD_PROTOS) if (!fresh || !existsSync(join(dir, f))) copyFileSync(join(etcdProtoDir, f), join(dir, f))
  // The node's own API balancer and its /etc/hosts block (VM clusters with several control
  // planes); small, always fresh.
  copyFileSync(API_LB_SCRIPT, join(dir, 'api-lb.mjs'))
  copyFileSync(join(ROOT, 'provisioning', 'etc-hosts.mjs'), join(dir, 'etc-hosts.mjs'))
  const files = BUNDLE_FILES.map((name) => ({ name, path: join(dir, name) }))
  const components = bundleComponents(program)
  const kubeletFlags = components.includes('kubelet') ? componentFlags(program, 'kubelet') : []
  return { dir, program, files, components, kubeletFlags, bytes: statSync(join(dir, 'kubelab-node.cjs')).size }
}

/** The installer and its location in the repository. */
export const INSTALL_SCRIPT = join(ROOT, 'provisioning', 'install-node.sh')
/** The API load balancer in front of several control-plane nodes (on the host; on every VM node as kubelab-api-lb). */
export const API_LB_SCRIPT = join(ROOT, 'provisioning', 'api-lb.mjs')
