// Field checks of the create wizard, in words, mirroring what the backend and `kubelab create`
// accept, so nothing invalid is ever sent. Pure; unit-tested in Node.
import { capabilitiesOf, maxWorkers, parseCpu, parseMemory } from '@contract'

export interface WizardFields {
  name: string
  provider: string
  workers: string | number
  cpu: string
  memory: string
  /** 1, 3 or 5 control-plane nodes (default 1). */
  controlPlanes?: number
  /** `embedded` or `etcd` (default: embedded for one control plane, etcd for several). */
  store?: string
}

export type FieldErrors = Partial<Record<'name' | 'provider' | 'workers' | 'cpu' | 'memory' | 'controlPlanes' | 'store', string>>

// The cluster manager's rule (cluster folders and kubeconfig contexts are named after it).
const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/

export function validateWizard(wizardFields: WizardFields, existing: readonly string[]): FieldErrors {
  const e: FieldErrors = {}
  const name = wizardFields.name.trim()
  if (name === '') e.name = 'Give the cluster a name, e.g. lab.'
  else if (name.length > 40) e.name = `A name has at most 40 characters (this one has ${name.length}).`
  else if (!NAME_RE.test(name)) e.name = 'Use lowercase letters, digits and "-", starting and ending with a letter or digit.'
  else if (existing.includes(name)) e.name = `A cluster named ${name} exists already: choose another name.`
  if (wizardFields.provider.trim() === '') e.provider = 'Choose where the nodes run.'
  const w = String(wizardFields.workers).trim()
  if (w === '') e.workers = 'Say how many worker nodes (0 or more); 0 runs everything on the control-plane node.'
  else if (!/^\d+$/.test(w)) e.workers = 'Workers is a whole number, 0 or more.'
  else if (Number(w) > maxWorkers) e.workers = `At most ${maxWorkers} workers.`
  const cpu = wizardFields.cpu.trim()
  if (cpu === '') e.cpu = 'Give the CPUs of each node, e.g. 2.'
  else if (parseCpu(cpu) === undefined) e.cpu = 'Not a CPU amount: write e.g. 2, 0.5 or 1500m.'
  const mem = wizardFields.memory.trim()
  if (mem === '') e.memory = 'Give the memory of each node, e.g. 2Gi.'
  else if (parseMemory(mem) === undefined) e.memory = 'Not a memory amount: write e.g. 2Gi, 512Mi or 2G.'
  const cps = wizardFields.controlPlanes ?? 1
  const store = wizardFields.store ?? (cps === 1 ? 'embedded' : 'etcd')
  const machines = capabilitiesOf(wizardFields.provider).machines
  if (![1, 3, 5].includes(cps)) e.controlPlanes = 'Choose 1, 3 or 5 control-plane nodes (etcd needs a majority).'
  else if (cps > 1 && !machines) e.controlPlanes = `Several control-plane nodes need nodes that are machines: choose local, qemu, multipass or virtualbox.`
  if (store !== 'embedded' && store !== 'etcd') e.store = 'The store is embedded or etcd.'
  else if (cps > 1 && store !== 'etcd') e.store = `${cps} control-plane nodes keep objects in etcd (a member on each): choose etcd.`
  else if (store === 'etcd' && !machines) e.store = 'etcd runs a member on the control-plane node: choose a provider whose nodes are machines.'
  return e
}

/** What `kubelab create` uses when no size is given: VMs get 2 CPUs and 2Gi (the providers' default); other nodes advertise 4 and 8Gi. */
export function cliDefaults(provider: string): { workers: number; cpu: string; memory: string } {
  if (capabilitiesOf(provider).vm) return { workers: 2, cpu: '2', memory: '2Gi' }
  return { workers: 2, cpu: '4', memory: '8Gi' }
}
