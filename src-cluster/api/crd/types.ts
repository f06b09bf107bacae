// Shapes of apiextensions.k8s.io/v1 CustomResourceDefinition and its JSON schema
// (JSONSchemaProps), as the API defines them.
import type { KubeObject } from '../object'

export interface JSONSchemaProps {
  type?: string
  format?: string
  description?: string
  title?: string
  properties?: Record<string, JSONSchemaProps>
  required?: string[]
  items?: JSONSchemaProps | JSONSchemaProps[]
  additionalProperties?: JSONSchemaProps | boolean
  enum?: unknown[]
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: boolean
  exclusiveMaximum?: boolean
  multipleOf?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  maxProperties?: number
  uniqueItems?: boolean
  nullable?: boolean
  default?: unknown
  allOf?: JSONSchemaProps[]
  anyOf?: JSONSchemaProps[]
  oneOf?: JSONSchemaProps[]
  not?: JSONSchemaProps
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-list-type'?: string
  'x-kubernetes-list-map-keys'?: string[]
  'x-kubernetes-map-type'?: string
  'x-kubernetes-validations'?: unknown[]
  [other: string]: unknown
}

export interface PrinterColumn {
  name: string
  type: string
  format?: string
  description?: string
  priority?: number
  jsonPath: string
}

export interface CrdVersion {
  name: string
  served: boolean
  storage: boolean
  deprecated?: boolean
  deprecationWarning?: string
  schema?: { openAPIV3Schema?: JSONSchemaProps }
  subresources?: {
    status?: Record<string, never>
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string }
  }
  additionalPrinterColumns?: PrinterColumn[]
}

export interface CrdNames {
  plural: string
  singular?: string
  shortNames?: string[]
  kind: string
  listKind?: string
  categories?: string[]
}

export interface CrdCondition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  lastTransitionTime?: string
  reason?: string
  message?: string
}

export interface CrdSpec {
  group: string
  names: CrdNames
  scope: 'Namespaced' | 'Cluster'
  versions: CrdVersion[]
  conversion?: { strategy: string; webhook?: unknown }
  preserveUnknownFields?: boolean
}

export interface CrdStatus {
  conditions?: CrdCondition[]
  acceptedNames?: CrdNames
  storedVersions?: string[]
}

export type CrdObject = KubeObject & { spec: CrdSpec; status?: CrdStatus }

export const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io'
