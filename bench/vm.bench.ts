// QEMU VM create benchmark: `create` → all nodes Ready for 1+WORKERS real VMs, split into steps:
// image (base image ready: cached or downloaded), boot (QEMU launched → SSH answers), cloud-init
// (SSH → cloud-init done), then the SSH provisioning steps (wait for SSH, upload, node runtime,
// install, load images) and Ready; the accelerator is named. Then the RSS of every kubelab-*
// agent in each VM (from /proc over SSH) and of each QEMU process on the host.
// Run: flock /tmp/kubelab-vm.lock node --import tsx bench/vm.bench.ts   (WORKERS=1 IMAGE=file.qcow2 CPUS=1 MEMORY=1536Mi)
// Without IMAGE it uses the vm test layer's Debian image (built once, cached).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ClusterManager } from '../src-main/clusters'
import { SshSession, loginFromKeyFile } from '../src-main/ssh-provisioning/ssh'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { procKiB } from './lib/proc'

const WORKERS = Number(process.env.WORKERS ?? 1)
const TIMEOUT_S = Number(process.env.TIMEOUT_S ?? 1200)
const name = process.env.CLUSTER ?? 'vmb'

async function image(): Promise<string> {
  if (process.env.IMAGE) return process.env.IMAGE
  // The test layer's image module (kept out of the type graph so the bench does not depend on it).
  const mod = '../test/vm/image/index.ts'
  const m = (await import(mod)) as { ensureVmTestImage: (p: (l: string) => void) => Promise<{ path: string }> }
  return (await m.ensureVmTestImage((l) => console.log(l))).path
}

// The VMs' Node.js: nodejs.org may be unreachable (CI), so unless told otherwise the host's own
// node, packed in nodejs.org's layout by the test helper, is what provisioning uploads.
if (!process.env.KUBELAB_NODE_RUNTIME && !process.env.KUBELAB_NODE_DIST) {
  const helper = '../test/helpers/node-runtime.ts'
  const h = (await import(helper)) as { hostNodeRuntime: () => { file: string } }
  process.env.KUBELAB_NODE_RUNTIME = h.hostNodeRuntime().file
}

// kubectl for the nodes: dl.k8s.io may be unreachable too; the host's Linux kubectl serves.
if (!process.env.KUBELAB_KUBECTL && !process.env.KUBELAB_KUBECTL_BASE) {
  const helper = '../test/helpers/host-kubectl.ts'
  const h = (await import(helper)) as { hostLinuxKubectl: () => string }
  process.env.KUBELAB_KUBECTL = h.hostLinuxKubectl()
}

const home = mkdtempSync('/tmp/klvb-')
const t0 = Date.now()
const at = (): number => Date.now() - t0
const marks: { what: string; ms: number }[] = []
const mark = (what: string, ms = at()) => marks.push({ what, ms })
let accel = 'unknown'
const launchedAt = new Map<string, number>()
const sshAt = new Map<string, number>()
const cloudInitAt = new Map<string, number>()
let imageAt = 0
const m = new ClusterManager({
  env: { ...process.env, KUBELAB_HOME: home },
  progress: (line) => {
    const l = line.replace(/^\[[^\]]*\]\s*/, '')
    let r: RegExpExecArray | null
    if ((r = /^accelerator: (\S+)/.exec(l))) accel = r[1]!
    if (/copy-on-write disk on/.test(l) && !imageAt) imageAt = at()
    // VM names are kl-<cluster>-<node>; node names contain dashes too.
    if ((r = new RegExp(`^kl-${name}-([^:]+): booting with`).exec(l))) launchedAt.set(r[1]!, at())
    // The first answer counts: after provisioning, bringing the cluster up waits for each
    // node again and logs these lines a second time.
    if ((r = /^([^:]+): SSH answered after/.exec(l)) && !sshAt.has(r[1]!)) sshAt.set(r[1]!, at())
    if ((r = /^([^:]+): cloud-init done/.exec(l)) && !cloudInitAt.has(r[1]!)) cloudInitAt.set(r[1]!, at())
    if ((r = /node (\S+) Ready \((\d+)\/(\d+)\)$/.exec(l))) mark(`node ${r[1]} Ready`)
  },
})
let failure: string | undefined
const rss: string[][] = []
try {
  const img = await image()
  const created = Date.now()
  await m.create(name, {
    provider: 'qemu',
    workers: WORKERS,
    settings: { image: img, cpu: process.env.CPUS ?? '1', memory: process.env.MEMORY ?? '1536Mi' },
    timeoutMs: TIMEOUT_S * 1000,
  })
  mark('all nodes Ready (create returns)', Date.now() - t0)
  void created
  const dir = join(home, 'clusters', name)
  const nodes = ['control-plane', ...Array.from({ length: WORKERS }, (_, i) => `node-${i + 1}`)]
  for (const n of nodes) {
    const nf = JSON.parse(readFileSync(join(dir, 'nodes', n, 'qemu.json'), 'utf8')) as { sshPort: number }
    const s = await SshSession.connect(loginFromKeyFile('127.0.0.1', nf.sshPort, 'root', join(dir, 'ssh', 'id_ed25519')), { deadline: Date.now() + 60_000 })
    try {
      const out = await s.exec(
        `for u in $(systemctl list-units 'kubelab-*' --plain --no-legend | awk '{print $1}'); do p=$(systemctl show -p MainPID --value $u); echo "$u $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null)"; done; echo "containerd $(awk '/VmRSS/{print $2}' /proc/$(pidof containerd)/status)"; free -m | awk '/Mem:/{print "guest-used-MiB", $3}'`,
      )
      for (const line of out.stdout.trim().split('\n')) {
        const [unit, kb] = line.split(' ')
        rss.push([n, unit!.replace(/\.service$/, ''), unit === 'guest-used-MiB' ? `${kb} MiB` : `${Math.round(Number(kb) / 1024)} MiB`])
      }
    } finally {
      s.close()
    }
    const pid = readFileSync(join(dir, 'nodes', n, 'qemu.pid'), 'utf8').trim()
    rss.push([n, 'qemu process (host)', `${Math.round((procKiB(pid, 'status', 'VmRSS') ?? NaN) / 1024)} MiB`])
  }
} catch (e) {
  failure = (e as Error).message.split('\n').slice(0, 6).join('\n')
}
const steps = new Map<string, number>()
for (const t of m.lastTimings) steps.set(t.step, Math.max(steps.get(t.step) ?? 0, t.ms))
const rows: (string | number)[][] = [['image ready (base image + accelerator)', (imageAt / 1000).toFixed(1)]]
for (const [n, l] of launchedAt) {
  rows.push([`${n}: boot (QEMU launched → SSH answers)`, (((sshAt.get(n) ?? NaN) - l) / 1000).toFixed(1)])
  rows.push([`${n}: cloud-init (SSH → done)`, (((cloudInitAt.get(n) ?? NaN) - (sshAt.get(n) ?? NaN)) / 1000).toFixed(1)])
}
for (const [k, v] of steps) rows.push([`provision: ${k} (slowest node)`, (v / 1000).toFixed(1)])
for (const x of marks) rows.push([`${x.what} (since start)`, (x.ms / 1000).toFixed(1)])
console.log(`qemu provider: create 1+${WORKERS} VMs, accelerator ${accel}, ${process.env.CPUS ?? 1} vCPU / ${process.env.MEMORY ?? '1536Mi'} each`)
console.log(formatTable(['step', 's'], rows))
if (rss.length) console.log(formatTable(['node', 'process', 'RSS'], rss))
if (failure) console.log(`FAILED: ${failure}`)
await m.delete(name).catch((e: unknown) => console.log(`delete ${name} failed: ${String(e)}`))
const left = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.includes('qemu-system') && l.includes(home))
if (left.length) console.log(`LEFT RUNNING: ${left.join('\n')}`)
rmSync(home, { recursive: true, force: true })
await writeResults('vm', {
  workers: WORKERS,
  accelerator: accel,
  steps: Object.fromEntries(rows.map((r) => [String(r[0]), Number(r[1])])),
  rss,
  failure: failure ?? null,
})
process.exit(failure ? 1 : 0)
