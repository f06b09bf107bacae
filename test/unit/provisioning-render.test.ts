import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  agentLayout,
  agentPartUnit,
  manifest,
  nodeComponents,
  nodeEnvFile,
  shQuote,
  shutdownUnit,
  supervisorConfig,
  systemdUnit,
  type NodePlanInput,
} from '../../src-main/ssh-provisioning/node-plan'
import { tempDir } from '../helpers/temp-dir'

const ALL = new Set(['apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy', 'netpol', 'ingress'])
const plan = (o: Partial<NodePlanInput> = {}): NodePlanInput => ({
  cluster: 'demo',
  node: { name: 'control-plane', role: 'control-plane', ip: '10.231.10.2' },
  masterIp: '10.231.10.2',
  root: '/',
  nodeBinary: '/usr/bin/node',
  serviceMode: 'systemd',
  available: ALL,
  ...o,
})

describe('node plan', () => {
  it('runs the control plane on the master and the node agents everywhere', () => {
    expect(nodeComponents(plan()).components.map((c) => c.name)).toEqual([
      'apiserver',
      'scheduler',
      'controller-manager',
      'dns',
      'kubelet',
      'proxy',
      'netpol',
      'ingress',
    ])
    const w = nodeComponents(plan({ node: { name: 'node-1', role: 'worker', ip: '10.231.10.3' } }))
    expect(w.components.map((c) => c.name)).toEqual(['kubelet', 'proxy', 'netpol', 'ingress'])
    expect(w.components[0]!.args).toContain('unix:///run/containerd/containerd.sock')
  })

  it('puts every path under the node root and reports components the build lacks', () => {
    const p = nodeComponents(plan({ root: '/srv/n1', available: new Set(['apiserver', 'proxy']) }))
    expect(p.missing).toEqual(['scheduler', 'controller-manager', 'dns', 'kubelet', 'netpol', 'ingress'])
    expect(p.components[0]!.args).toContain('/srv/n1/var/lib/kubelab/apiserver')
    const conf = JSON.parse(supervisorConfig(plan({ root: '/srv/n1' }), p.components))
    expect(conf.program).toBe('/srv/n1/var/lib/kubelab/bin/kubelab-node.js')
    expect(conf.logDir).toBe('/srv/n1/var/log/kubelab')
  })

  it('with --store etcd runs the distribution etcd first (kubeadm cert paths) and points the API server at it', () => {
    const { components } = nodeComponents(plan({ store: 'etcd' }))
    expect(components.map((c) => c.name).slice(0, 2)).toEqual(['etcd', 'apiserver'])
    const etcd = components[0]!
    expect(etcd.command).toBe('/usr/bin/etcd')
    expect(etcd.args).toEqual(
      expect.arrayContaining([
        '--data-dir',
        '/var/lib/etcd',
        '--cert-file',
        '/etc/kubernetes/pki/etcd/server.crt',
        '--client-cert-auth',
        '--peer-client-cert-auth',
      ]),
    )
    expect(etcd.args.join(' ')).toContain('--listen-client-urls https://127.0.0.1:2379,https://10.231.10.2:2379')
    expect(components[1]!.args.join(' ')).toContain(
      '--store etcd --etcd-servers https://127.0.0.1:2379 --etcd-cafile /etc/kubernetes/pki/etcd/ca.crt --etcd-certfile /etc/kubernetes/pki/apiserver-etcd-client.crt',
    )
    expect(systemdUnit(plan({ store: 'etcd' }), etcd)).toMatch(/^ExecStart=\/usr\/bin\/etcd --name control-plane /m)
    // Workers and the default embedded store run no etcd.
    expect(nodeComponents(plan()).components.some((c) => c.name === 'etcd')).toBe(false)
    expect(nodeComponents(plan({ store: 'etcd', node: { name: 'node-1', role: 'worker', ip: '10.231.10.3' } })).components.some((c) => c.name === 'etcd')).toBe(
      false,
    )
  })

  it('with several control planes: one etcd cluster of every member, each API server advertising itself, one certificate for all', () => {
    const cps = [
      { name: 'control-plane', role: 'control-plane' as const, ip: '10.231.10.2' },
      { name: 'control-plane-2', role: 'control-plane' as const, ip: '10.231.10.3' },
      { name: 'control-plane-3', role: 'control-plane' as const, ip: '10.231.10.4' },
    ]
    const second = nodeComponents(plan({ store: 'etcd', node: cps[1]!, controlPlanes: cps, apiSans: ['10.231.10.1'] })).components
    const etcd = second.find((c) => c.name === 'etcd')!.args.join(' ')
    expect(etcd).toContain('--name control-plane-2 ')
    expect(etcd).toContain(
      '--initial-cluster control-plane=https://10.231.10.2:2380,control-plane-2=https://10.231.10.3:2380,control-plane-3=https://10.231.10.4:2380 ',
    )
    expect(etcd).toContain('--initial-advertise-peer-urls https://10.231.10.3:2380')
    const api = second.find((c) => c.name === 'apiserver')!.args.join(' ')
    expect(api).toContain('--advertise-address 10.231.10.3 ')
    expect(api).toContain('--tls-san 10.231.10.2 --tls-san 10.231.10.3 --tls-san 10.231.10.4 --tls-san 10.231.10.1 --apiserver-count 3')
    // One control plane: as before, no count.
    expect(nodeComponents(plan()).components[0]!.args.join(' ')).not.toContain('--apiserver-count')
  })

  it('renders systemd units and a shell-safe env file', () => {
    const c = nodeComponents(plan()).components[1]!
    const unit = systemdUnit(plan(), c)
    expect(unit).toContain(
      'ExecStart=/usr/bin/node --max-semi-space-size=8 /var/lib/kubelab/bin/kubelab-node.js scheduler --kubeconfig /etc/kubelab/scheduler.kubeconfig',
    )
    expect(unit).toContain('Restart=always')
    expect(shQuote("it's")).toBe(`'it'\\''s'`)
    const env = nodeEnvFile(plan({ cluster: 'a b' }))
    const envFile = join(tempDir('kl-env-'), 'node.env')
    writeFileSync(envFile, env)
    const out = spawnSync('sh', ['-c', `. ${envFile}; echo "$KUBELAB_CLUSTER|$KUBELAB_NODE_ROLE"`], { encoding: 'utf8' })
    expect(out.stdout.trim()).toBe('a b|control-plane')
  })

  it('spaces out periodic work on slow (emulated) nodes: leader-election renewals, netpol re-checks', () => {
    const args = (p: NodePlanInput, name: string) =>
      nodeComponents(p)
        .components.find((c) => c.name === name)!
        .args.join(' ')
    expect(args(plan({ timeScale: 4 }), 'scheduler')).toContain(
      '--leader-elect-lease-duration 60s --leader-elect-renew-deadline 40s --leader-elect-retry-period 8s',
    )
    expect(args(plan({ timeScale: 4 }), 'controller-manager')).toContain('--leader-elect-lease-duration 60s')
    expect(args(plan({ timeScale: 4 }), 'netpol')).toContain('--resync 40')
    // A normal machine keeps upstream's defaults (no flags).
    for (const c of ['scheduler', 'controller-manager', 'netpol']) expect(args(plan(), c)).not.toMatch(/leader-elect|resync/)
  })

  it('runs the node agents in one kubelab-node agent process when the build has it, a unit per part asking it', () => {
    const withAgent = plan({ available: new Set([...ALL, 'agent']) })
    const { components } = nodeComponents(withAgent)
    const layout = agentLayout(withAgent, components)
    // The control-plane node: everything in the agent (API server, scheduler and controller manager included).
    const ALL_PARTS = ['apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy', 'netpol', 'ingress']
    expect(layout.processes.map((c) => c.name)).toEqual(['agent'])
    expect(layout.parts.map((c) => c.name)).toEqual(ALL_PARTS)
    const agent = layout.processes[0]!
    expect(agent.args).toEqual(['--config', '/etc/kubelab/agent.json', '--control-socket', '/run/kubelab/agent.sock', '--stopped-dir', '/run/kubelab/stopped'])
    // The agent's config is each part's own command line, unchanged.
    const conf = JSON.parse(layout.agentConfig!) as { parts: { name: string; args: string[] }[] }
    expect(conf.parts.map((p) => p.name)).toEqual(ALL_PARTS)
    for (const name of ['apiserver', 'scheduler', 'controller-manager', 'kubelet'])
      expect(conf.parts.find((p) => p.name === name)!.args).toEqual([...components.find((c) => c.name === name)!.args])
    // The supervisor learns the parts and the socket to ask.
    const sup = JSON.parse(supervisorConfig(withAgent, layout.processes)) as { components: { name: string; parts?: string[]; controlSocket?: string }[] }
    expect(sup.components.map((c) => c.name)).toEqual(['agent'])
    expect(sup.components[0]).toMatchObject({ parts: ALL_PARTS, controlSocket: '/run/kubelab/agent.sock' })
    // systemd: the agent pulls in its part units; each part unit asks the agent.
    const agentUnit = systemdUnit(withAgent, agent)
    expect(agentUnit).toMatch(
      /^Wants=network-online\.target kubelab-apiserver\.service kubelab-scheduler\.service kubelab-controller-manager\.service kubelab-dns\.service kubelab-kubelet\.service .*kubelab-ingress\.service$/m,
    )
    expect(agentUnit).toMatch(/^After=network-online\.target containerd\.service$/m)
    // The agent runs the control plane: it gets the control plane's Node.js memory flags, as the supervisor does.
    expect(agentUnit).toMatch(
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=8 \/var\/lib\/kubelab\/bin\/kubelab-node\.js agent --config \/etc\/kubelab\/agent\.json /m,
    )
    expect(JSON.parse(supervisorConfig(withAgent, layout.processes)).nodeFlags).toEqual(['--max-semi-space-size=8'])
    // and the environment of every kubelab-node process (glibc's malloc arenas).
    expect(agentUnit).toMatch(/^Environment=MALLOC_ARENA_MAX=2$/m)
    expect(JSON.parse(supervisorConfig(withAgent, layout.processes)).nodeEnv).toEqual({ MALLOC_ARENA_MAX: '2' })
    expect(agentUnit).toMatch(/^Restart=always$/m)
    for (const name of ALL_PARTS) {
      const unit = agentPartUnit(
        withAgent,
        layout.parts.find((c) => c.name === name)!,
        agent,
      )
      expect(unit).toMatch(/^Type=oneshot$/m)
      expect(unit).toMatch(/^RemainAfterExit=yes$/m)
      expect(unit).toMatch(/^Requires=kubelab-agent\.service$/m)
      expect(unit).toMatch(/^After=kubelab-agent\.service$/m)
      expect(unit).toMatch(/^PartOf=kubelab-agent\.service$/m)
      expect(unit).toMatch(/^WantedBy=multi-user\.target$/m)
      expect(unit).toContain(
        `\nExecStop=/usr/bin/node /var/lib/kubelab/bin/kubelab-node.js agent-ctl --stop ${name} --control-socket /run/kubelab/agent.sock --stopped-dir /run/kubelab/stopped\n`,
      )
      expect(unit).toContain(
        `\nExecStart=/usr/bin/node /var/lib/kubelab/bin/kubelab-node.js agent-ctl --start ${name} --control-socket /run/kubelab/agent.sock --stopped-dir /run/kubelab/stopped\n`,
      )
      // No unit of a part runs a process of its own.
      expect(unit).not.toMatch(new RegExp(`kubelab-node\\.js ${name} `))
    }
    // A worker: the node agents only.
    const worker = plan({ available: new Set([...ALL, 'agent']), node: { name: 'node-1', role: 'worker', ip: '10.231.10.3' } })
    const wl = agentLayout(worker, nodeComponents(worker).components)
    expect(wl.processes.map((c) => c.name)).toEqual(['agent'])
    expect(wl.parts.map((c) => c.name)).toEqual(['kubelet', 'proxy', 'netpol', 'ingress'])
    expect(systemdUnit(worker, wl.processes[0]!)).toMatch(/^After=network-online\.target containerd\.service$/m)
    // Its agent runs no control-plane part: the node agents' smaller young generation.
    expect(systemdUnit(worker, wl.processes[0]!)).toMatch(
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=2 \/var\/lib\/kubelab\/bin\/kubelab-node\.js agent /m,
    )
    expect(JSON.parse(supervisorConfig(worker, wl.processes)).nodeFlags).toEqual(['--max-semi-space-size=2'])
    // A build without the agent: every component its own process, as before.
    expect(agentLayout(plan(), components)).toEqual({ processes: components, parts: [] })
  })

  it('with --store etcd keeps etcd a process of its own and starts the agent (API server inside) after it', () => {
    const withAgent = plan({ store: 'etcd', available: new Set([...ALL, 'agent']) })
    const layout = agentLayout(withAgent, nodeComponents(withAgent).components)
    expect(layout.processes.map((c) => c.name)).toEqual(['etcd', 'agent'])
    expect(layout.processes[0]!.command).toBe('/usr/bin/etcd')
    expect(layout.parts[0]!.name).toBe('apiserver')
    expect(layout.parts[0]!.args).toContain('https://127.0.0.1:2379')
    const agentUnit = systemdUnit(withAgent, layout.processes[1]!)
    // Up after etcd, and (systemd stops in reverse order) down before it.
    expect(agentUnit).toMatch(/^After=network-online\.target containerd\.service kubelab-etcd\.service$/m)
    expect(systemdUnit(withAgent, layout.processes[0]!)).toMatch(/^ExecStart=\/usr\/bin\/etcd /m)
    // A worker of that cluster has no etcd to wait for.
    const worker = plan({ store: 'etcd', available: new Set([...ALL, 'agent']), node: { name: 'node-1', role: 'worker', ip: '10.231.10.3' } })
    const wl = agentLayout(worker, nodeComponents(worker).components)
    expect(systemdUnit(worker, wl.processes[0]!)).toMatch(/^After=network-online\.target containerd\.service$/m)
  })

  it('stops the pods through the CRI at power-off only, not on a plain systemctl stop', () => {
    const unit = shutdownUnit(plan())
    expect(unit).toMatch(/^After=containerd\.service$/m)
    // Going down, the kubelet stops first (it would restart the containers), containerd last.
    expect(unit).toMatch(/^Before=kubelab-kubelet\.service kubelab-agent\.service$/m)
    const stop = /^ExecStop=\/bin\/sh -c '(.*)'$/m.exec(unit)?.[1]
    expect(stop).toBeDefined()
    // Run the guard as systemd would ($$ → $), with systemctl and node replaced by recorders.
    const bin = tempDir('kl-shutdown-')
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\necho "$STATE"\n', { mode: 0o755 })
    writeFileSync(join(bin, 'node'), '#!/bin/sh\necho "ran: $*"\n', { mode: 0o755 })
    const script = stop!.replace(/\$\$/g, '$').replace('/usr/bin/node', join(bin, 'node'))
    const run = (state: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, STATE: state } })
    expect(run('stopping').stdout).toBe(
      'ran: /var/lib/kubelab/bin/kubelab-node.js shutdown-pods --container-runtime-endpoint unix:///run/containerd/containerd.sock --grace-period 5\n',
    )
    for (const state of ['running', 'degraded']) {
      const r = run(state)
      expect(r.status).toBe(0)
      expect(r.stdout).toBe('')
    }
    expect(() => shutdownUnit(plan({ nodeBinary: '/opt/my node/bin/node' }))).toThrow(/cannot quote/)
  })

  it('writes a manifest install-node.sh installs idempotently', () => {
    const dir = tempDir('kl-render-')
    const staging = join(dir, 'staging')
    mkdirSync(staging)
    const files = [{ name: 'a.txt', content: 'A', dest: join(dir, 'etc', 'a.txt'), mode: 0o600 }]
    expect(manifest(files)).toBe(`0600 ${join(dir, 'etc', 'a.txt')} a.txt\n`)
    expect(() => manifest([{ ...files[0]!, dest: '/a b' }])).toThrow(/spaces/)
    // The install loop of install-node.sh, run on its own: second run installs nothing.
    const script = readFileSync(join(__dirname, '../../provisioning/install-node.sh'), 'utf8')
    const loop = script.slice(script.indexOf('# One Node.js process installs every file'), script.indexOf('# --- services'))
    writeFileSync(join(staging, 'a.txt'), 'A')
    writeFileSync(join(staging, 'manifest.txt'), manifest(files))
    const run = () =>
      spawnSync('sh', ['-c', `say() { echo "$*"; }; die() { echo "$*" >&2; exit 1; }; NODE_BIN=${process.execPath}; STAGING=${staging}; ${loop}`], {
        encoding: 'utf8',
      })
    const first = run()
    expect(first.stderr).toContain(`installed ${join(dir, 'etc', 'a.txt')}`)
    expect(first.status).toBe(0)
    expect(statSync(join(dir, 'etc', 'a.txt')).mode & 0o777).toBe(0o600)
    expect(run().stdout).toContain('all files already up to date')
    expect(existsSync(join(dir, 'etc', 'a.txt.kubelab-new'))).toBe(false)
  })

  it('install-node.sh names what to install when Node.js is too old', () => {
    const dir = tempDir('kl-pre-')
    writeFileSync(join(dir, 'node.env'), 'KUBELAB_NODE_NAME=n1\nKUBELAB_SERVICE_MODE=supervisor\n')
    writeFileSync(join(dir, 'old-node'), '#!/bin/sh\necho 18.19.0\n', { mode: 0o755 })
    const script = readFileSync(join(__dirname, '../../provisioning/install-node.sh'), 'utf8')
    writeFileSync(join(dir, 'install-node.sh'), script)
    const r = spawnSync('sh', [join(dir, 'install-node.sh')], { encoding: 'utf8', env: { ...process.env, KUBELAB_NODE_BINARY: join(dir, 'old-node') } })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('Node.js 18.19.0 on node n1 is too old: install Node.js 20 or newer')
  })
})
