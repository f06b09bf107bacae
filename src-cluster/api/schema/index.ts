// All schema structs, by definition name. Data modules each export `structs: Struct[]`.
import type { Struct } from './dsl'
import { structs as meta } from './meta'
import { structs as corePod, protoEmbeds as corePodEmbeds, type ProtoEmbed } from './core-pod'
import { structs as core, protoEmbeds as coreEmbeds } from './core'
import { structs as apps } from './apps'
import { structs as batch } from './batch'
import { structs as groups, protoEmbeds as groupEmbeds } from './groups'
import { structs as apiextensions } from './apiextensions'
import { structs as scheduling } from './scheduling'
import { structs as corePolicy } from './core-policy'
import { structs as coreControllers } from './core-controllers'
import { structs as certificates } from './certificates'
import { structs as apiregistration } from './apiregistration'
import { structs as admissionregistration, protoEmbeds as admissionEmbeds } from './admissionregistration'

const all = new Map<string, Struct>()
for (const s of [
  ...meta,
  ...corePod,
  ...core,
  ...apps,
  ...batch,
  ...groups,
  ...apiextensions,
  ...scheduling,
  ...corePolicy,
  ...coreControllers,
  ...certificates,
  ...apiregistration,
  ...admissionregistration,
]) {
  if (all.has(s.name)) throw new Error(`schema: struct ${s.name} is defined twice`)
  all.set(s.name, s)
}

export const STRUCTS: ReadonlyMap<string, Struct> = all

export function structByName(name: string): Struct {
  const s = all.get(name)
  if (!s) throw new Error(`schema: no struct named ${name}`)
  return s
}

/** The top-level struct served as group/version/kind, if any. */
export function structForKind(group: string, version: string, kind: string): Struct | undefined {
  for (const s of all.values()) {
    if (s.gvk && s.gvk.group === group && s.gvk.version === version && s.gvk.kind === kind) return s
  }
  return undefined
}

/**
 * Go structs embedded in others: JSON flattens their fields into the parent, protobuf keeps
 * them as one nested message at field `n` (e.g. Volume's VolumeSource at 2). The protobuf codec
 * reads the listed fields through that nested message.
 */
export const PROTO_EMBEDS: ReadonlyMap<string, readonly ProtoEmbed[]> = (() => {
  const m = new Map<string, ProtoEmbed[]>()
  for (const e of [...corePodEmbeds, ...coreEmbeds, ...groupEmbeds, ...admissionEmbeds]) {
    // An embed inside an embed names the synthetic struct of its parent: `NAME(embedded N)`.
    if (!all.has(e.struct.replace(/\(embedded \d+\)$/, ''))) throw new Error(`schema: protobuf embed names unknown struct ${e.struct}`)
    m.set(e.struct, [...(m.get(e.struct) ?? []), e])
  }
  return m
})()
