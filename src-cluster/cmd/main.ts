// kubelab-node: every component that runs on a cluster node, one subcommand each.
import { runApiserver } from './apiserver'
import { runControlPlane } from './control-plane'
import { runControllerManager } from './controller-manager'
import { runScheduler } from './scheduler'
import { runKubelet } from './kubelet'
import { runProxy } from './proxy'
import { runNetpol } from './netpol'
import { runDns } from './dns'
import { runIngress } from './ingress'
import { runSimulatedNodes } from './simulated-nodes'
import { runRestore } from './restore'
import { runShutdownPods } from './shutdown-pods'

const COMMANDS: Record<string, { run: (args: string[]) => Promise<void>; about: string }> = {
  apiserver: { run: runApiserver, about: 'the Kubernetes API server with its embedded store' },
  scheduler: { run: runScheduler, about: 'binds pending pods to nodes (filters, scores, events)' },
  'controller-manager': { run: runControllerManager, about: 'every controller (workloads, nodes, namespaces, jobs, HPA, ...)' },
  kubelet: { run: runKubelet, about: 'node agent: pods on containerd through the CRI, pod network, logs/exec/port-forward server' },
  proxy: { run: runProxy, about: 'service proxy: iptables rules for ClusterIP, NodePort and LoadBalancer Services' },
  netpol: { run: runNetpol, about: "NetworkPolicy enforcement for this node's pods (iptables)" },
  dns: { run: runDns, about: 'cluster DNS for cluster.local, forwarding other names upstream' },
  ingress: { run: runIngress, about: 'ingress controller: HTTP(S) routing to Services for Ingresses of class kubelab' },
  'simulated-nodes': { run: runSimulatedNodes, about: 'hollow kubelets: many simulated nodes in one process' },
  'control-plane': { run: runControlPlane, about: 'apiserver + scheduler + controller-manager (+ simulated nodes) in one process' },
  'shutdown-pods': { run: runShutdownPods, about: "stop every pod's containers through the CRI (run at machine power-off)" },
  restore: { run: runRestore, about: "put a backup's store snapshot in place (API server and etcd stopped)" },
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(20)} ${c.about}`)
  return `usage: kubelab-node <component> [flags]\n\ncomponents:\n${lines.join('\n')}\n\nRun 'kubelab-node <component> --help' for its flags.`
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage())
    return
  }
  const c = COMMANDS[cmd]
  if (!c) {
    console.error(`kubelab-node: unknown component ${JSON.stringify(cmd)}\n\n${usage()}`)
    process.exit(2)
  }
  try {
    await c.run(rest)
  } catch (e) {
    console.error(`kubelab-node ${cmd}: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
