import { resolve } from 'node:path'
import { providerNames } from '../../providers'
import { clusterCommand } from './cluster-util'
import { capabilitiesOf, DEFAULT_PROVIDER } from '../../contract'
import { vmSizeSettings } from './vm-size'

/** `kubelab create NAME --provider simulated --workers N`: waits until every node is Ready. */
export const createCommand = clusterCommand({
  name: 'create',
  summary: 'Create a cluster and wait until all its nodes are Ready',
  usage: [
    'kubelab create NAME [--provider simulated] [--workers N] [options]',
    `  --provider P         where nodes run: ${providerNames().join(', ')} (default simulated)`,
    '  --workers N          worker nodes besides the control plane (default 2)',
    '  --control-planes N   control-plane nodes: 1 (default), 3 or 5. Several run an etcd member, an API',
    '                       server and leader-elected scheduler/controller manager each, behind a load',
    '                       balancer on the host (and one on every VM node); the store is etcd',
    '  --timeout D          give up waiting after D seconds (default 120 + a little per node)',
    '  --store S            where the API server keeps objects: embedded (default) or etcd (an etcd',
    '                       member from the distribution on the control-plane node; not for simulated)',
    'multipass, virtualbox and qemu (each node; defaults 2 CPUs, 2G memory, 20G disk):',
    '  --cpus N             virtual CPUs, 1-64                --memory SIZE   e.g. 2G or 2048M (at least 512M)',
    '  --disk SIZE          disk, e.g. 20G (at least 5G)',
    'qemu only:',
    '  --image FILE|URL     a cloud image with cloud-init, qcow2 or raw (default: Ubuntu 24.04, downloaded once)',
    'virtualbox only:',
    '  --host-only-subnet S host-only /24 inside 192.168.56.0/21, e.g. 192.168.57 (default 192.168.56)',
    'simulated only:',
    '  --start-delay D      pod start delay, e.g. 1s       --run-time D   run time of Job pods, e.g. 5s',
    '  --cpu Q --memory Q --pods N                        capacity of each node (default 4, 8Gi, 110)',
    '  --node-monitor-grace-period D                      lease age that makes a node NotReady (default 40s)',
    '  --default-toleration-seconds N                     eviction delay from unreachable nodes (default 300)',
    'Re-running an interrupted create finishes it. Ctrl-C cancels cleanly (the current step stops;',
    'run the same create again to finish, or kubelab delete NAME).',
  ].join('\n'),
  flags: {
    provider: 'string',
    workers: 'string',
    'control-planes': 'string',
    timeout: 'string',
    store: 'string',
    'start-delay': 'string',
    'run-time': 'string',
    cpu: 'string',
    cpus: 'string',
    memory: 'string',
    disk: 'string',
    'host-only-subnet': 'string',
    image: 'string',
    pods: 'string',
    'node-monitor-grace-period': 'string',
    'default-toleration-seconds': 'string',
  },
  positional: 1,
  cancelHint: ({ flags, positional }) => {
    const again = [
      'kubelab create',
      positional[0],
      ...(flags.provider ? ['--provider', flags.provider] : []),
      ...(flags['control-planes'] ? ['--control-planes', flags['control-planes']] : []),
      ...(flags.workers ? ['--workers', flags.workers] : []),
    ].join(' ')
    return `cluster ${positional[0]} is left half-created; nothing of this run keeps running. To finish it, run the same create again: ${again}. To remove it: kubelab delete ${positional[0]}`
  },
  async run(manager, { flags, positional }) {
    const workers = flags.workers === undefined ? 2 : Number(flags.workers)
    if (!/^\d+$/.test(flags.workers ?? '2')) throw new Error(`--workers must be a whole number, got ${flags.workers}`)
    const timeoutS = flags.timeout === undefined ? undefined : Number(flags.timeout)
    if (timeoutS !== undefined && !(timeoutS > 0)) throw new Error(`--timeout must be a number of seconds, got ${flags.timeout}`)
    const provider = flags.provider ?? DEFAULT_PROVIDER
    const vm = capabilitiesOf(provider).vm
    if (vm && flags.cpu !== undefined) throw new Error(`--cpu is the simulated nodes' advertised capacity; for ${provider} VMs use --cpus N`)
    if (flags['host-only-subnet'] !== undefined && provider !== 'virtualbox') throw new Error('--host-only-subnet only applies to --provider virtualbox')
    if (flags['host-only-subnet'] !== undefined && !/^192\.168\.(5[6-9]|6[0-3])$/.test(flags['host-only-subnet'])) {
      throw new Error(
        `--host-only-subnet must be the first three parts of a /24 inside 192.168.56.0/21 (192.168.56 to 192.168.63), got ${flags['host-only-subnet']}`,
      )
    }
    if (flags.image !== undefined && provider !== 'qemu')
      throw new Error('--image only applies to --provider qemu (multipass and virtualbox use their own Ubuntu image)')
    if (flags['control-planes'] !== undefined && !/^[135]$/.test(flags['control-planes']))
      throw new Error(`--control-planes must be 1, 3 or 5, got ${flags['control-planes']}`)
    const controlPlanes = Number(flags['control-planes'] ?? 1)
    if (controlPlanes > 1 && flags.store === 'embedded')
      throw new Error('--control-planes ' + controlPlanes + ' keeps objects in etcd (a member on each control-plane node): leave out --store embedded')
    const store = flags.store ?? (controlPlanes > 1 ? 'etcd' : 'embedded')
    if (store !== 'embedded' && store !== 'etcd') throw new Error(`--store must be embedded or etcd, got ${flags.store}`)
    if (flags.store === 'etcd' && capabilitiesOf(provider).hollowNodes)
      throw new Error(
        '--store etcd runs an etcd member on the control-plane node: use a provider with nodes (local, qemu, multipass, virtualbox), not simulated',
      )
    const settings: Record<string, string> = vmSizeSettings(provider, { cpus: flags.cpus, memory: flags.memory, disk: flags.disk })
    const map: [string, string | undefined][] = [
      ['startDelay', flags['start-delay']],
      ['runTime', flags['run-time']],
      ['cpu', flags.cpu],
      ['memory', vm ? undefined : flags.memory],
      ['hostOnlySubnet', flags['host-only-subnet']],
      ['image', flags.image && !/^https?:\/\//.test(flags.image) ? resolve(flags.image) : flags.image],
      ['pods', flags.pods],
      ['nodeMonitorGracePeriod', flags['node-monitor-grace-period']],
      ['defaultTolerationSeconds', flags['default-toleration-seconds']],
      ['store', store === 'etcd' ? 'etcd' : undefined],
    ]
    for (const [k, v] of map) if (v !== undefined) settings[k] = v
    await manager.create(positional[0] as string, {
      provider,
      workers,
      controlPlanes,
      settings,
      timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    })
    return 0
  },
})
