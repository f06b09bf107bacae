// Object shapes the proxy and DNS read: the kubernetes-types Service and EndpointSlice, usable
// wherever the client and informers expect a KubeObject.


/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
