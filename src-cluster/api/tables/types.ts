// Wire shapes of meta.k8s.io/v1 Table, the format kubectl asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints verbatim.

import type { KubeObject, ObjectMetaLike } from '../object'

export type IncludeObject = 'None' | 'Metadata' | 'Object'

/** A cell is printed as-is; integers stay JSON numbers and booleans JSON booleans, as upstream sends them (null: a custom resource column with no value). */
export type TableCell = string | number | boolean | null

export interface TableColumn {
  readonly name: string
  /** OpenAPI type: "string", "integer", "number", "boolean" or "date". */
  readonly type: string
  /** "name" marks the column kubectl treats as the object name; otherwise "". */
  readonly format: string
  readonly description: string
  /** 0 prints always; 1 only with `-o wide`. */
  readonly priority: number
}

export interface TableRowCondition {
  readonly type: string
  readonly status: string
  readonly reason?: string
  readonly message?: string
}

export interface PartialObjectMetadata {
  readonly kind: 'PartialObjectMetadata'
  readonly apiVersion: 'meta.k8s.io/v1'
  readonly metadata: ObjectMetaLike
}

export interface TableRow {
  cells: TableCell[]
  conditions?: TableRowCondition[]
  object?: KubeObject | PartialObjectMetadata
}

export interface TableListMeta {
  resourceVersion: string
  continue?: string
  remainingItemCount?: number
}

export interface Table {
  kind: 'Table'
  apiVersion: 'meta.k8s.io/v1'
  metadata: TableListMeta
  columnDefinitions: TableColumn[]
  rows: TableRow[]
}

/** Cells and optional row conditions for one object, given the current time. */
export interface RowCells {
  cells: TableCell[]
  conditions?: TableRowCondition[]
}

/** How one kind prints: its columns and, per object, one cell per column (wide cells included). */
export interface Printer {
  readonly columns: readonly TableColumn[]
  row(obj: KubeObject, now: Date): RowCells
}
