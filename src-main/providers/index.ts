// Providers by name.
import { localProvider } from './local'
import { MultipassProvider } from './multipass/provider'
import { VirtualBoxProvider } from './virtualbox/provider'
import { QemuProvider } from './qemu/provider'
import { simulatedProvider } from './simulated'
import type { Provider } from './types'

const PROVIDERS: Readonly<Record<string, Provider>> = {
  simulated: simulatedProvider,
  local: localProvider,
  multipass: new MultipassProvider(),
  virtualbox: new VirtualBoxProvider(),
  qemu: new QemuProvider(),
}

export function providerNames(): string[] {
  return Object.keys(PROVIDERS)
}

export function getProvider(name: string): Provider {
  const p = PROVIDERS[name]
  if (!p) throw new Error(`unknown provider ${JSON.stringify(name)}: choose one of ${providerNames().join(', ')}`)
  return p
}

export type { Provider, ProviderContext, NodeRecord, NodeRole, DetectResult, SshTarget, NodeStatusReport } from './types'
