// Per-node VM sizing flags of `kubelab create` (--cpus, --memory, --disk) for the VM providers,
// validated up front so a typo fails before any VM is made. Sizes are turned into Kubernetes
// quantities in MiB ("2048Mi"), the form the wizard passes and the providers read as
// settings.cpu / settings.memory / settings.disk.

import { capabilitiesOf, VM_PROVIDERS } from '../../contract'

/** Below these a node cannot run containerd and KubeLab's components (memory) or hold the image (disk). */
export const MIN_MEMORY_MIB = 512
export const MIN_DISK_MIB = 5 * 1024
export const MAX_CPUS = 64

const UNIT_MIB: Readonly<Record<string, number>> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }

/**
 * "2G", "2048M", "1.5G", "2Gi", "512MiB" → MiB. K/M/G/T are binary, as Multipass reads them;
 * a bare number is refused because Multipass would read it as bytes and VirtualBox as MB.
 */
export function parseSizeMiB(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])(i?B?)$/i.exec(text.trim())
  if (!m) {
    const bare = /^\d+(?:\.\d+)?$/.test(text.trim())
    throw new Error(`--${flag} ${JSON.stringify(text)} is not a size${bare ? ' (a unit is required)' : ''}: use a number with K, M, G or T, e.g. 2G or 2048M`)
  }
  const mib = Math.ceil(Number(m[1]) * UNIT_MIB[m[2]!.toUpperCase()]!)
  if (!(mib > 0)) throw new Error(`--${flag} must be more than zero, got ${text}`)
  return mib
}

export function parseCpus(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`--cpus must be a whole number of CPUs, e.g. 2; got ${JSON.stringify(text)}`)
  const n = Number(text)
  if (n < 1 || n > MAX_CPUS) throw new Error(`--cpus must be between 1 and ${MAX_CPUS}, got ${n}`)
  return n
}

export interface VmSizeFlags {
  readonly cpus?: string
  readonly memory?: string
  readonly disk?: string
}

/**
 * The provider settings for the sizing flags given, or an error naming the flag and the fix.
 * Only the VM providers (capabilities `vm`: multipass, virtualbox, qemu) make VMs; for them --memory is the VM's memory (for simulated it
 * stays the hollow nodes' advertised capacity and is not handled here).
 */
export function vmSizeSettings(provider: string, vmSizeFlags: VmSizeFlags): Record<string, string> {
  const given = (['cpus', 'disk'] as const).filter((k) => vmSizeFlags[k] !== undefined)
  if (!capabilitiesOf(provider).vm) {
    if (given.length)
      throw new Error(`--${given.join(' and --')} only apply to VM providers (--provider ${VM_PROVIDERS.join('|')}); ${provider} nodes are not VMs`)
    return {}
  }
  const out: Record<string, string> = {}
  if (vmSizeFlags.cpus !== undefined) out.cpu = String(parseCpus(vmSizeFlags.cpus))
  if (vmSizeFlags.memory !== undefined) {
    const mib = parseSizeMiB('memory', vmSizeFlags.memory)
    if (mib < MIN_MEMORY_MIB)
      throw new Error(`--memory ${vmSizeFlags.memory} is too little for a KubeLab node: give at least ${MIN_MEMORY_MIB}M (1G or more for a control plane)`)
    out.memory = `${mib}Mi`
  }
  if (vmSizeFlags.disk !== undefined) {
    const mib = parseSizeMiB('disk', vmSizeFlags.disk)
    if (mib < MIN_DISK_MIB) throw new Error(`--disk ${vmSizeFlags.disk} is smaller than the Ubuntu image needs: give at least ${MIN_DISK_MIB / 1024}G`)
    out.disk = `${mib}Mi`
  }
  return out
}
