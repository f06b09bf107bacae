// Object shapes the proxy and DNS read: the kubernetes-types Service and EndpointSlice, usable
// wherever the client and informers expect a KubeObject.
import type { KubeObject } from '../api/errors'
import type { Service } from 'kubernetes-types/core/v1'
import type { EndpointSlice } from 'kubernetes-types/discovery/v1'

export type ServiceObj = KubeObject & Service
export type EndpointSliceObj = KubeObject & EndpointSlice

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
