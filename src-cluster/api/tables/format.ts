// Small formatting rules shared by the printers, each mirroring the upstream helper that
// produces the same text (label maps, selectors, container lists, access modes, ...).

import type { LabelSelector as LabelSelectorObj } from 'kubernetes-types/meta/v1'
import { ageSince } from '../age'
import type { KubeObject } from '../object'
import { labelSelectorFromObject, selectorToString } from '../selectors'
import type { TableColumn } from './types'

export function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority }
}

export const NAME_COLUMN = col('Name', 'string', 'Name of the object, unique within its namespace.', 0, 'name')
export const AGE_COLUMN = col('Age', 'string', 'Time since the object was created (creationTimestamp).')
export const CONTAINERS_COLUMN = col('Containers', 'string', 'Names of the containers in the pod template.', 1)
export const IMAGES_COLUMN = col('Images', 'string', 'Images of the containers in the pod template.', 1)
export const SELECTOR_COLUMN = col('Selector', 'string', 'Label selector of the pods this object manages.', 1)

export const nameOf = (obj: KubeObject): string => obj.metadata?.name ?? ''
export const ageOf = (obj: KubeObject, now: Date): string => ageSince(obj.metadata?.creationTimestamp, now)

/** Integer fields default to 0 when unset, as Go's zero value does. */
export const int = (value: number | null | undefined): number => (typeof value === 'number' ? Math.trunc(value) : 0)

/** `a=b,c=d` with keys sorted, or `<none>` (labels.FormatLabels). */
export function formatLabels(record: Record<string, string> | null | undefined): string {
  const keys = Object.keys(record ?? {}).sort()
  if (keys.length === 0) return '<none>'
  return keys.map((k) => `${k}=${record![k]}`).join(',')
}

/** Selector text, `<none>` for empty or missing, `<error>` for invalid (metav1.FormatLabelSelector). */
export function formatLabelSelector(sel: LabelSelectorObj | null | undefined): string {
  try {
    const s = selectorToString(labelSelectorFromObject(sel))
    return s === '' ? '<none>' : s
  } catch {
    return '<error>'
  }
}

/** Deployments print the bare selector text: empty for none, `<invalid>` when it cannot be parsed. */
export function selectorText(sel: LabelSelectorObj | null | undefined): string {
  try {
    return selectorToString(labelSelectorFromObject(sel))
  } catch {
    return '<invalid>'
  }
}

/** Comma-joined container names and images (layoutContainerCells). */
export function containerCells(containers: readonly { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? []
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')]
}

const ACCESS_MODES: readonly [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
]

/** "RWO,RWX" in a fixed order regardless of how the modes were listed. */
export function accessModesString(modes: readonly string[] | undefined): string {
  const set = new Set(modes ?? [])
  return ACCESS_MODES.filter(([m]) => set.has(m))
    .map(([, short]) => short)
    .join(',')
}

/** IntOrString as text: 3 → "3", "25%" → "25%". */
export function intOrString(value: number | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined
  return typeof value === 'number' ? String(Math.trunc(value)) : value
}

/** Bool pointer printed as "True"/"False", or "<unset>" when missing. */
export function boolPtr(value: boolean | null | undefined): string {
  if (value === null || value === undefined) return '<unset>'
  return value ? 'True' : 'False'
}

/** Quantities print as stored; a missing one prints as Go's zero Quantity ("0"). */
export const quantity = (value: string | number | null | undefined): string => (value === null || value === undefined ? '0' : String(value))

/** Up to `max` items joined by ",", then " + N more..." (listWithMoreString and friends). */
export function listWithMore(items: readonly string[], max: number, emptyText: string): string {
  const shown = items.slice(0, max).join(',')
  if (items.length > max) return `${shown} + ${items.length - max} more...`
  return shown === '' ? emptyText : shown
}
