// Providers by name.
import { localProvider } from './local'
import { MultipassProvider } from './multipass/provider'
import { VirtualBoxProvider } from './virtualbox/provider'
import { QemuProvider } from './qemu/provider'
import { simulatedProvider } from './simulated'
import type { Provider } from './types'
import { capabilitiesOf, type ProviderCapabilities, type ProviderName } from '../contract'

// Keyed by the contract's provider names: a provider without declared capabilities (or
// capabilities without a provider) is a compile error.
const PROVIDERS: Readonly<Record<ProviderName, Provider>> = {
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
  const p = (PROVIDERS as Readonly<Record<string, Provider>>)[name]
  if (!p) throw new Error(`unknown provider ${JSON.stringify(name)}: choose one of ${providerNames().join(', ')}`)
  return p
}

/** What the named provider's nodes can do (contract/providers.ts declares them). */
export function providerCapabilities(name: string | null | undefined): ProviderCapabilities {
  return capabilitiesOf(name)
}

export type { Provider, ProviderContext, NodeRecord, NodeRole, DetectResult, SshTarget, NodeStatusReport } from './types'
