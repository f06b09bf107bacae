// The images labs name (nginx:1.27, busybox:1.36 ...) for clusters that cannot reach a
// registry. Each known name maps to an offline stand-in built on the host from Debian's static
// busybox and loaded into every node's containerd under the name containerd would give the
// real image (docker.io/library/nginx:1.27), so pods written for the real image start as-is.
// The nginx stand-ins are busybox httpd on port 80 serving nginx's welcome page from nginx's
// document root; they are labelled so `crictl inspecti` shows what they are. An image a user
// loaded themselves under the same name is never replaced.
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { busyboxRootfs, writeImage, type ImageSpec, type RootfsEntry } from '../../provisioning/images'

/** containerd's full name for a short reference: nginx:1.27 → docker.io/library/nginx:1.27. */
export function canonicalImage(ref: string): string {
  const [first] = ref.split('/')
  const hasRegistry = ref.includes('/') && (first!.includes('.') || first!.includes(':') || first === 'localhost')
  const withRepo = hasRegistry ? ref : ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`
  const lastPart = withRepo.slice(withRepo.lastIndexOf('/') + 1)
  return lastPart.includes(':') || lastPart.includes('@') ? withRepo : `${withRepo}:latest`
}

const WELCOME = `<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>KubeLab offline stand-in: busybox httpd serving this page on port 80.</p>
</body>
</html>
`

function nginxStandIn(name: string): ImageSpec {
  const extra: RootfsEntry[] = [
    { type: 'dir', path: 'usr/share', mode: 0o755 },
    { type: 'dir', path: 'usr/share/nginx', mode: 0o755 },
    { type: 'dir', path: 'usr/share/nginx/html', mode: 0o755 },
    { type: 'file', path: 'usr/share/nginx/html/index.html', content: WELCOME },
    { type: 'dir', path: 'etc/nginx', mode: 0o755 },
  ]
  return {
    name,
    rootfs: busyboxRootfs({ extra }),
    // httpd -f stays in the foreground; -h: nginx's document root. A shell is PID 1 and exits on
    // TERM (a PID 1 without a handler ignores it, so every pod would wait out its grace period).
    cmd: ['sh', '-c', 'trap "exit 0" TERM INT; httpd -f -p 80 -h /usr/share/nginx/html & wait'],
    exposedPorts: ['80/tcp'],
    labels: { 'dev.kubelab.stand-in': 'nginx (busybox httpd)' },
  }
}

function busyboxStandIn(name: string): ImageSpec {
  return { name, rootfs: busyboxRootfs(), cmd: ['sh'], labels: { 'dev.kubelab.stand-in': 'busybox' } }
}

const STAND_IN_VERSION = 2

const STAND_INS: Readonly<Record<string, (name: string) => ImageSpec>> = {
  'docker.io/library/nginx:1.27': nginxStandIn,
  'docker.io/library/nginx:1.27-alpine': nginxStandIn,
  'docker.io/library/nginx:alpine': nginxStandIn,
  'docker.io/library/busybox:1.36': busyboxStandIn,
}

/** True when KubeLab can build an offline stand-in for `ref`. */
export function hasStandIn(ref: string): boolean {
  return canonicalImage(ref) in STAND_INS
}

export interface StandInTarball {
  /** The reference as the lab wrote it. */
  readonly ref: string
  /** containerd's name for it. */
  readonly name: string
  readonly path: string
}

/** Builds (once per cache folder) the stand-in tarball of each reference; unknown references throw. */
export async function buildStandIns(refs: readonly string[], cacheDir: string): Promise<StandInTarball[]> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 })
  const out: StandInTarball[] = []
  for (const ref of refs) {
    const name = canonicalImage(ref)
    const make = STAND_INS[name]
    if (!make)
      throw new Error(
        `KubeLab has no offline image for ${ref}: load one with kubelab image load CLUSTER FILE.tar (known: ${Object.keys(STAND_INS).join(', ')})`,
      )
    // The version in the file name makes a changed stand-in rebuild instead of reusing the cache.
    const path = join(cacheDir, `${name.replace(/[/:]/g, '_')}-v${STAND_IN_VERSION}.tar`)
    if (!existsSync(path) || statSync(path).size === 0) await writeImage(make(name), path)
    out.push({ ref, name, path })
  }
  return out
}
