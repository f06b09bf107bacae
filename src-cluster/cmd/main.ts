// kubelab-node: every component that runs on a cluster node, one subcommand each, all run by
// the one component runner (component.ts).
import { apiserver } from './apiserver'
import { controlPlane } from './control-plane'
import { controllerManager } from './controller-manager'
import { scheduler } from './scheduler'
import { kubelet } from './kubelet'
import { proxy } from './proxy'
import { netpol } from './netpol'
import { dns } from './dns'
import { ingress } from './ingress'
import { simulatedNodes } from './simulated-nodes'
import { restore } from './restore'
import { shutdownPods } from './shutdown-pods'
import { runComponent, type Component } from './component'
import { agent, agentCtl } from './agent'
import { tuneHeap } from './memory'

// Component is generic over its flags; the table only needs what every component has.
const COMPONENTS: readonly Component<any>[] = [
  apiserver,
  scheduler,
  controllerManager,
  kubelet,
  proxy,
  netpol,
  dns,
  ingress,
  agent,
  agentCtl,
  simulatedNodes,
  controlPlane,
  shutdownPods,
  restore,
]

function usage(): string {
  const lines = COMPONENTS.map((c) => `  ${c.name.padEnd(20)} ${c.about}`)
  return `usage: kubelab-node <component> [flags]\n\ncomponents:\n${lines.join('\n')}\n\nRun 'kubelab-node <component> --help' for its flags.`
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage())
    return
  }
  const c = COMPONENTS.find((x) => x.name === name)
  if (!c) {
    console.error(`kubelab-node: unknown component ${JSON.stringify(name)}\n\n${usage()}`)
    process.exit(2)
  }
  tuneHeap()
  try {
    await runComponent(c, rest)
  } catch (e) {
    console.error(`kubelab-node ${name}: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
  // Done (a command) or stopped (after a signal): leave even if a library left a handle open
  // (with process.exitCode, which a command such as agent-ctl --status may set).
  process.exit()
}
