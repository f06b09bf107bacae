// The shape every Kubernetes object has as the API server stores and serves it: JSON with
// apiVersion, kind and metadata. Typed kinds (kit/objects.ts) are kubernetes-types shapes that
// are also a KubeObject.

/** A JSON object as stored and served. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string
  kind?: string
  metadata?: ObjectMetaLike
}
/** The metadata fields code reads without a typed kind. */
export interface ObjectMetaLike {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string | null
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: Record<string, unknown>[]
  finalizers?: string[]
  managedFields?: unknown[]
  [k: string]: unknown
}
