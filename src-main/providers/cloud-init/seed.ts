// The NoCloud seed image for one VM: user-data, meta-data and (VirtualBox) network-config on
// an ISO labelled "cidata". A fresh instance-id per build makes cloud-init run again on a
// rebuilt or cloned disk instead of skipping the seed.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { buildIso } from './iso9660'
import { renderMetaData } from './user-data'

export interface SeedContent {
  readonly userData: string
  readonly hostname: string
  /** e.g. "kubelab-demo-w1"; a random suffix is added to make each build unique. */
  readonly instanceIdPrefix: string
  readonly networkConfig?: string
  readonly date?: Date
}

export function newInstanceId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** Builds the seed ISO; returns it with the instance-id it carries. */
export function buildSeedIso(seedContent: SeedContent): { iso: Buffer; instanceId: string } {
  const instanceId = newInstanceId(seedContent.instanceIdPrefix)
  const files = [
    { name: 'meta-data', data: renderMetaData(instanceId, seedContent.hostname) },
    { name: 'user-data', data: seedContent.userData },
    ...(seedContent.networkConfig ? [{ name: 'network-config', data: seedContent.networkConfig }] : []),
  ]
  return { iso: buildIso(files, { volumeId: 'cidata', ...(seedContent.date ? { date: seedContent.date } : {}) }), instanceId }
}

export function writeSeedIso(file: string, seedContent: SeedContent): string {
  const { iso, instanceId } = buildSeedIso(seedContent)
  writeFileSync(file, iso)
  return instanceId
}
