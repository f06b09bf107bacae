// What each provider's nodes can do, declared once here and read by the backend (cluster
// manager, preflight, terminals), the labs and the renderer alike, instead of each of them
// testing the provider's name. Free of Node and DOM imports.

/** What a provider's nodes are and can do. */
export interface ProviderCapabilities {
  /** One line for people: what the nodes are. */
  readonly description: string
  /**
   * Each node is a machine of its own (a VM or a network namespace) that KubeLab provisions and
   * reaches over SSH: it runs real containers, carries pod traffic and has a shell to log in to.
   */
  readonly machines: boolean
  /**
   * The whole cluster is one process on the host: the control plane with hollow nodes inside it
   * (simulated). Its store, PKI and kubeconfig live in the cluster folder; its workers stop with it.
   */
  readonly hollowNodes: boolean
  /** Nodes are VMs sized with --cpus, --memory and --disk that the host must fit. */
  readonly vm: boolean
  /** The host reaches each node at the node's own address (QEMU's private network needs forwards). */
  readonly hostReachesNodes: boolean
}

/** The providers this version knows, with what their nodes can do. */
export const PROVIDER_CAPABILITIES = {
  simulated: {
    description: 'Hollow nodes in one process: any OS, instant, thousands of nodes; pods run without containers.',
    machines: false,
    hollowNodes: true,
    vm: false,
    hostReachesNodes: false,
  },
  local: {
    description: 'Each node a network namespace with its own containerd (Linux, root).',
    machines: true,
    hollowNodes: false,
    vm: false,
    hostReachesNodes: true,
  },
  multipass: {
    description: 'One Ubuntu VM per node with Multipass.',
    machines: true,
    hollowNodes: false,
    vm: true,
    hostReachesNodes: true,
  },
  virtualbox: {
    description: 'One VM per node with VirtualBox.',
    machines: true,
    hollowNodes: false,
    vm: true,
    hostReachesNodes: true,
  },
  qemu: {
    description: 'One VM per node with QEMU, no root needed (KVM, HVF or slow TCG); Ubuntu cloud image by default.',
    machines: true,
    hollowNodes: false,
    vm: true,
    hostReachesNodes: false,
  },
} as const satisfies Record<string, ProviderCapabilities>

export type ProviderName = keyof typeof PROVIDER_CAPABILITIES

/** What `kubelab create` and the wizard use when no provider is chosen (and a record without one means). */
export const DEFAULT_PROVIDER: ProviderName = 'simulated'

/** A provider this version does not know (or none recorded): nothing can be assumed. */
export const UNKNOWN_PROVIDER_CAPABILITIES: ProviderCapabilities = {
  description: 'A provider this version of KubeLab does not know.',
  machines: false,
  hollowNodes: false,
  vm: false,
  hostReachesNodes: false,
}

export function isProviderName(name: unknown): name is ProviderName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PROVIDER_CAPABILITIES, name)
}

export function capabilitiesOf(provider: string | null | undefined): ProviderCapabilities {
  return isProviderName(provider) ? PROVIDER_CAPABILITIES[provider] : UNKNOWN_PROVIDER_CAPABILITIES
}

/** Providers whose nodes are VMs (sized with --cpus/--memory/--disk; the host must fit them). */
export const VM_PROVIDERS: readonly ProviderName[] = (Object.keys(PROVIDER_CAPABILITIES) as ProviderName[]).filter((p) => PROVIDER_CAPABILITIES[p].vm)

/** Providers whose nodes are machines with shells (node terminals, lab scripts on nodes). */
export const MACHINE_PROVIDERS: readonly ProviderName[] = (Object.keys(PROVIDER_CAPABILITIES) as ProviderName[]).filter(
  (p) => PROVIDER_CAPABILITIES[p].machines,
)
